"""The moderators' inbox pages: built in every language from the UI strings, never indexed,
and in step with the moderators' API's contract."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from sitegen.errors import ContentError
from sitegen.incremental.builder import build_site, check_site
from sitegen.options import TEMPLATES, BuildOptions
from sitegen.render import admin

ROOT = Path(__file__).resolve().parents[3]
CONTENT = ROOT / "content"
CONTRACT = ROOT / "functions" / "moderation" / "openapi.yaml"
VIEWS = ("", "request/", "contacts/")
LANGUAGES = ("en", "de", "pl")


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("inbox")
    options = BuildOptions(content=CONTENT, output=base / "public", cache=base / "cache")
    build_site(options)
    return options.output


def page(public: Path, url: str) -> str:
    return (public / url.lstrip("/") / "index.html").read_text("utf-8")


def contract() -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load(CONTRACT.read_text("utf-8"))
    return data


def test_every_view_is_built_in_every_language(public: Path) -> None:
    built = sorted(p.relative_to(public).as_posix() for p in (public / "admin").rglob("*.html"))
    expected = [f"admin/{code}/{view}index.html" for code in LANGUAGES for view in VIEWS]
    assert built == sorted([*expected, "admin/index.html", "admin/request/index.html"])
    for code in LANGUAGES:
        for view in VIEWS:
            text = page(public, f"/admin/{code}/{view}")
            assert f'<html lang="{code}">' in text
            assert len(re.findall(r"<h1[ >]", text)) == 1


def test_inbox_pages_are_never_indexed_nor_listed(public: Path) -> None:
    for path in (public / "admin").rglob("*.html"):
        assert '<meta name="robots" content="noindex, nofollow">' in path.read_text("utf-8")
    robots = (public / "robots.txt").read_text("utf-8")
    assert "Disallow: /admin/\n" in robots.splitlines(keepends=True)
    assert "Disallow: /api/\n" in robots.splitlines(keepends=True)
    assert "/admin" not in (public / "sitemap.xml").read_text("utf-8")


def test_pages_carry_no_inline_script_or_style(public: Path) -> None:
    for path in (public / "admin").rglob("*.html"):
        text = path.read_text("utf-8")
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text) == [], path
        assert "<style" not in text, path
        assert " style=" not in text, path
        assert re.findall(r"<[^>]*\son[a-z]+\s*=", text) == [], path


def test_strings_come_in_the_pages_language(public: Path) -> None:
    assert "Sign in" in page(public, "/admin/en/")
    assert "Anmelden" in page(public, "/admin/de/")
    assert "Zaloguj się" in page(public, "/admin/pl/")
    german = page(public, "/admin/de/request/")
    assert "Mir zuweisen" in german
    assert "Assign to me" not in german
    # Every language's reply template travels in every page: the reply is in the request's.
    for code, greeting in (("en", "Hello,"), ("de", "Hallo,"), ("pl", "Dzień dobry,")):
        assert f'<p data-lang="{code}" data-part="greeting_anonymous">{greeting}</p>' in german


def test_the_language_choosers_link_to_each_language(public: Path) -> None:
    chooser = (public / "admin" / "index.html").read_text("utf-8")
    request = (public / "admin" / "request" / "index.html").read_text("utf-8")
    for code, label in (("en", "Continue in English"), ("de", "Weiter auf Deutsch")):
        assert f'href="/admin/{code}/" hreflang="{code}"' in chooser
        assert f'href="/admin/{code}/request/" hreflang="{code}"' in request
        assert label in chooser
    assert "js/admin-language." in chooser


def test_statuses_and_error_codes_are_the_contracts() -> None:
    schemas = contract()["components"]["schemas"]  # type: ignore[index]
    responses = contract()["components"]["responses"]  # type: ignore[index]
    assert tuple(schemas["Status"]["enum"]) == admin.STATUSES
    errors = schemas["Error"]["properties"]["error"]["enum"]
    conflict = responses["Conflict"]["content"]["application/json"]["schema"]
    assert (*errors, conflict["properties"]["error"]["const"]) == admin.API_ERRORS
    invalid = responses["Invalid"]["content"]["application/json"]["schema"]
    codes = invalid["properties"]["errors"]["items"]["properties"]["code"]["enum"]
    assert tuple(codes) == admin.FIELD_ERRORS
    assert schemas["StatusChange"]["properties"]["note"]["maxLength"] == admin.NOTE_MAX_LENGTH
    assert schemas["Contact"]["properties"]["contact"]["maxLength"] == admin.CONTACT_MAX_LENGTH


def test_the_status_choices_are_offered_in_the_pages(public: Path) -> None:
    request = page(public, "/admin/en/request/")
    inbox = page(public, "/admin/en/")
    for status in admin.STATUSES:
        assert f'id="status-{status}" value="{status}"' in request
        assert f'<option value="{status}">' in inbox
    assert 'maxlength="2000"' in request


def test_scripts_name_only_strings_that_exist() -> None:
    uses = admin.script_uses(TEMPLATES / "static")
    assert len(uses) > 50
    strings = yaml.safe_load((CONTENT / "i18n" / "en.yaml").read_text("utf-8"))
    for use in uses:
        value: object = strings
        for part in use.key.split("."):
            assert isinstance(value, dict), f"{use.path}:{use.line} {use.key}"
            assert part in value, f"{use.path}:{use.line} {use.key}"
            value = value[part]


def copy_site(tmp_path: Path) -> tuple[Path, Path]:
    content = tmp_path / "content"
    templates = tmp_path / "templates"
    shutil.copytree(CONTENT, content)
    shutil.copytree(TEMPLATES, templates)
    return content, templates


def test_a_missing_inbox_string_stops_the_build(tmp_path: Path) -> None:
    content, templates = copy_site(tmp_path)
    german = content / "i18n" / "de.yaml"
    german.write_text(german.read_text("utf-8").replace("    assign: Mir zuweisen\n", ""), "utf-8")
    with pytest.raises(ContentError) as caught:
        check_site(BuildOptions(content=content, templates=templates, cache=tmp_path / "c"))
    assert "missing UI string 'admin.request.assign'" in caught.value.format()


def test_a_string_only_a_script_names_must_exist(tmp_path: Path) -> None:
    content, templates = copy_site(tmp_path)
    script = templates / "static" / "js" / "admin-inbox.js"
    script.write_text(
        script.read_text("utf-8") + '\ntext("admin.inbox.no_such_string");\n', "utf-8"
    )
    with pytest.raises(ContentError) as caught:
        check_site(BuildOptions(content=content, templates=templates, cache=tmp_path / "c"))
    message = caught.value.format()
    assert "UI string 'admin.inbox.no_such_string' is not defined" in message
    assert "admin-inbox.js" in message
