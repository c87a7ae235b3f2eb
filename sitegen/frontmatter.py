"""Split a content file into its YAML front matter and its Markdown body."""

from __future__ import annotations

from pathlib import Path

from sitegen.errors import ContentError, Problem
from sitegen.yamltext import Field, load_mapping

_FENCE = "---"
_START_HINT = "start the file with a line '---', then 'title: ...' and the other keys, then '---'"


def split(text: str, path: Path) -> tuple[dict[str, Field], str, int]:
    """Return the front matter fields, the body, and the body's first line number."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    if lines[0].rstrip() != _FENCE:
        raise ContentError([Problem(path, 1, "the file must start with front matter", _START_HINT)])
    end = next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() == _FENCE), None)
    if end is None:
        hint = "add a line '---' after the last front matter key"
        raise ContentError([Problem(path, 1, "the front matter is not closed", hint)])
    fields = load_mapping("\n".join(lines[1:end]), path, first_line=2)
    return fields, "\n".join(lines[end + 1 :]), end + 2
