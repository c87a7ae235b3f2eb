"""The benchmark moves old outputs aside before a timed build and deletes them at the end."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import build


def test_clean_moves_outputs_aside_and_empty_trash_deletes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "TRASH", tmp_path / "trash")
    output, cache, missing = tmp_path / "out", tmp_path / "cache", tmp_path / "never-built"
    (output / "en").mkdir(parents=True)
    (output / "en" / "index.html").write_text("<p>old")
    cache.mkdir()
    build.clean(output, cache, missing)
    assert not output.exists()
    assert not cache.exists()
    moved = sorted(p.name.split("-")[0] for p in (tmp_path / "trash").iterdir())
    assert moved == ["cache", "out"]
    build.empty_trash()
    assert not (tmp_path / "trash").exists()
