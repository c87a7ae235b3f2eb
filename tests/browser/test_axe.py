"""axe-core finds no accessibility violation on any page type, in any language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.conftest import LANGUAGES, ROOT, DevServer, page_types

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations"

CASES = [(language, kind) for language in LANGUAGES for kind in page_types(language)]


@pytest.fixture(scope="module")
def axe_context(browser: Browser, dev_server: DevServer) -> Iterator[BrowserContext]:
    """A profile that may inject axe-core despite the pages' content security policy."""
    context = browser.new_context(base_url=dev_server.url, bypass_csp=True)
    yield context
    context.close()


def violations(page: Page) -> list[str]:
    """axe-core's violations, one readable line each."""
    page.add_script_tag(path=AXE)
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return [
        f"{item['id']} ({item['impact']}): {item['help']} at "
        + ", ".join(str(node["target"]) for node in item["nodes"])
        for item in found
    ]


@pytest.mark.parametrize(("language", "kind"), CASES, ids=[f"{lang}-{k}" for lang, k in CASES])
def test_no_violations(axe_context: BrowserContext, language: str, kind: str) -> None:
    page = axe_context.new_page()
    response = page.goto(page_types(language)[kind])
    assert response is not None
    assert response.status == (404 if kind == "not found" else 200)
    assert violations(page) == []
    page.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_violations_while_the_form_shows_errors(
    axe_context: BrowserContext, language: str
) -> None:
    page = axe_context.new_page()
    page.goto(f"/{language}/ask/")
    page.fill("#contact", "nobody@")
    page.click("button[type=submit]")
    page.wait_for_selector("#error-summary:not([hidden])")
    assert violations(page) == []
    page.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_violations_while_the_offer_form_shows_errors(
    axe_context: BrowserContext, language: str
) -> None:
    page = axe_context.new_page()
    page.goto(f"/{language}/offer-help/")
    page.fill("#email", "nobody@")
    page.fill("#capacity", "99")
    page.click("button[type=submit]")
    page.wait_for_selector("#error-summary:not([hidden])")
    page.wait_for_selector("#topics-error:not([hidden])")
    assert violations(page) == []
    page.close()
