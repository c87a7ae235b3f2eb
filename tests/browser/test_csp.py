"""Every page runs under production's content security policy without a violation or an error."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Error, Page

from tests.browser.conftest import LANGUAGES, page_types

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_load_without_console_errors(page: Page, language: str) -> None:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The not-found page's own 404 status is logged as a failed resource; that one is meant.
        if message.type == "error" and "404 (Not Found)" not in message.text:
            problems.append(f"{page.url}: {message.text}")

    def on_error(error: Error) -> None:
        problems.append(f"{page.url}: {error.message}")

    page.on("console", on_console)
    page.on("pageerror", on_error)
    for url in page_types(language).values():
        response = page.goto(url)
        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
    assert problems == []
