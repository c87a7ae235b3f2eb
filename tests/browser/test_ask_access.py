"""The form works by keyboard alone, shows where focus is, and reflows at 200% and 400% zoom."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LANGUAGES, DevServer

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]

FOCUS_RING = """() => {
  const style = getComputedStyle(document.activeElement);
  return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
}"""
ACTIVE = "() => document.activeElement.id || document.activeElement.tagName"


def tab_to(page: Page, target: str, limit: int = 40) -> list[str]:
    """Press Tab until the element with id `target` has focus; the ids passed on the way."""
    passed: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        active: str = page.evaluate(ACTIVE)
        passed.append(active)
        assert page.evaluate(FOCUS_RING), f"no visible focus on {active}"
        if active == target:
            return passed
    pytest.fail(f"Tab never reached #{target}; passed {passed}")


def test_keyboard_only(page: Page, dev_server: DevServer) -> None:
    contact = f"keys-{uuid.uuid4().hex[:12]}@example.org"
    page.goto("/en/ask/")
    tab_to(page, "name")
    page.keyboard.type("Sam")
    assert tab_to(page, "contact") == ["contact"]
    page.keyboard.type(contact)
    assert tab_to(page, "topic") == ["topic"]
    page.keyboard.press("ArrowDown")
    assert tab_to(page, "message") == ["message"]
    page.keyboard.type("I run a small bakery and need advice on exporting.")
    assert tab_to(page, "consent") == ["consent"]
    page.keyboard.press("Space")
    # The honeypot is never reached by Tab; the privacy link in the hint is.
    assert tab_to(page, "BUTTON") == ["A", "BUTTON"]
    page.keyboard.press("Enter")

    page.wait_for_url("**/en/ask/thanks/")
    [stored] = dev_server.requests_from(contact)
    assert stored["topic"]["S"] == "job-search"


def test_keyboard_only_errors_lead_back_to_the_field(page: Page) -> None:
    page.goto("/en/ask/")
    tab_to(page, "BUTTON")
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#error-summary a").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#contact")).to_be_focused()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", [640, 320], ids=["200%", "400%"])
def test_the_form_reflows_when_zoomed(
    browser: Browser, dev_server: DevServer, language: str, width: int
) -> None:
    """A 1280 px wide window at 200% zoom is 640 CSS pixels wide; at 400%, 320."""
    context = browser.new_context(
        base_url=dev_server.url, viewport={"width": width, "height": 512}, device_scale_factor=2
    )
    page = context.new_page()
    page.goto(f"/{language}/ask/")
    page.click("button[type=submit]")
    expect(page.locator("#error-summary")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in ["#name", "#contact", "#topic", "#message", "#consent", "button[type=submit]"]:
        box = page.locator(selector).bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width, f"{selector} sticks out at {width} px"
    context.close()
