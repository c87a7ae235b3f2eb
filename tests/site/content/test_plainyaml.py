"""Front matter read without PyYAML is read as PyYAML reads it, or left to PyYAML.

The reference is PyYAML itself (libyaml's safe loader and the pure-Python one), on PyYAML's
own test documents, on lines cut from them, on generated lines, and on the sample site."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.content import plainyaml
from sitegen.content.frontmatter import split
from sitegen.content.yamltext import Field, load_mapping
from sitegen.errors import ContentError
from tests.loaded import loaded_after

ROOT = Path(__file__).resolve().parents[3]
INPUTS: dict[str, str] = json.loads(
    (Path(__file__).parent / "fixtures" / "pyyaml-inputs.json").read_text(encoding="utf-8")
)
LOADERS = (getattr(yaml, "CSafeLoader", yaml.SafeLoader), yaml.SafeLoader)


def typed(value: object) -> object:
    """The value with the type of every part, so that True and 1, or 1 and 1.0, differ."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, tuple):
        return ("tuple", [typed(v) for v in value])
    return (type(value).__name__, value)


def reference(text: str, first_line: int = 1) -> object:
    """What PyYAML makes of the text: each key as written, with its value as PyYAML's safe
    constructor makes it and its line; None when the top level is not a mapping of plain keys
    or PyYAML refuses the text or a value."""
    answers = []
    for loader in LOADERS:
        try:
            node = yaml.compose(text, Loader=loader)
        except yaml.YAMLError:
            return None
        if node is None:
            answers.append(typed({}))
            continue
        found = _mapping(node, first_line)
        if found is None:
            return None
        answers.append(typed(found))
    assert answers[0] == answers[1], text
    return answers[0]


def _mapping(node: yaml.Node, first_line: int) -> dict[str, object] | None:
    """A mapping node's keys as written, each with its value and line; a mapping within the
    same way. None when it is not such a mapping, or a value cannot be made."""
    if not isinstance(node, yaml.MappingNode):
        return None
    found: dict[str, object] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.value in found:
            return None
        made: object
        if isinstance(value, yaml.MappingNode):
            made = _mapping(value, first_line)
            if made is None:
                return None
        else:
            try:
                made = yaml.constructor.SafeConstructor().construct_document(value)
            except (yaml.YAMLError, ValueError, TypeError, AttributeError, IndexError, KeyError):
                return None
        found[key.value] = (made, key.start_mark.line + first_line)
    return found


def agrees(text: str, first_line: int = 1) -> bool:
    """Whether the text was read without PyYAML (it must then be as PyYAML reads it)."""
    fast = plainyaml.read(text, first_line)
    if fast is None:
        return False
    assert typed({k: v for k, v in fast.items()}) == reference(text, first_line), repr(text)
    return True


def candidates(document: str) -> list[str]:
    """The document, each of its lines alone, and each line as a value and as a list item."""
    lines = [line for line in document.split("\n") if line.strip()]
    made = [document]
    for line in lines:
        value = line.strip()
        made += [line, f"k: {value}", f"k: [{value}]", f"k: [a, {value}]", f"{value}: v"]
    return made


def test_pyyaml_own_test_documents_read_alike() -> None:
    read = 0
    for document in INPUTS.values():
        read += sum(agrees(text) for text in candidates(document))
    # Not a test of nothing: hundreds of them are of the plain kind.
    assert read > 500


# Characters and words with a meaning in YAML, or that it refuses.
_CHARACTERS = list("aZ09 :#,[]{}\"'\\-._~!&*|>%@`?=<+\t\r\x85\u2028\ufeffé€gxTe\xa0—")
_WORDS = ["yes", "No", "ON", "off", "true", "FALSE", "null", "NULL", "~", "y", "n"]
_NUMBERS = ["2015-01-01", "2019-13-45", "2015-1-1", "0", "07", "12", "1_000", "0x1f", "1.5"]
_MARKS = [".inf", "-3", "+4", ": ", " #", "''", '""', "a: b", "[a, b]", "{a: b}"]
_TRICKY = st.sampled_from(_CHARACTERS + _WORDS + _NUMBERS + _MARKS)
_VALUES = st.lists(_TRICKY, max_size=6).map("".join)
_KEYS = st.sampled_from(["title", "date", "tags", "a-b", "_x", "yes", "k1", "x y", "a.b"])
_KEY_LINES = st.tuples(_KEYS, st.sampled_from([": ", ":", ":  ", " : "]), _VALUES).map("".join)
_LINES = st.one_of(
    _KEY_LINES,
    # Lines of a mapping within, or wrongly indented ones.
    st.tuples(st.sampled_from([" ", "  ", "    "]), _KEY_LINES).map("".join),
    st.tuples(st.sampled_from(["", "  ", "    "]), _KEYS, st.sampled_from([":", ": "])).map(
        "".join
    ),
    _VALUES,
    st.sampled_from(["", "# note", "  # indented note", "   ", "---", "...", "- item"]),
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(_LINES, max_size=6).map("\n".join), st.integers(1, 5))
def test_generated_front_matter_reads_alike(text: str, first_line: int) -> None:
    agrees(text, first_line)


@settings(max_examples=1500, deadline=None)
@given(_VALUES)
def test_generated_values_and_list_items_read_alike(value: str) -> None:
    for text in (f"k: {value}", f"k: [{value}]", f"k: [{value}, {value}]", f'k: ["{value}"]'):
        agrees(text)


PLAIN = {
    'title: "A: b"\ndate: 2015-01-01': {"title": ("A: b", 1), "date": (date(2015, 1, 1), 2)},
    "tags: [london, new york]\ndraft: yes": {
        "tags": (["london", "new york"], 1),
        "draft": (True, 2),
    },
    "# note\n\ntitle: It's 'ok'\nsummary:": {"title": ("It's 'ok'", 3), "summary": (None, 4)},
    "order: 12\nname: 'O''Neil'\nlist: []": {
        "order": (12, 1),
        "name": ("O'Neil", 2),
        "list": ([], 3),
    },
    "title: Zürich": {"title": ("Zürich", 1)},
    "image:\n  src: a.jpg": {"image": ({"src": ("a.jpg", 2)}, 1)},
    "site:\n  url: https://a.example/x?y=1#top\n\n  # note\n  deep:\n    1: C# and F#\nnext: x:y": {
        "site": (
            {
                "url": ("https://a.example/x?y=1#top", 2),
                "deep": ({"1": ("C# and F#", 6)}, 5),
            },
            1,
        ),
        "next": ("x:y", 7),
    },
    "a:\nb:\n  c:\n": {"a": (None, 1), "b": ({"c": (None, 3)}, 2)},
}


@pytest.mark.parametrize(("text", "expected"), PLAIN.items())
def test_plain_front_matter_is_read_here(text: str, expected: dict[str, object]) -> None:
    assert plainyaml.read(text, 1) == expected
    assert agrees(text)


@pytest.mark.parametrize(
    "text",
    [
        "title: a: b",  # an error for PyYAML to report
        "title: one # comment",
        "tags:\n- a",
        "a: b\n  c: d",  # a value going on below its key
        "a:\n    b: 1\n  c: 2",  # back to an indent no mapping has
        "a:\n  b: 1\n    c: 2",
        "  a: b",
        "a:\n  b: 1\n  b: 2",
        "a: b: c",
        "a: b:",
        "a: b #c",
        "title: &a x\nother: *a",
        "n: 1.5",
        "date: 2019-13-45",  # kept as text by the schema's reader, which PyYAML's path does
        "title: x\ntitle: y",
        'title: "a\\tb"',
        "title:\tx",
        "k" * 1025 + ": a key longer than PyYAML takes",
        "n: " + "9" * 4301,  # more digits than Python converts to a number
        "n: [" + "9" * 5000 + "]",
    ],
    ids=lambda text: text[:40],
)
def test_anything_else_is_left_to_pyyaml(text: str) -> None:
    assert plainyaml.read(text, 1) is None


def test_the_longest_key_pyyaml_takes_is_read_here() -> None:
    assert agrees("a: b\n" + "k" * 1024 + ": c")


def test_duplicate_keys_are_still_reported_at_their_line() -> None:
    with pytest.raises(ContentError) as caught:
        load_mapping("title: x\ndate: 2015-01-01\ntitle: y\n", Path("s.md"), first_line=2)
    [problem] = caught.value.problems
    assert problem.line == 4
    assert "appears twice" in problem.message


def test_every_sample_story_is_read_alike_and_most_without_pyyaml() -> None:
    samples = sorted((ROOT / "content").rglob("*.md"))
    plain = 0
    for path in samples:
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        front = text.split("\n---\n", 1)[0].split("\n", 1)[1]
        plain += agrees(front, 2)
        fields, _, _ = split(text, path)
        assert all(isinstance(field, Field) for field in fields.values())
    assert plain >= len(samples) // 2


def test_a_story_of_plain_front_matter_is_read_without_importing_pyyaml() -> None:
    code = (
        "from pathlib import Path\n"
        "from sitegen.content.frontmatter import split\n"
        "fields, body, line = split('---\\ntitle: A\\ndate: 2015-01-01\\ntags: [a]\\n---\\nB\\n', "
        "Path('s.md'))\n"
        "assert fields['date'].value.year == 2015 and line == 6, fields\n"
    )
    assert loaded_after(code, ["yaml"]) == []


def test_unusual_characters_are_every_one_outside_the_usual_ranges() -> None:
    # The usual characters: a line break, printable ASCII, and the ranges PyYAML reads as text
    # without a second meaning (not NEL, the line and paragraph separators, the BOM).
    usual = "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    every = "".join(map(chr, range(0x110000)))
    assert plainyaml._unusual().findall(every) == re.findall(usual, every)


@settings(max_examples=1500, deadline=None)
@given(
    st.tuples(
        st.sampled_from("0123456789"),
        st.text("0123456789_.:+- abcdefgxyzABEFTZnotw", max_size=12),
    ).map("".join)
)
def test_values_starting_with_a_digit_read_alike(value: str) -> None:
    # Numbers, times and text: YAML 1.1 reads all three from a first digit.
    for text in (f"k: {value}", f"a:\n  k: {value}"):
        agrees(text)


def test_every_file_of_ui_strings_is_read_alike_and_without_pyyaml() -> None:
    files = [
        *(ROOT / "content" / "i18n").glob("*.yaml"),
        *(ROOT / "sitegen" / "content" / "defaults" / "i18n").glob("*.yaml"),
    ]
    assert len(files) >= 4
    for path in files:
        assert agrees(path.read_text(encoding="utf-8")), path


def test_mappings_nested_deeper_than_any_file_needs_are_left_to_pyyaml() -> None:
    def nested(levels: int) -> str:
        return "\n".join(" " * i + f"k{i}:" for i in range(levels)) + "\n" + " " * levels + "z: 1"

    assert agrees(nested(10))
    # The top level counts as one.
    assert plainyaml.read(nested(plainyaml._DEEPEST - 1), 1) is not None
    assert plainyaml.read(nested(plainyaml._DEEPEST), 1) is None
