"""Asking for help in a real browser: with and without JavaScript, in every language."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.browser.conftest import LANGUAGES, ROOT, DevServer, front_matter, strings

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]

API = "**/api/help-requests"
MESSAGE = "I would like to find a mentor who knows the logistics trade."
DRAFT_KEY = "ask-for-help:draft"


def new_contact() -> str:
    return f"test-{uuid.uuid4().hex[:12]}@example.org"


def fill(page: Page, contact: str, message: str = MESSAGE) -> None:
    page.fill("#name", "Alex")
    page.fill("#contact", contact)
    page.select_option("#topic", "mentoring")
    page.fill("#message", message)
    page.check("#consent")


def thanks_title(language: str) -> str:
    title: str = front_matter(ROOT / "content/pages/ask" / f"thanks.{language}.md")["title"]
    return title


def sent_bodies(page: Page) -> list[dict[str, Any]]:
    """Collects the JSON body of every API request the page sends from now on."""
    bodies: list[dict[str, Any]] = []

    def record(request: Request) -> None:
        if request.url.endswith("/api/help-requests") and request.method == "POST":
            bodies.append(json.loads(request.post_data or "{}"))

    page.on("request", record)
    return bodies


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_request_is_sent_and_stored_once(
    page: Page, dev_server: DevServer, language: str
) -> None:
    contact = new_contact()
    bodies = sent_bodies(page)
    page.goto(f"/{language}/ask/")
    fill(page, contact)
    page.click("button[type=submit]")

    page.wait_for_url(f"**/{language}/ask/thanks/")
    expect(page.locator("h1")).to_have_text(thanks_title(language))
    [stored] = dev_server.requests_from(contact)
    assert (stored["language"]["S"], stored["topic"]["S"]) == (language, "mentoring")
    assert (stored["message"]["S"], stored["name"]["S"]) == (MESSAGE, "Alex")
    [body] = bodies
    assert stored["id"]["S"] == body["id"] == str(uuid.UUID(body["id"]))
    assert body["consent"] is True
    assert 0 < body["started_at"] <= body["sent_at"] <= time.time() * 1000
    assert page.evaluate(f"localStorage.getItem('{DRAFT_KEY}')") is None
    page.go_back()
    expect(page.locator("#message")).to_have_value("")
    expect(page.locator("#contact")).to_have_value("")


@pytest.mark.parametrize("language", LANGUAGES)
def test_without_javascript_the_form_posts_and_redirects(
    browser: Browser, dev_server: DevServer, language: str
) -> None:
    context = browser.new_context(base_url=dev_server.url, java_script_enabled=False)
    page = context.new_page()
    contact = new_contact()
    page.goto(f"/{language}/ask/")
    fill(page, contact)
    with page.expect_response(API) as sent:
        page.click("button[type=submit]")
    assert sent.value.status == 303
    page.wait_for_url(f"**/{language}/ask/thanks/")
    expect(page.locator("h1")).to_have_text(thanks_title(language))
    [stored] = dev_server.requests_from(contact)
    assert (stored["language"]["S"], stored["message"]["S"]) == (language, MESSAGE)
    context.close()


def test_without_javascript_problems_are_listed_in_the_visitors_language(
    browser: Browser, dev_server: DevServer
) -> None:
    context = browser.new_context(base_url=dev_server.url, java_script_enabled=False)
    page = context.new_page()
    contact = "not an address"
    page.goto("/de/ask/")
    fill(page, contact)
    page.click("button[type=submit]")

    page.wait_for_url("**/de/ask/error/?errors=contact.invalid")
    german = strings("de")["errors"]
    expect(page.locator("#error-contact-invalid")).to_have_text(german["contact"]["invalid"])
    # Without a script every rule stays listed.
    expect(page.locator("#error-message-too_short")).to_be_visible()
    assert dev_server.requests_from(contact) == []
    context.close()


def test_the_error_page_narrows_to_the_problems_sent(page: Page) -> None:
    page.goto("/pl/ask/error/?errors=contact.invalid,message.too_short,bogus")
    polish = strings("pl")["errors"]
    expect(page.locator(".error-list li:visible")).to_have_text(
        [polish["contact"]["invalid"], polish["message"]["too_short"]]
    )


def test_the_error_page_keeps_every_rule_for_unknown_codes(page: Page) -> None:
    page.goto("/en/ask/error/?errors=<script>,id.invalid")
    assert page.locator(".error-list li:visible").count() == page.locator(".error-list li").count()


def test_invalid_input_shows_localised_messages_and_sends_nothing(
    page: Page, dev_server: DevServer
) -> None:
    german = strings("de")["errors"]
    bodies = sent_bodies(page)
    page.goto("/de/ask/")
    page.fill("#message", "kurz")
    page.click("button[type=submit]")

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.locator("li")).to_have_text(
        [
            german["contact"]["required"],
            german["topic"]["required"],
            german["message"]["too_short"],
            german["consent"]["must_accept"],
        ]
    )
    for name, code in [
        ("contact", "required"),
        ("message", "too_short"),
        ("consent", "must_accept"),
    ]:
        expect(page.locator(f"#{name}-error")).to_have_text(german[name][code])
        expect(page.locator(f"#{name}")).to_have_attribute("aria-invalid", "true")
        described_by = page.get_attribute(f"#{name}", "aria-describedby") or ""
        assert set(described_by.split()) == {f"{name}-hint", f"{name}-error"}
    expect(page.locator("#name")).not_to_have_attribute("aria-invalid", "true")
    assert bodies == []

    summary.locator("a", has_text=german["topic"]["required"]).click()
    expect(page.locator("#topic")).to_be_focused()


def test_messages_update_as_the_person_types(page: Page) -> None:
    polish = strings("pl")["errors"]
    page.goto("/pl/ask/")
    page.fill("#contact", "jan@")
    page.locator("#contact").blur()
    expect(page.locator("#contact-error")).to_have_text(polish["contact"]["invalid"])
    page.fill("#contact", "+48 600 100 200")
    expect(page.locator("#contact-error")).to_be_hidden()
    expect(page.locator("#contact")).not_to_have_attribute("aria-invalid", "true")


def test_errors_from_the_api_are_shown_in_the_page_language(
    page: Page, dev_server: DevServer
) -> None:
    """What the page cannot check itself (here a topic it never offers) comes back as a 422."""
    contact = new_contact()

    def tamper(route: Any) -> None:
        body = json.loads(route.request.post_data or "{}")
        route.continue_(post_data=json.dumps(body | {"topic": "astrology"}))

    page.route(API, tamper)
    page.goto("/en/ask/")
    fill(page, contact)
    with page.expect_response(API) as answered:
        page.click("button[type=submit]")
    assert answered.value.status == 422
    english = strings("en")["errors"]
    expect(page.locator("#topic-error")).to_have_text(english["topic"]["invalid_choice"])
    expect(page.locator("#error-summary")).to_be_focused()
    assert dev_server.requests_from(contact) == []
