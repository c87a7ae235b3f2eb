"""Reading a content file: its exact text, or a problem naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.content.load import read_text
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
