"""Split a content file into its YAML front matter and its Markdown body."""

from __future__ import annotations

from pathlib import Path

from sitegen.content.yamltext import Field, load_mapping
from sitegen.errors import ContentError, Problem

_FENCE = "---"
_START_HINT = "start the file with a line '---', then 'title: ...' and the other keys, then '---'"


def split(text: str, path: Path) -> tuple[dict[str, Field], str, int]:
    """Return the front matter fields, the body, and the body's first line number."""
    text, closing = _fences(text, path)
    front = text[text.index("\n") + 1 : closing - 1]
    fields = load_mapping(front, path, first_line=2)
    return fields, _after_line(text, closing), text.count("\n", 0, closing) + 2


def body(text: str, path: Path) -> str:
    """The body alone, as `split` returns it, without parsing the front matter."""
    text, closing = _fences(text, path)
    return _after_line(text, closing)


def _fences(text: str, path: Path) -> tuple[str, int]:
    """The text with Unix line ends, and where the line closing its front matter starts."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    first_end = text.find("\n")
    if text[: len(text) if first_end < 0 else first_end].rstrip() != _FENCE:
        raise ContentError([Problem(path, 1, "the file must start with front matter", _START_HINT)])
    found = text.find("\n" + _FENCE, first_end) if first_end >= 0 else -1
    while found >= 0:
        start = found + 1
        end = text.find("\n", start)
        if text[start : len(text) if end < 0 else end].rstrip() == _FENCE:
            return text, start
        found = text.find("\n" + _FENCE, start)
    hint = "add a line '---' after the last front matter key"
    raise ContentError([Problem(path, 1, "the front matter is not closed", hint)])


def _after_line(text: str, start: int) -> str:
    end = text.find("\n", start)
    return "" if end < 0 else text[end + 1 :]
