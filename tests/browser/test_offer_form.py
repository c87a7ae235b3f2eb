"""Offering help in a real browser: with and without JavaScript, stored in DynamoDB Local."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, Response, Route, expect

from tests.browser.conftest import ROOT, DevServer, front_matter, strings

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]

API = "**/api/helper-offers"
DRAFT_KEY = "ask-for-help:offer-draft"


def new_email() -> str:
    return f"helper-{uuid.uuid4().hex[:12]}@example.org"


def offers_from(server: DevServer, email: str) -> list[dict[str, Any]]:
    """Every stored offer of help from this address."""
    pages = server.client.get_paginator("scan").paginate(
        TableName=server.table,
        FilterExpression="begins_with(pk, :offer) AND email = :email",
        ExpressionAttributeValues={":offer": {"S": "offer#"}, ":email": {"S": email}},
        ConsistentRead=True,
    )
    return [item for page in pages for item in page["Items"]]


def fill(page: Page, email: str) -> None:
    """A complete offer: the page's language stays ticked; two ways of helping."""
    page.fill("#name", "Jola")
    page.fill("#email", email)
    page.check("#topics-mentoring")
    page.check("#topics-business")
    page.check("#ways-conversation")
    page.check("#ways-job-leads")
    page.fill("#capacity", "3")
    page.fill("#region", "Wrocław")
    page.check("#consent")


def thanks_title(language: str) -> str:
    title: str = front_matter(ROOT / "content/pages/offer-help" / f"thanks.{language}.md")["title"]
    return title


def sent_bodies(page: Page) -> list[dict[str, Any]]:
    """The JSON body of every offer the page sends from now on."""
    bodies: list[dict[str, Any]] = []

    def record(request: Request) -> None:
        if request.url.endswith("/api/helper-offers") and request.method == "POST":
            bodies.append(json.loads(request.post_data or "{}"))

    page.on("request", record)
    return bodies


@pytest.fixture
def plain_page(browser: Browser, dev_server: DevServer) -> Iterator[Page]:
    """A tab with JavaScript switched off."""
    context = browser.new_context(base_url=dev_server.url, java_script_enabled=False)
    yield context.new_page()
    context.close()


def api_answers(page: Page) -> list[int]:
    """The status of every answer the API gives from now on."""
    statuses: list[int] = []

    def record(response: Response) -> None:
        if response.url.endswith("/api/helper-offers"):
            statuses.append(response.status)

    page.on("response", record)
    return statuses


def test_without_javascript_an_offer_is_stored_and_thanked_for(
    plain_page: Page, dev_server: DevServer
) -> None:
    email = new_email()
    statuses = api_answers(plain_page)
    plain_page.goto("/pl/offer-help/")
    fill(plain_page, email)
    plain_page.click("button[type=submit]")

    plain_page.wait_for_url("**/pl/offer-help/thanks/")
    assert statuses == [303]
    expect(plain_page.locator("h1")).to_have_text(thanks_title("pl"))
    [stored] = offers_from(dev_server, email)
    assert stored["name"] == {"S": "Jola"}
    assert stored["topics"] == {"L": [{"S": "mentoring"}, {"S": "business"}]}
    assert stored["languages"] == {"L": [{"S": "pl"}]}
    assert stored["ways"] == {"L": [{"S": "conversation"}, {"S": "job-leads"}]}
    assert stored["capacity"] == {"N": "3"}
    assert stored["region"] == {"S": "Wrocław"}
    assert stored["language"] == {"S": "pl"}
    assert stored["status"] == {"S": "unconfirmed"}


def test_without_javascript_the_same_offer_sent_twice_is_stored_once(
    plain_page: Page, dev_server: DevServer
) -> None:
    email = new_email()
    for _ in range(2):
        plain_page.goto("/en/offer-help/")
        fill(plain_page, email)
        plain_page.click("button[type=submit]")
        plain_page.wait_for_url("**/en/offer-help/thanks/")
    assert len(offers_from(dev_server, email)) == 1


def test_without_javascript_a_refused_offer_shows_what_to_fix(
    plain_page: Page, dev_server: DevServer
) -> None:
    # The browser takes an address without a dot after the @; the contract does not.
    email = f"helper-{uuid.uuid4().hex[:8]}@localhost"
    plain_page.goto("/de/offer-help/")
    fill(plain_page, email)
    plain_page.click("button[type=submit]")

    plain_page.wait_for_url("**/de/offer-help/error/?errors=email.invalid")
    german = strings("de")["offer"]["errors"]
    expect(plain_page.locator("#error-email-invalid")).to_have_text(german["email"]["invalid"])
    expect(plain_page.locator("a.button")).to_have_attribute("href", "/de/offer-help/")
    assert offers_from(dev_server, email) == []


def test_without_javascript_a_filled_trap_is_thanked_and_not_stored(
    plain_page: Page, dev_server: DevServer
) -> None:
    email = new_email()
    plain_page.goto("/en/offer-help/")
    fill(plain_page, email)
    plain_page.fill("#website", "https://spam.example")
    plain_page.click("button[type=submit]")

    plain_page.wait_for_url("**/en/offer-help/thanks/")
    assert offers_from(dev_server, email) == []


def test_each_field_shows_its_error_in_german(page: Page) -> None:
    german = strings("de")["offer"]["errors"]
    bodies = sent_bodies(page)
    page.goto("/de/offer-help/")
    page.click("button[type=submit]")

    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#error-summary")).to_be_focused()
    expected = {
        "name": german["name"]["required"],
        "email": german["email"]["required"],
        "topics": german["topics"]["required"],
        "ways": german["ways"]["required"],
        "capacity": german["capacity"]["required"],
        "consent": german["consent"]["must_accept"],
    }
    for name, text in expected.items():
        expect(page.locator(f"#{name}-error")).to_have_text(text)
    # The page's own language is ticked to begin with.
    expect(page.locator("#languages-error")).to_be_hidden()
    expect(page.locator("#error-summary li")).to_have_text(list(expected.values()))
    expect(page.locator("#topics-job-search")).to_have_attribute("aria-invalid", "true")

    page.uncheck("#languages-de")
    page.fill("#email", "jola@example")
    page.fill("#capacity", "25")
    page.click("button[type=submit]")
    expect(page.locator("#languages-error")).to_have_text(german["languages"]["required"])
    expect(page.locator("#email-error")).to_have_text(german["email"]["invalid"])
    expect(page.locator("#capacity-error")).to_have_text(
        "Bitte geben Sie eine ganze Zahl von 1 bis 20 ein."
    )
    assert bodies == []


def test_a_link_in_the_summary_moves_to_the_first_box_of_a_group(page: Page) -> None:
    page.goto("/en/offer-help/")
    page.click("button[type=submit]")
    page.click("#error-summary a[data-field='topics']")
    expect(page.locator("#topics-job-search")).to_be_focused()
    page.check("#topics-other")
    expect(page.locator("#topics-error")).to_be_hidden()
    expect(page.locator("#topics-job-search")).not_to_have_attribute("aria-invalid", "true")


def test_with_javascript_an_offer_is_sent_as_json_and_stored(
    page: Page, dev_server: DevServer
) -> None:
    email = new_email()
    bodies = sent_bodies(page)
    page.goto("/en/offer-help/")
    fill(page, email)
    page.check("#languages-pl")
    page.click("button[type=submit]")

    page.wait_for_url("**/en/offer-help/thanks/")
    [body] = bodies
    assert body["capacity"] == 3
    assert body["topics"] == ["mentoring", "business"]
    assert body["languages"] == ["en", "pl"]
    assert body["consent"] is True
    assert body["language"] == "en"
    assert isinstance(body["started_at"], int)
    [stored] = offers_from(dev_server, email)
    assert stored["id"] == {"S": body["id"]}
    assert stored["languages"] == {"L": [{"S": "en"}, {"S": "pl"}]}
    assert page.evaluate(f"localStorage.getItem('{DRAFT_KEY}')") is None


def test_a_failed_attempt_is_retried_with_the_same_id(page: Page, dev_server: DevServer) -> None:
    german = strings("de")["offer"]["status"]
    email = new_email()
    ids: list[str] = []

    def flaky(route: Route) -> None:
        ids.append(json.loads(route.request.post_data or "{}")["id"])
        if len(ids) == 1:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route(API, flaky)
    page.goto("/de/offer-help/")
    fill(page, email)
    page.click("button[type=submit]")

    expect(page.locator("#offer-status")).to_have_text(german["retrying"])
    page.wait_for_url("**/de/offer-help/thanks/", timeout=15000)
    assert len(ids) == 2
    assert ids[0] == ids[1]
    [stored] = offers_from(dev_server, email)
    assert stored["id"] == {"S": ids[0]}


def test_the_draft_is_kept_across_a_reload(page: Page) -> None:
    polish = strings("pl")["offer"]["status"]
    page.goto("/pl/offer-help/")
    page.fill("#name", "Jola")
    page.check("#topics-business")
    page.uncheck("#languages-pl")
    page.check("#languages-de")
    page.check("#ways-mentoring")
    page.fill("#capacity", "2")
    page.reload()

    expect(page.locator("#offer-status")).to_have_text(polish["restored"])
    expect(page.locator("#name")).to_have_value("Jola")
    expect(page.locator("#capacity")).to_have_value("2")
    checked = page.locator("input[type=checkbox]:checked")
    expect(checked).to_have_count(3)
    for box in ("#topics-business", "#languages-de", "#ways-mentoring"):
        expect(page.locator(box)).to_be_checked()
    # The help request's draft is its own.
    assert page.evaluate("localStorage.getItem('ask-for-help:draft')") is None


def test_the_offer_page_is_linked_from_home_and_stories(context: BrowserContext) -> None:
    page = context.new_page()
    page.goto("/de/")
    page.click("a.button[href='/de/offer-help/']")
    page.wait_for_url("**/de/offer-help/")
    expect(page.locator("#offer-form")).to_be_visible()


def test_the_error_page_shows_only_what_the_api_named(page: Page) -> None:
    polish = strings("pl")["offer"]["errors"]
    page.goto("/pl/offer-help/error/?errors=capacity.invalid,consent.must_accept")
    items = page.locator(".error-list li:visible")
    expect(items).to_have_count(2)
    expect(items.first).to_have_text(polish["capacity"]["invalid"].format(fewest=1, most=20))
    expect(items.last).to_have_text(polish["consent"]["must_accept"])
