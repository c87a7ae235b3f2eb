"""The ask page carries the API's form contract; the error page lists every rule."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from pathlib import Path

import pytest

from functions.help_requests.contract import load_contract
from sitegen.incremental.builder import build_site
from sitegen.options import BuildOptions
from sitegen.render import form

FIXTURE = Path(__file__).resolve().parents[1] / "fixture"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("site")
    output = base / "public"
    build_site(BuildOptions(FIXTURE, output, cache=base / "cache", today=date(2024, 6, 1)))
    built = (path for path in output.rglob("*") if path.suffix in {".html", ".xml", ".txt"})
    return {path.relative_to(output).as_posix(): path.read_text("utf-8") for path in built}


def test_form_posts_the_contract_fields(files: dict[str, str]) -> None:
    page = files["en/ask/index.html"]
    assert '<form id="ask-form" class="ask-form" method="post" action="/api/help-requests"' in page
    form_html = page.split("<form ")[1].split("</form>")[0]
    names = re.findall(r'name="([a-z_]+)"', form_html)
    assert sorted(set(names)) == [
        "consent",
        "contact",
        "language",
        "message",
        "name",
        "topic",
        "website",
    ]
    assert 'name="id"' not in page
    assert 'name="started_at"' not in page
    assert '<input type="hidden" name="language" value="en">' in page
    assert 'minlength="10" maxlength="5000"' in page
    assert 'type="checkbox" value="on" required' in page


def test_every_field_has_label_hint_and_error(files: dict[str, str]) -> None:
    page = files["en/ask/index.html"]
    for field in ("name", "contact", "topic", "message", "consent"):
        assert f'<label for="{field}">' in page
        assert f'id="{field}-hint"' in page
        assert f'<p class="field-error" id="{field}-error" hidden></p>' in page
    assert 'id="error-summary"' in page
    assert 'aria-live="polite"' in page
    assert '<div class="trap" aria-hidden="true">' in page


def test_messages_for_every_rule_are_in_the_page(files: dict[str, str]) -> None:
    template = files["en/ask/index.html"].split('<template id="ask-messages">')[1]
    for rule in form.RULES + form.HIDDEN_RULES + form.REQUEST_RULES:
        assert f'data-field="{rule.field}" data-code="{rule.code}"' in template
    for status in form.STATUSES:
        assert f'data-status="{status}"' in template


def test_error_page_lists_every_rule(files: dict[str, str]) -> None:
    page = files["en/ask/error/index.html"]
    ids = re.findall(r'<li id="(error-[a-z_]+-[a-z_]+)">', page)
    assert ids == [rule.element_id for rule in form.RULES + form.REQUEST_RULES]
    assert "error-request-rate_limited" in ids
    assert '<meta name="robots" content="noindex">' in page


def test_topics_and_limits_are_those_the_api_validates_by(files: dict[str, str]) -> None:
    contract = load_contract()
    pages = [page for page in files.values() if 'id="ask-form"' in page]
    assert pages
    for page in pages:
        values = re.findall(r'<option value="([a-z-]*)">', page)
        assert values == ["", *contract.topics]
        limits = re.findall(r'id="(\w+)" name="\w+"[^>]*?maxlength="(\d+)"', page)
        assert dict(limits) == {k: str(v) for k, v in contract.max_length.items()}
        minimum = re.search(r'id="message"[^>]*?minlength="(\d+)"', page)
        assert minimum is not None
        assert minimum.group(1) == str(contract.min_length["message"])


def test_the_contact_patterns_are_those_the_api_validates_by(files: dict[str, str]) -> None:
    contract = load_contract()
    for page in (page for page in files.values() if 'id="ask-form"' in page):
        found = re.search(r'id="contact"[^>]*? data-patterns="([^"]*)"', page)
        assert found is not None
        patterns = json.loads(html.unescape(found.group(1)))
        assert patterns == [pattern.pattern for pattern in contract.contact_patterns]
