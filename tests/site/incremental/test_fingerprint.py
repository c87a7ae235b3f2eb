"""Template digests cover every template a page's template pulls in, build after build, and
parse only those, once; data digests count what makes a page, and only that."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jinja2
import jinja2.nodes
import jinja2.parser
import pytest

from sitegen.content.schema import Document
from sitegen.errors import ContentError
from sitegen.incremental import fingerprint
from sitegen.incremental.fingerprint import (
    Fingerprinter,
    remember_references,
    template_digests,
    template_references,
)
from sitegen.render.templates import make_environment


def _env(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True)


def test_a_change_to_an_included_template_changes_the_digest_of_what_includes_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "base.html").write_text("<main>{% block main %}{% endblock %}</main>")
    (tmp_path / "fp-card.html").write_text("<p>card</p>")
    (tmp_path / "story.html").write_text(
        '{% extends "base.html" %}{% block main %}{% include "fp-card.html" %}{% endblock %}'
    )
    (tmp_path / "plain.html").write_text("<p>plain</p>")
    names = ["story.html", "plain.html"]
    first = template_digests(_env(tmp_path), names)
    # The same sources in a new environment, as the next build in this process has.
    assert template_digests(_env(tmp_path), names) == first
    (tmp_path / "fp-card.html").write_text("<p>another card</p>")
    second = template_digests(_env(tmp_path), names)
    assert second["story.html"] != first["story.html"]
    assert second["plain.html"] == first["plain.html"]
    # A template that now includes one more is followed there too.
    (tmp_path / "plain.html").write_text('{% include "fp-card.html" %}')
    third = template_digests(_env(tmp_path), names)
    assert third["plain.html"] != second["plain.html"]
    (tmp_path / "fp-card.html").write_text("<p>a third card</p>")
    assert template_digests(_env(tmp_path), names)["plain.html"] != third["plain.html"]
    # What was kept for the next build is one entry a template, however often it changed.
    assert [key[2] for key in fingerprint._REFERENCED].count("fp-card.html") == 1


@pytest.mark.parametrize("environment", [_env, make_environment])
def test_a_template_included_by_another_spelling_or_extension_is_in_the_digest(
    tmp_path: Path, environment: Callable[[Path], jinja2.Environment]
) -> None:
    (tmp_path / "card.html").write_text("<p>card</p>")
    (tmp_path / "icon.svg").write_text("<svg></svg>")
    (tmp_path / "page.html").write_text('{% include "./card.html" %}{% include "icon.svg" %}')
    (tmp_path / "plain.html").write_text("<p>plain</p>")
    names = ["page.html", "plain.html"]
    first = template_digests(environment(tmp_path), names)
    (tmp_path / "card.html").write_text("<p>another card</p>")
    second = template_digests(environment(tmp_path), names)
    assert second["page.html"] != first["page.html"]
    (tmp_path / "icon.svg").write_text("<svg><circle/></svg>")
    third = template_digests(environment(tmp_path), names)
    assert third["page.html"] != second["page.html"]
    assert first["plain.html"] == second["plain.html"] == third["plain.html"]
    env = environment(tmp_path)
    template_digests(env, names)
    assert env.get_template("page.html").render() == "<p>another card</p><svg><circle/></svg>"


def test_a_template_named_at_run_time_makes_the_digest_cover_every_template(
    tmp_path: Path,
) -> None:
    (tmp_path / "page.html").write_text("{% include name %}")
    (tmp_path / "other.html").write_text("<p>other</p>")
    first = template_digests(_env(tmp_path), ["page.html"])
    (tmp_path / "other.html").write_text("<p>changed</p>")
    assert template_digests(_env(tmp_path), ["page.html"]) != first


def test_only_the_templates_pages_use_are_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "base.html").write_text("<main>{% block main %}{% endblock %}</main>")
    (tmp_path / "story.html").write_text('{% extends "base.html" %}')
    (tmp_path / "email.txt").write_text("{% if %}")  # broken, and never rendered by the site
    parsed = count_parses(monkeypatch)
    digests = template_digests(_env(tmp_path), ["story.html"])
    assert list(digests) == ["story.html"]
    assert sorted(name for name, _ in parsed) == ["base.html", "story.html"]


def test_each_template_that_does_not_parse_is_a_content_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "base.html").write_text("<main>\n{% block main %}\n{% endblok %}</main>")
    (tmp_path / "story.html").write_text('{% extends "base.html" %}')
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "card.html").write_text("{{ }}")
    (tmp_path / "list.html").write_text('{% include "partials/card.html" %}')
    with pytest.raises(ContentError) as raised:
        template_digests(_env(tmp_path), ["story.html", "list.html"])
    found = [(p.path, p.line) for p in raised.value.problems]
    assert found == [(tmp_path / "base.html", 3), (tmp_path / "partials" / "card.html", 1)]
    assert "endblok" in raised.value.problems[0].message
    (tmp_path / "partials" / "card.html").write_bytes(b"\xff not UTF-8")
    with pytest.raises(ContentError) as raised:
        template_digests(_env(tmp_path), ["story.html", "list.html"])
    unreadable = (tmp_path / "partials" / "card.html", None, "not UTF-8 te")
    problems = [(p.path, p.line, p.message[:12]) for p in raised.value.problems]
    assert sorted(problems) == sorted([unreadable, (tmp_path / "base.html", 3, "Encountered ")])


def test_the_site_compiles_each_template_from_the_tree_parsed_for_its_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "base.html").write_text(
        "<main>{% once 1 %}<p>{{ 6 * 7 }}</p>{% endonce %}{% block main %}{% endblock %}</main>"
    )
    (tmp_path / "story.html").write_text(
        '{% extends "base.html" %}{% block main %}{{ name }}{% endblock %}'
    )
    expected = make_environment(tmp_path).get_template("story.html").render(name="<a>")
    parsed = count_parses(monkeypatch)
    env = make_environment(tmp_path)
    template_digests(env, ["story.html"])
    assert env.get_template("story.html").render(name="<a>") == expected
    assert sorted(name for name, _ in parsed) == ["base.html", "story.html"]
    # A tree serves one compile: a template compiled again is parsed again.
    env.cache.clear()  # type: ignore[union-attr]
    assert env.get_template("story.html").render(name="<a>") == expected
    assert sorted(name for name, _ in parsed) == [
        "base.html",
        "base.html",
        "story.html",
        "story.html",
    ]


def test_what_another_process_found_templates_use_is_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "base.html").write_text("<main>{% block main %}{% endblock %}</main>")
    (tmp_path / "card.html").write_text("<p>{{ name }}</p>")
    (tmp_path / "story.html").write_text(
        '{% extends "base.html" %}{% block main %}{% include "card.html" %}{% endblock %}'
    )
    (tmp_path / "broken.html").write_text("{% if %}")
    names = ["story.html", "base.html", "card.html", "broken.html", "missing.html"]
    parsed = count_parses(monkeypatch)
    # As a worker finds it, in a process of its own: what this one has parsed, nothing.
    found = template_references(make_environment(tmp_path), names)
    assert sorted(found) == ["base.html", "card.html", "story.html"]
    assert found["story.html"][1] == frozenset({"base.html", "card.html"})
    expected = template_digests(make_environment(tmp_path), ["story.html"])
    monkeypatch.setattr(fingerprint, "_REFERENCED", {})
    parsed.clear()
    env = make_environment(tmp_path)
    remember_references(env, found)
    assert template_digests(env, ["story.html"]) == expected
    assert parsed == []
    assert env.get_template("story.html").render(name="Ada") == "<main><p>Ada</p></main>"
    # A template changed since it was found is parsed again, and only that one.
    (tmp_path / "card.html").write_text('{% include "base.html" %}')
    monkeypatch.setattr(fingerprint, "_REFERENCED", {})
    fresh = template_digests(make_environment(tmp_path), ["story.html"])
    assert fresh != expected
    monkeypatch.setattr(fingerprint, "_REFERENCED", {})
    parsed.clear()
    env = make_environment(tmp_path)
    remember_references(env, found)
    assert template_digests(env, ["story.html"]) == fresh
    assert [name for name, _ in parsed] == ["card.html"]


def test_an_overlay_parses_for_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "page.html").write_text("<p>\n  {% if true %}\n  x\n  {% endif %}\n</p>")
    env = make_environment(tmp_path)
    overlay = env.overlay(trim_blocks=False, lstrip_blocks=False)
    expected = overlay.from_string((tmp_path / "page.html").read_text()).render()
    parsed = count_parses(monkeypatch)
    template_digests(env, ["page.html"])
    assert overlay.get_template("page.html").render() == expected
    assert [name for name, _ in parsed] == ["page.html", "page.html"]


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """From now on, the name and file name of every template Jinja parses, in order."""
    # What this process parsed before is not parsed again: none of it, here.
    monkeypatch.setattr(fingerprint, "_REFERENCED", {})
    parsed: list[tuple[str, str]] = []
    parse = jinja2.parser.Parser.parse

    def counting(self: jinja2.parser.Parser) -> jinja2.nodes.Template:
        parsed.append((str(self.name), str(self.filename)))
        return parse(self)

    monkeypatch.setattr(jinja2.parser.Parser, "parse", counting)
    return parsed


def _document(**changes: Any) -> Document:
    doc = Document(
        "stories",
        "one",
        "en",
        Path("/c/stories/one.md"),
        "One",
        "Summary",
        "",
        7,
        date=date(2024, 5, 1),
        tags=("a", "b"),
        lines=(("title", 2), ("date", 3)),
    )
    return dataclasses.replace(doc, **changes)


def test_a_documents_digest_counts_what_counts_for_its_equality() -> None:
    plain = Fingerprinter().of(_document())
    # Where its keys are in the file only says where a problem is; its text the page adds.
    assert Fingerprinter().of(_document(lines=(("title", 5), ("date", 6)))) == plain
    assert Fingerprinter().of(_document(body="Other text")) == plain
    for changed in ({"title": "Two"}, {"tags": ("a",)}, {"date": date(2024, 5, 2)}):
        assert Fingerprinter().of(_document(**changed)) != plain


def test_a_dict_has_the_digest_of_any_mapping_with_its_pairs() -> None:
    data: dict[object, object] = {"entry": _document(), "tags": ["a", ("b", 2)], "n": {"x": None}}
    data |= {("k", 1): date(2024, 1, 1), None: Path("/p"), "empty": {}}
    assert Fingerprinter().of(data) == Fingerprinter().of(MappingProxyType(data))
    assert Fingerprinter().of({}) == Fingerprinter().of(MappingProxyType({}))
    assert Fingerprinter().of(data) != Fingerprinter().of({**data, "n": {"x": 0}})


def test_a_dataclass_has_one_digest_whatever_was_digested_before() -> None:
    seen = Fingerprinter()
    seen.of([_document(title="Other"), {"d": _document(slug="two")}])
    assert seen.of(_document()) == Fingerprinter().of(_document())
    assert seen.of(_document()) == seen.of(_document())


def test_a_dataclass_freed_after_its_digest_leaves_no_digest_to_another() -> None:
    # Each temporary is freed at once, and the next is likely made where it was, with its id.
    seen = Fingerprinter()
    for number in range(200):
        assert seen.of(_document(title=f"T{number}")) == Fingerprinter().of(
            _document(title=f"T{number}")
        )
