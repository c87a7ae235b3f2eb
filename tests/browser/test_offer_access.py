"""The offer form works by keyboard alone and reflows at 400% zoom."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LANGUAGES, DevServer
from tests.browser.test_ask_access import tab_to
from tests.browser.test_offer_form import offers_from

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]


def test_keyboard_only(page: Page, dev_server: DevServer) -> None:
    email = f"keys-{uuid.uuid4().hex[:12]}@example.org"
    page.goto("/en/offer-help/")
    tab_to(page, "name")
    page.keyboard.type("Sam")
    assert tab_to(page, "email") == ["email"]
    page.keyboard.type(email)
    assert tab_to(page, "topics-job-search") == ["topics-job-search"]
    page.keyboard.press("Space")
    # The page's language is ticked already; Tab passes every box of a group.
    tab_to(page, "ways-job-leads")
    page.keyboard.press("Space")
    tab_to(page, "capacity")
    page.keyboard.type("4")
    assert tab_to(page, "region") == ["region"]
    assert tab_to(page, "consent") == ["consent"]
    page.keyboard.press("Space")
    # The honeypot is never reached by Tab; the privacy link in the hint is.
    assert tab_to(page, "BUTTON") == ["A", "BUTTON"]
    page.keyboard.press("Enter")

    page.wait_for_url("**/en/offer-help/thanks/")
    [stored] = offers_from(dev_server, email)
    assert stored["topics"] == {"L": [{"S": "job-search"}]}
    assert stored["ways"] == {"L": [{"S": "job-leads"}]}
    assert stored["capacity"] == {"N": "4"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_form_reflows_at_400_percent(
    browser: Browser, dev_server: DevServer, language: str
) -> None:
    """A 1280 px wide window at 400% zoom is 320 CSS pixels wide."""
    width = 320
    context = browser.new_context(
        base_url=dev_server.url, viewport={"width": width, "height": 512}, device_scale_factor=2
    )
    page = context.new_page()
    page.goto(f"/{language}/offer-help/")
    page.click("button[type=submit]")
    expect(page.locator("#error-summary")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in ["#email", "#topics-returning-to-work", "#capacity", "#region", "#consent"]:
        box = page.locator(selector).bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width, f"{selector} sticks out at {width} px"
    context.close()
