"""Template digests cover every template a page's template pulls in, build after build."""

from __future__ import annotations

from pathlib import Path

import jinja2

from sitegen.incremental import fingerprint
from sitegen.incremental.fingerprint import template_digests


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


def test_a_template_named_at_run_time_makes_the_digest_cover_every_template(
    tmp_path: Path,
) -> None:
    (tmp_path / "page.html").write_text("{% include name %}")
    (tmp_path / "other.html").write_text("<p>other</p>")
    first = template_digests(_env(tmp_path), ["page.html"])
    (tmp_path / "other.html").write_text("<p>changed</p>")
    assert template_digests(_env(tmp_path), ["page.html"]) != first
