"""Values read by `load_mapping` are those of a fresh YAML loader, after failed values too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from sitegen.content.config import DEFAULT_CONFIG
from sitegen.content.frontmatter import split
from sitegen.content.load import load_document
from sitegen.content.schema import validate
from sitegen.content.yamltext import Field, load_flat_strings, load_mapping
from sitegen.errors import ContentError
from tests.deadline import within

PATH = Path("stories/x.md")
# Each failing value is followed by values that a constructor left half-way would get wrong.
TEXT = """\
a: &n [1, {k: 2019-13-45}]
b: *n
c: [[2019-13-45], [2]]
d: {x: [3], y: 2019-13-45}
e: [&s [4], 2019-02-30]
f: *s
g: 2020-01-01
h: [a, {b: c}]
i: 2019-13-45
"""


def test_values_after_failed_ones_are_as_a_fresh_loader_reads_them() -> None:
    fields = load_mapping(TEXT, PATH)
    assert {key: field.value for key, field in fields.items() if key != "d"} == {
        "a": None,
        "b": None,
        "c": None,
        "e": None,
        "f": [4],
        "g": date(2020, 1, 1),
        "h": ["a", {"b": "c"}],
        "i": "2019-13-45",
    }
    assert fields["d"] == Field({"x": Field([3], 4), "y": Field("2019-13-45", 4)}, 4)


def test_reading_again_gives_the_same_values() -> None:
    assert load_mapping(TEXT, PATH) == load_mapping(TEXT, PATH)


def _nested(levels: int) -> str:
    """Keys within keys, each one space further in, the last with a value."""
    return "\n".join(" " * i + f"k{i}:" for i in range(levels)) + "\n" + " " * levels + "z: 1"


def _outcome(read: Callable[[], object]) -> str:
    """ "read", or the message of the one problem reading gave; any other error escapes."""
    try:
        read()
    except ContentError as error:
        [problem] = error.problems
        return problem.message
    return "read"


@pytest.mark.parametrize("levels", [600, 3000])
@pytest.mark.parametrize("form", ["keys", "lists"])
def test_yaml_nested_past_any_stack_is_read_or_a_content_error(levels: int, form: str) -> None:
    text = _nested(levels) if form == "keys" else "k: " + "[" * levels + "]" * levels
    path = Path("deep.yaml")
    outcomes = {
        _outcome(lambda: load_mapping(text, path)),
        _outcome(lambda: load_flat_strings(text, path)),
        _outcome(lambda: split(f"---\n{text}\n---\nText\n", Path("s.md"))),
    }
    known = ("read", "nested too deeply", "YAML syntax error", "must be non-empty text")
    assert all(any(part in outcome for part in known) for outcome in outcomes), outcomes
    if levels == 600 and form == "keys":
        # Deeper than Python's stack goes, read or walked: said so, not a RecursionError.
        assert outcomes == {"the YAML is nested too deeply to read"}


def test_a_long_wrong_value_is_quoted_cut_short(tmp_path: Path) -> None:
    story = tmp_path / "stories" / "s.md"
    story.parent.mkdir()
    story.write_text("---\ntitle: [" + "a, " * 500 + "b]\n---\nText\n")
    with pytest.raises(ContentError) as caught:
        load_document(tmp_path, story, DEFAULT_CONFIG, {})
    message = next(p.message for p in caught.value.problems if "'title'" in p.message)
    assert message.startswith("'title' must be text (got ['a', 'a'")
    assert message.endswith("…)")
    assert len(message) < 120


def test_a_wrong_value_too_deep_to_quote_is_named_not_a_crash() -> None:
    # YAML lets lists go a thousand deep; how deep repr() goes depends on the stack already
    # used, so the value here is deeper than any stack.
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    fields = {"title": Field("A", 2), "summary": Field("B", 3), "tags": Field(deep, 4)}
    with pytest.raises(ContentError) as caught:
        validate("stories", "s", "en", Path("s.md"), fields)
    problem = next(p for p in caught.value.problems if p.line == 4)
    assert "'tags' must be a list of text" in problem.message
    assert "too deep to show" in problem.message


def _laughs(levels: int) -> str:
    """Each key an anchor of ten aliases of the one before: 10 ** levels values read out."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]")
    return "\n".join([*lines, "title: Hi"])


def test_aliases_that_would_read_out_to_millions_of_values_are_refused_at_once() -> None:
    with within(20), pytest.raises(ContentError) as caught:
        load_mapping(_laughs(9), Path("laughs.yaml"), first_line=2)
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (Path("laughs.yaml"), 2)
    assert "aliases" in problem.message
    # Aliases within the limit are read as PyYAML reads them; one within itself too.
    assert len(load_mapping(_laughs(4), Path("a.yaml"))["a3"].value) == 10  # type: ignore[arg-type]
    assert load_mapping("t: &t [x, *t]", Path("a.yaml"))["t"].line == 1
