"""The benchmark moves old outputs aside before a timed build and deletes them at the end."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench import build
from bench.build import Tool
from bench.corpus import Shape
from bench.measure import Measure


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


def test_a_change_to_the_generator_during_the_run_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    versions = iter(["one", "one", "two", "two"])
    ran: list[str] = []

    def run_size(size: int, base: Path, serve: bool, times: int, shape: Shape) -> dict[str, Tool]:
        ran.append(f"{shape.name} {size}")
        return {name: Tool(name, base, base, base, shape) for name in ("ours", "hugo")}

    monkeypatch.setattr(build, "code_version", lambda: next(versions))
    monkeypatch.setattr(build, "run_size", run_size)
    monkeypatch.setattr(build, "compile_generator", lambda: None)
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    assert build.main(["--shapes", "short,tags", "--sizes", "1000,10000", "--no-serve"]) == 0
    assert ran == ["short 1000", "short 10000", "tags 1000", "tags 10000"]
    out, err = capsys.readouterr()
    # Found after the second corpus: named once, as it happens and under the table.
    named = "the generator's code changed while shape short at 10,000 ran"
    assert err.count(named) == 1
    assert out.count(named) == 1
    assert out.rindex(named) > out.index("goals")


def made(*paths: Path) -> None:
    for path in paths:
        path.mkdir(parents=True)
        (path / "file").write_text("x")


@pytest.mark.parametrize("name", ["ours", "hugo"])
def test_a_cold_build_starts_without_the_photos_and_the_photos_kind_keeps_only_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(build, "TRASH", tmp_path / "trash")
    found: list[list[str]] = []

    def measured(tool: Tool, label: str, size: int) -> Measure:
        left = (p.relative_to(tmp_path) for p in tmp_path.rglob("file"))
        found.append(sorted(str(p) for p in left if p.parts[0] != "trash"))
        return Measure(0.1, 1, 0)

    monkeypatch.setattr(build, "build", measured)
    tool = Tool(name, tmp_path / "src", tmp_path / "out", tmp_path / "cache")
    # This project keeps the photos' variants in its cache; Hugo in its source's resources.
    photos = tool.cache / "images" if name == "ours" else tool.source / "resources"
    for label in ("cold", "photos"):
        made(tool.output, tool.cache / "markdown", photos)
        build.one_run(tool, label, 10, "story-00005")
        shutil.rmtree(tmp_path / "trash")
        for path in (tool.output, tool.cache, photos):
            shutil.rmtree(path, ignore_errors=True)
    assert found == [[], [str((photos / "file").relative_to(tmp_path))]]
