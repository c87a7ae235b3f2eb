"""Helpers in the inbox, in a real browser against `build.py serve`: a request's suggested
helpers, a helper's record, introducing one with a personal line, the months' figures; axe finds
no violation on any of it, and the record opens and closes from the keyboard."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import DevServer, first_sign_in, new_moderator, strings
from tests.browser.test_axe import violations
from tests.browser.test_inbox_flow import ask
from tests.functions.moderation.offers import confirmed, offer_item

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]


def helpers_strings(language: str) -> dict[str, Any]:
    """The inbox's helper strings in a language."""
    found: dict[str, Any] = strings(language)["admin"]["helpers"]
    return found


def store_offer(server: DevServer, name: str, **fields: Any) -> str:
    """A confirmed helper's offer in the served table, as the public function stores it."""
    item = confirmed(offer_item(server.table, server.client, name=name, **fields), time.time())
    server.client.put_item(TableName=server.table, Item=item)
    return str(item["id"]["S"])


@pytest.fixture
def axe_context(browser: Browser, dev_server: DevServer) -> Iterator[BrowserContext]:
    """A profile that may inject axe-core despite the pages' content security policy."""
    context = browser.new_context(base_url=dev_server.url, bypass_csp=True)
    yield context
    context.close()


@pytest.fixture
def request_page(axe_context: BrowserContext, dev_server: DevServer) -> Iterator[Page]:
    """A request sent through the form in English, open in the inbox of a new moderator."""
    page = axe_context.new_page()
    contact = f"helped-{uuid.uuid4().hex[:8]}@example.org"
    ask(page, "en", contact, f"Helpers {uuid.uuid4().hex[:8]}: I want to open a bakery.")
    (stored,) = dev_server.requests_from(contact)
    page.goto(f"/admin/en/request/?id={stored['id']['S']}")
    first_sign_in(page, new_moderator(dev_server))
    expect(page.locator("#request")).to_be_visible()
    yield page
    page.close()


def test_a_suggested_helper_is_shown_and_introduced(
    request_page: Page, dev_server: DevServer
) -> None:
    page = request_page
    marker = uuid.uuid4().hex[:8]
    text = helpers_strings("en")
    fits = f"Barbara {marker}"
    store_offer(dev_server, fits, topics=("business",), languages=("en", "de"), region="Leeds")
    store_offer(dev_server, f"Dieter {marker}", topics=("business",), languages=("de",))
    page.reload()
    expect(page.locator("#request")).to_be_visible()
    expect(page.locator("#introductions-empty")).to_be_visible()

    helper = page.locator("#suggestions-list li").filter(has_text=marker)
    expect(helper).to_have_count(1)
    expect(helper.locator("h3")).to_have_text(fits)
    expect(helper).to_contain_text("Leeds")
    expect(helper).to_contain_text(text["room"].replace("{count}", "2"))
    expect(helper).not_to_contain_text("@")
    assert violations(page) == []

    # From the keyboard: the personal line, then Tab to the button and Enter.
    helper.get_by_label(text["note"]).focus()
    page.keyboard.type("She ran a bakery for ten years.")
    page.keyboard.press("Tab")
    button = helper.get_by_role("button", name=text["introduce"].replace("{name}", fits))
    expect(button).to_be_focused()
    page.keyboard.press("Enter")

    introduced = text["introduced"].replace("{name}", fits)
    expect(page.locator("#admin-status")).to_have_text(introduced)
    expect(page.locator("#field-status")).to_have_text(
        strings("en")["admin"]["status"]["introducing"]
    )
    entry = page.locator("#introductions-list li")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(fits)
    expect(entry).to_contain_text(text["state"]["pending"])
    expect(entry).to_contain_text("She ran a bakery")
    expect(page.locator("#suggestions-closed")).to_be_visible()
    expect(page.locator("#suggestions-list li")).to_have_count(0)
    expect(page.locator("#history-list li").last).to_contain_text("introduced a helper")
    expect(page.locator("#introductions-title")).to_be_focused()
    assert violations(page) == []


def test_a_helpers_record_opens_and_closes_from_the_keyboard(
    request_page: Page, dev_server: DevServer
) -> None:
    page = request_page
    marker = uuid.uuid4().hex[:8]
    text = helpers_strings("en")
    name = f"Kasia {marker}"
    store_offer(dev_server, name, email=f"kasia-{marker}@example.org", topics=("business",))
    page.reload()
    helper = page.locator("#suggestions-list li").filter(has_text=marker)
    opener = helper.get_by_role("button", name=text["show_record"].replace("{name}", name))

    opener.focus()
    page.keyboard.press("Enter")

    expect(page.locator("#helper-record")).to_be_visible()
    expect(page.locator("#record-title")).to_be_focused()
    expect(page.locator("#record-title")).to_contain_text(name)
    expect(page.locator("#record-details")).to_contain_text(f"kasia-{marker}@example.org")
    expect(page.locator("#record-open li")).to_have_text([text["none"]])
    assert violations(page) == []
    page.locator("#record-close").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#helper-record")).to_be_hidden()
    expect(opener).to_be_focused()


@pytest.mark.parametrize("language", ["de", "pl"])
def test_the_inbox_shows_twelve_months_of_figures(
    axe_context: BrowserContext, dev_server: DevServer, language: str
) -> None:
    page = axe_context.new_page()
    page.goto(f"/admin/{language}/")
    first_sign_in(page, new_moderator(dev_server))

    rows = page.locator("#figures-rows tr")
    expect(rows).to_have_count(12)
    expect(rows.first.locator("th")).to_have_attribute("scope", "row")
    figures = strings(language)["admin"]["figures"]
    expect(page.locator("#figures-title")).to_have_text(figures["title"])
    assert violations(page) == []
    page.close()
