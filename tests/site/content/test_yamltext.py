"""Values read by `load_mapping` are those of a fresh YAML loader, after failed values too."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sitegen.content.yamltext import Field, load_mapping

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
