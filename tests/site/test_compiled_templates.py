"""Compiled templates are kept in the cache for the next build, and never outlive their source."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sitegen.fingerprint import code_version
from sitegen.render import COMPILED_MAX_AGE, make_environment


def _render(templates: Path, cache: Path) -> str:
    return make_environment(templates, cache).get_template("page.html").render(name="Ada")


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
    environment = make_environment(templates, cache)
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
