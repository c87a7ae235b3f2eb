"""Writing touches only changed files, removes stale ones, and refuses folders it did not make."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.errors import OutputError
from sitegen.write import MARKER, check_output_dir, write_outputs


def test_only_changed_files_are_written_and_stale_ones_removed(tmp_path: Path) -> None:
    out = tmp_path / "public"
    first = write_outputs({"a/index.html": b"one", "b.txt": b"two", "old/x.txt": b"x"}, out)
    assert (first.written, first.unchanged, first.removed) == (3, 0, 0)
    before = (out / "b.txt").stat().st_mtime_ns
    second = write_outputs({"a/index.html": b"changed", "b.txt": b"two"}, out)
    assert (second.written, second.unchanged, second.removed) == (1, 1, 1)
    assert (out / "b.txt").stat().st_mtime_ns == before
    assert (out / "a/index.html").read_bytes() == b"changed"
    assert not (out / "old").exists()


def test_copies_cached_files(tmp_path: Path) -> None:
    cached = tmp_path / "cached.webp"
    cached.write_bytes(b"RIFF")
    write_outputs({"images/x.webp": cached}, tmp_path / "out")
    assert (tmp_path / "out/images/x.webp").read_bytes() == b"RIFF"


def test_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.txt").write_text("precious")
    with pytest.raises(OutputError, match=r"not empty and was not made by build\.py"):
        check_output_dir(tmp_path / "home")


def test_accepts_its_own_or_an_empty_folder(tmp_path: Path) -> None:
    check_output_dir(tmp_path / "new")
    write_outputs({"x.html": b"x"}, tmp_path / "ours")
    assert (tmp_path / "ours" / MARKER).is_file()
    check_output_dir(tmp_path / "ours")


def test_refuses_to_write_over_the_sources(tmp_path: Path) -> None:
    content = tmp_path / "site" / "content"
    content.mkdir(parents=True)
    with pytest.raises(OutputError, match="must not contain"):
        check_output_dir(tmp_path / "site", content)
