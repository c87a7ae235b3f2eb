"""The output folder: folders a build did not make are refused, and stale files go."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.errors import OutputError
from sitegen.incremental.write import MARKER, check_output_dir, remove_stale


def test_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.txt").write_text("precious")
    with pytest.raises(OutputError, match=r"not empty and was not made by build\.py"):
        check_output_dir(tmp_path / "home")


def test_accepts_its_own_or_an_empty_folder(tmp_path: Path) -> None:
    check_output_dir(tmp_path / "new")
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / "x.html").write_text("x")
    (tmp_path / "ours" / MARKER).touch()
    check_output_dir(tmp_path / "ours")


def test_refuses_to_write_over_the_sources(tmp_path: Path) -> None:
    content = tmp_path / "site" / "content"
    content.mkdir(parents=True)
    with pytest.raises(OutputError, match="must not contain"):
        check_output_dir(tmp_path / "site", content)


def test_stale_files_and_the_folders_they_leave_empty_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "public"
    for name in ("a/index.html", "b.txt", "old/deep/x.txt", MARKER):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(name)
    assert remove_stale(out, {"a/index.html", "b.txt", MARKER}) == 1
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        MARKER,
        "a",
        "a/index.html",
        "b.txt",
    ]
