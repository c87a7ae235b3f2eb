"""The moderators' inbox with the keyboard alone: sign in, find a request, assign and answer it,
export, erase a contact and sign out, never touching a mouse, and always seeing where focus is."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser.conftest import (
    INBOX_PASSWORD,
    DevServer,
    new_moderator,
    strings,
    totp_code,
)
from tests.browser.test_inbox_flow import ask

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]

MOST_TABS = 80
# Focus must be seen: the :focus-visible outline, or a box shadow standing in for it.
FOCUS_SEEN = """element => {
  const style = getComputedStyle(element);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return element.matches(":focus-visible") && (outlined || style.boxShadow !== "none");
}"""


def tab_to(page: Page, target: Locator, *, backwards: bool = False) -> None:
    """Press Tab until `target` has focus, and check that the focus shows."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MOST_TABS):
        page.keyboard.press(key)
        if target.evaluate("element => element === document.activeElement"):
            assert target.evaluate(FOCUS_SEEN), f"focus on {target} cannot be seen"
            return
    raise AssertionError(f"{MOST_TABS} presses of {key} never reached {target}")


def type_into(page: Page, target: Locator, text: str) -> None:
    tab_to(page, target)
    page.keyboard.type(text)


def test_the_whole_inbox_by_keyboard(context: BrowserContext, dev_server: DevServer) -> None:
    marker = f"keyboard {uuid.uuid4().hex[:8]}"
    contact = f"keys-{uuid.uuid4().hex[:8]}@example.org"
    visitor = context.new_page()
    ask(visitor, "en", contact, f"{marker}: how do I register a small business?")
    ask(visitor, "en", contact.upper(), "And which insurance does a small shop need?")
    visitor.close()
    moderator = new_moderator(dev_server)
    page = context.new_page()
    texts = strings("en")["admin"]
    page.goto("/admin/en/")

    type_into(page, page.locator("#signin-name"), moderator.name)
    type_into(page, page.locator("#signin-secret"), moderator.password)
    page.keyboard.press("Enter")
    expect(page.locator("#new-password-title")).to_be_focused()
    type_into(page, page.locator("#new-password"), INBOX_PASSWORD)
    type_into(page, page.locator("#new-password-again"), INBOX_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#setup-title")).to_be_focused()
    secret = page.locator("#setup-secret").inner_text()
    tab_to(page, page.locator("#setup-uri"))
    type_into(page, page.locator("#setup-code"), totp_code(secret))
    page.keyboard.press("Enter")
    expect(page.locator("#view-title")).to_be_focused()

    tab_to(page, page.locator("#filter-topic"))
    page.keyboard.type(strings("en")["topics"]["business"])
    expect(page.locator("#filter-topic")).to_have_value("business")
    tab_to(page, page.locator("#filter-language"))
    page.keyboard.type("English")
    expect(page.locator("#filter-language")).to_have_value("en")
    tab_to(page, page.locator("#inbox-filters button[type=submit]"))
    with page.expect_response(lambda response: "/api/admin/requests?" in response.url):
        page.keyboard.press("Enter")
    link = page.locator("#inbox-list li").filter(has_text=marker).locator("a")
    expect(link).to_have_count(1)
    tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page.locator("#request")).to_be_visible()
    assert page.locator("#field-contact").inner_text() == contact

    tab_to(page, page.locator("#assign"))
    page.keyboard.press("Enter")
    expect(page.locator("#assigned-yours")).to_be_visible()
    tab_to(page, page.locator("#status-new"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#status-answered")).to_be_checked()
    type_into(page, page.locator("#note"), "Sent the chamber of commerce's checklist.")
    tab_to(page, page.locator("#status-form button[type=submit]"))
    page.keyboard.press("Enter")
    expect(page.locator("#history-list li")).to_have_count(2)
    expect(page.locator("#field-status")).to_have_text(texts["status"]["answered"])

    tab_to(page, page.locator("#admin-nav a").first, backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator("#summary-waiting")).not_to_have_text(texts["inbox"]["loading"])
    tab_to(page, page.locator("[data-export=csv]"))
    with page.expect_download() as caught:
        page.keyboard.press("Enter")
    assert caught.value.suggested_filename.endswith(".csv")
    Path(caught.value.path()).unlink()

    tab_to(page, page.locator("#admin-nav a").nth(1), backwards=True)
    page.keyboard.press("Enter")
    type_into(page, page.locator("#contact"), contact)
    tab_to(page, page.locator("[data-action=erase]"))
    page.keyboard.press("Enter")
    expect(page.locator("#erase-question")).to_be_focused()
    tab_to(page, page.locator("[data-confirm=erase]"))
    page.keyboard.press("Enter")
    expect(page.locator("#admin-status")).to_have_text(texts["contacts"]["erased"].format(count=2))
    assert dev_server.requests_from(contact) == dev_server.requests_from(contact.upper()) == []

    tab_to(page, page.locator("#sign-out"), backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator("#admin-status")).to_have_text(texts["signin"]["signed_out"])
    expect(page.locator("#signin-password")).to_be_visible()
