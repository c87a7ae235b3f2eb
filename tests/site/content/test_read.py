"""Reading a content file: its exact text, or a problem naming the file."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from sitegen.content.load import _content_files, read_text
from sitegen.errors import ContentError


def test_a_file_is_read_whole_in_as_many_pieces_as_it_takes(tmp_path: Path) -> None:
    text = "Zażółć gęślą jaźń.\r\n" * 20_000  # several reads' worth; line ends kept as they are
    path = tmp_path / "story.md"
    path.write_bytes(text.encode("utf-8"))
    assert read_text(path) == text
    (tmp_path / "empty.md").write_bytes(b"")
    assert read_text(tmp_path / "empty.md") == ""


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"caf\xe9\n"), "not UTF-8 text (invalid continuation byte)"),
        (lambda p: p.mkdir(), "cannot read: Is a directory"),
        (lambda p: None, "cannot read: No such file or directory"),
    ],
    ids=["latin-1", "a folder", "missing"],
)
def test_a_file_that_cannot_be_read_is_a_problem_at_its_path(
    tmp_path: Path, make: object, message: str
) -> None:
    path = tmp_path / "story.md"
    make(path)  # type: ignore[operator]
    with pytest.raises(ContentError) as caught:
        read_text(path)
    [problem] = caught.value.problems
    assert problem.path == path
    assert problem.message == message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_a_problem_at_once_not_a_wait_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "story.md"
    os.mkfifo(path)
    found: list[ContentError] = []

    def read() -> None:
        try:
            read_text(path)
        except ContentError as exc:
            found.append(exc)

    # Opened as a file, the pipe would wait for a writer for good: not in this test's thread.
    reading = threading.Thread(target=read, daemon=True)
    reading.start()
    reading.join(10)
    assert not reading.is_alive(), "reading the pipe waits for a writer"
    [problem] = found[0].problems
    assert (problem.path, problem.message) == (path, "cannot read: not a regular file")


def test_content_files_are_those_rglob_finds_in_the_same_order(tmp_path: Path) -> None:
    made = [
        "stories/b.md",
        "stories/a-b.md",
        "stories/.hidden.md",
        "stories/#draft.md#",
        "stories/~x.md",
        "stories/notes.txt",
        "stories/upper.MD",
        "pages/about.md",
        "pages/a-b/x.md",
        "pages/a/x.md",
        "pages/a/deeper/y.md",
        "pages/.git/z.md",
        "campaigns/c.md",
    ]
    for name in made:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("---\ntitle: x\n---\n")
    (tmp_path / "pages" / "folder.md").mkdir()
    (tmp_path / "pages" / "linked").symlink_to(tmp_path / "pages" / "a")
    (tmp_path / "stories" / "link.md").symlink_to(tmp_path / "stories" / "b.md")
    (tmp_path / "stories" / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    expected = [
        path
        for kind in ("stories", "campaigns", "pages")
        for path in sorted((tmp_path / kind).rglob("*.md"))
        if path.is_file() and not path.name.startswith((".", "#", "~"))
    ]
    found = _content_files(tmp_path)
    assert found == expected
    assert tmp_path / "pages" / "a" / "deeper" / "y.md" in found
    assert tmp_path / "stories" / "link.md" in found


def test_a_missing_kind_folder_has_no_files(tmp_path: Path) -> None:
    (tmp_path / "stories").write_text("not a folder")
    assert _content_files(tmp_path) == []
