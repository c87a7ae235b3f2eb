"""Compiled templates are kept in the cache for the next build, and never outlive their source."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import jinja2
import pytest

from sitegen.incremental.compiled import COMPILED_MAX_AGE, compile_ahead, compiled_templates
from sitegen.incremental.fingerprint import code_version
from sitegen.render.templates import make_environment


def _render(templates: Path, cache: Path) -> str:
    return (
        make_environment(templates, compiled_templates(cache))
        .get_template("page.html")
        .render(name="Ada")
    )


def test_a_later_build_uses_what_an_earlier_one_compiled(tmp_path: Path) -> None:
    templates, cache = tmp_path / "templates", tmp_path / "cache"
    templates.mkdir()
    (templates / "page.html").write_text("<p>Hello {{ name }}</p>\n")
    assert _render(templates, cache) == "<p>Hello Ada</p>\n"
    kept = list((cache / "templates" / code_version()).iterdir())
    assert len(kept) == 1
    # A changed template is compiled again, whatever the cache holds.
    (templates / "page.html").write_text("<p>Bye {{ name }}</p>\n")
    assert _render(templates, cache) == "<p>Bye Ada</p>\n"
    # The cache holds the code of the template as it is now, for the next build to read.
    source = (templates / "page.html").read_text()
    environment = make_environment(templates, compiled_templates(cache))
    bucket = environment.bytecode_cache.get_bucket(  # type: ignore[union-attr]
        environment, "page.html", str(templates / "page.html"), source
    )
    assert bucket.code is not None


def test_compiled_templates_of_other_code_go_after_a_week(tmp_path: Path) -> None:
    templates, cache = tmp_path / "templates", tmp_path / "cache"
    templates.mkdir()
    (templates / "page.html").write_text("x")
    old, recent = cache / "templates" / "old-version", cache / "templates" / "recent-version"
    for folder in (old, recent):
        folder.mkdir(parents=True)
    long_ago = time.time() - COMPILED_MAX_AGE - 60
    os.utime(old, (long_ago, long_ago))
    _render(templates, cache)
    assert not old.exists()
    assert recent.exists()
    assert (cache / "templates" / code_version()).exists()


def test_a_removed_cache_folder_costs_a_compile_not_the_page(tmp_path: Path) -> None:
    templates, cache = tmp_path / "templates", tmp_path / "cache"
    templates.mkdir()
    (templates / "page.html").write_text("<p>Hello {{ name }}</p>\n")
    (templates / "other.html").write_text("<p>Bye {{ name }}</p>\n")
    # A long-lived builder keeps its environment while the cache is removed under it.
    environment = make_environment(templates, compiled_templates(cache))
    shutil.rmtree(cache)
    assert environment.get_template("page.html").render(name="Ada") == "<p>Hello Ada</p>\n"
    assert len(list((cache / "templates" / code_version()).iterdir())) == 1
    # Even where no folder can be made, the page is rendered.
    shutil.rmtree(cache)
    cache.write_text("a file where the cache folder was")
    assert environment.get_template("other.html").render(name="Bo") == "<p>Bye Bo</p>\n"


def test_templates_compiled_ahead_are_loaded_not_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates, cache = tmp_path / "templates", tmp_path / "cache"
    for name, text in {
        "page.html": "{% extends 'base.html' %}{% block main %}Hi {{ name }}{% endblock %}",
        "base.html": "<main>{% block main %}{% endblock %}</main>\n",
        "partials/broken.html": "{% if %}",
        "email/note.txt": "Dear {{ name }}",
        "links/accept.html": "{{ name }}",
        "static/app.js": "let x = 1;",
    }.items():
        (templates / name).parent.mkdir(parents=True, exist_ok=True)
        (templates / name).write_text(text)
    # A template that does not compile is left for the build to report.
    found = compile_ahead(templates, compiled_templates(cache))
    # What each site template that parses uses, for the build not to parse it again.
    assert found == {
        "base.html": ("<main>{% block main %}{% endblock %}</main>\n", frozenset()),
        "page.html": ((templates / "page.html").read_text(), frozenset({"base.html"})),
    }
    kept = cache / "templates" / code_version()
    assert len(list(kept.iterdir())) == 2  # the site's templates that compile; no e-mail's
    compiles = _counted_compiles(monkeypatch)
    environment = make_environment(templates, compiled_templates(cache))
    assert environment.get_template("page.html").render(name="Ada") == "<main>Hi Ada</main>\n"
    assert compiles == []
    with pytest.raises(jinja2.TemplateSyntaxError):
        environment.get_template("partials/broken.html")
    assert compiles == ["partials/broken.html"]


@pytest.mark.parametrize("parts", [2, 3])
def test_shares_compiled_ahead_are_every_template_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: int
) -> None:
    templates, cache = tmp_path / "templates", tmp_path / "cache"
    names = [f"page-{number}.html" for number in range(7)]
    for number, name in enumerate(names):
        (templates / name).parent.mkdir(parents=True, exist_ok=True)
        (templates / name).write_text("<p>{{ name }}</p>" * (number + 1))
    (templates / "email" / "note.txt").parent.mkdir()
    (templates / "email" / "note.txt").write_text("Dear {{ name }}")
    compiles = _counted_compiles(monkeypatch)
    shares = []
    for part in range(parts):
        found = compile_ahead(templates, compiled_templates(cache), part, parts)
        assert sorted(found) == sorted(str(name) for name in compiles)
        shares.append(list(compiles))
        compiles.clear()
    assert sorted(str(name) for share in shares for name in share) == sorted(names)
    # Dealt largest first: no share is more than one template short of another.
    assert max(map(len, shares)) - min(map(len, shares)) <= 1
    assert "page-6.html" in shares[0]


def _counted_compiles(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The names of the templates Jinja compiles from now on, in order."""
    compiles: list[str | None] = []
    compile_ = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: Any, name: Any = None, *a: Any, **k: Any) -> Any:
        compiles.append(name)
        return compile_(self, source, name, *a, **k)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return compiles
