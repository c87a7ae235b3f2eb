"""The moderators' inbox in a real browser against `build.py serve` (DynamoDB Local, Cognito on
moto): sign in with the authenticator step, answer a request sent through the ask form, export,
and honour access and erasure requests."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.browser.conftest import (
    DevServer,
    first_sign_in,
    new_moderator,
    printed_moderator,
    sign_in_again,
    strings,
)

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]


def inbox(language: str) -> dict[str, Any]:
    """The inbox's strings in a language."""
    found: dict[str, Any] = strings(language)["admin"]
    return found


@pytest.fixture
def moderator_page(context: BrowserContext, dev_server: DevServer) -> Iterator[Page]:
    """A tab signed in to the English inbox as a new moderator."""
    page = context.new_page()
    page.goto("/admin/en/")
    first_sign_in(page, new_moderator(dev_server))
    yield page
    page.close()


def ask(page: Page, language: str, contact: str, message: str, name: str = "Ola") -> None:
    """Send a request through the site's ask form."""
    page.goto(f"/{language}/ask/")
    page.fill("#name", name)
    page.fill("#contact", contact)
    page.select_option("#topic", "business")
    page.fill("#message", message)
    page.check("#consent")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/{language}/ask/thanks/")


def listed(page: Page, button: str) -> None:
    """Press a button that loads requests into the list, and wait until they are shown."""
    with page.expect_response(lambda response: "/api/admin/requests?" in response.url):
        page.click(button)
    expect(page.locator("#inbox-results")).not_to_have_attribute("aria-busy", "true")


def find(page: Page, text: str) -> None:
    """Page through the list until a request showing `text` is there, and open it."""
    item = page.locator("#inbox-list li").filter(has_text=text)
    expect(page.locator("#inbox-results")).not_to_have_attribute("aria-busy", "true")
    while not item.count():
        expect(page.locator("#inbox-more")).to_be_visible()
        listed(page, "#inbox-more")
    item.locator("a").click()
    expect(page.locator("#request")).to_be_visible()


def field(page: Page, name: str) -> str:
    return page.locator(f"#field-{name}").inner_text()


def test_the_moderator_printed_in_the_terminal_signs_in_with_an_authenticator(
    page: Page, dev_server: DevServer
) -> None:
    moderator = printed_moderator(dev_server)
    page.goto("/admin/")
    page.wait_for_url("**/admin/en/")
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#admin-view")).to_be_hidden()
    secret = first_sign_in(page, moderator)
    setup_link = page.locator("#setup-uri").get_attribute("href") or ""
    assert setup_link.startswith("otpauth://totp/")
    assert f"secret={secret.replace(' ', '')}&" in setup_link
    expect(page.locator("#signed-in-as")).to_contain_text(moderator.name)
    expect(page.locator("#summary-waiting")).not_to_have_text(inbox("en")["inbox"]["loading"])
    # Tokens live in this tab only.
    assert page.evaluate("() => Object.keys(localStorage)") == ["ask-for-help:admin-language"]
    assert "ask-for-help:admin-session" in page.evaluate("() => Object.keys(sessionStorage)")

    page.click("#sign-out")
    expect(page.locator("#admin-status")).to_have_text(inbox("en")["signin"]["signed_out"])
    expect(page.locator("#admin-view")).to_be_hidden()
    assert page.evaluate("() => sessionStorage.getItem('ask-for-help:admin-session')") is None
    sign_in_again(page, moderator.name, secret)
    expect(page.locator("#view-title")).to_have_text(inbox("en")["inbox"]["title"])


def test_a_wrong_code_or_password_is_refused_in_the_moderators_language(
    page: Page, dev_server: DevServer
) -> None:
    moderator = new_moderator(dev_server)
    page.goto("/admin/de/")
    page.fill("#signin-name", moderator.name)
    page.fill("#signin-secret", "Not-the-password-1")
    page.click("#signin-password button[type=submit]")
    expect(page.locator("#admin-alert")).to_have_text(inbox("de")["signin"]["wrong_password"])
    page.fill("#signin-secret", moderator.password)
    page.click("#signin-password button[type=submit]")
    page.fill("#new-password", "Ein-neues-Passw0rt")
    page.fill("#new-password-again", "Ein-anderes-Passw0rt")
    page.click("#signin-new-password button[type=submit]")
    expect(page.locator("#admin-alert")).to_have_text(inbox("de")["signin"]["password_mismatch"])
    page.fill("#new-password-again", "Ein-neues-Passw0rt")
    page.click("#signin-new-password button[type=submit]")
    expect(page.locator("#signin-setup")).to_be_visible()
    page.fill("#setup-code", "12345")
    page.click("#signin-setup button[type=submit]")
    expect(page.locator("#admin-alert")).to_have_text(inbox("de")["signin"]["code_format"])
    page.fill("#setup-code", "000000")
    page.click("#signin-setup button[type=submit]")
    expect(page.locator("#admin-alert")).to_have_text(inbox("de")["signin"]["wrong_code"])
    expect(page.locator("#admin-view")).to_be_hidden()


def test_a_request_from_the_form_is_assigned_answered_and_exported(
    moderator_page: Page, context: BrowserContext
) -> None:
    page = moderator_page
    marker = f"Bitte um Rat {uuid.uuid4().hex[:8]}"
    contact = f"ask-{uuid.uuid4().hex[:8]}@example.org"
    visitor = context.new_page()
    message = f"=1+1 {marker}: ich möchte ein kleines Geschäft eröffnen."
    ask(visitor, "de", contact, message, "Jana")
    visitor.close()

    page.select_option("#filter-language", "de")
    page.select_option("#filter-topic", "business")
    listed(page, "#inbox-filters button[type=submit]")
    assert "language=de" in page.url
    assert "topic=business" in page.url
    find(page, marker)
    assert field(page, "name") == "Jana"
    assert field(page, "contact") == contact
    assert field(page, "status") == inbox("en")["status"]["new"]
    assert marker in field(page, "message")
    mailto = urlsplit(page.locator("#reply-email").get_attribute("href") or "")
    assert (mailto.scheme, mailto.path) == ("mailto", contact)
    reply = parse_qs(mailto.query)
    assert reply["subject"] == [inbox("de")["reply"]["subject"]]
    assert reply["body"][0].startswith("Hallo Jana,\n\n")
    expect(page.locator("#reply-phone")).to_be_hidden()

    page.click("#assign")
    expect(page.locator("#assigned-yours")).to_be_visible()
    expect(page.locator("#assign")).to_be_hidden()
    expect(page.locator("#history-list li")).to_have_count(1)
    page.check("#status-answered")
    page.fill("#note", "Rückruf vereinbart, Gründungsberatung empfohlen.")
    expect(page.locator("#note-count")).to_have_text("48 of 2000 characters")
    page.click("#status-form button[type=submit]")
    expect(page.locator("#history-list li")).to_have_count(2)
    expect(page.locator("#history-list li").nth(1)).to_contain_text("Gründungsberatung")
    expect(page.locator("#field-status")).to_have_text(inbox("en")["status"]["answered"])
    expect(page.locator("#note")).to_have_value("")
    request_id = field(page, "id")

    page.click("#admin-nav a >> nth=0")
    page.select_option("#filter-status", "answered")
    page.select_option("#filter-language", "de")
    listed(page, "#inbox-filters button[type=submit]")
    expect(page.locator("#inbox-list li").filter(has_text=marker)).to_have_count(1)
    with page.expect_download() as caught:
        page.click("[data-export=csv]")
    download = caught.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text("utf-8-sig"))))
    mine = [row for row in rows if request_id in row.values()]
    assert len(mine) == 1
    assert contact in mine[0].values()
    assert mine[0]["status"] == "answered"
    # A spreadsheet must not run the person's text as a formula.
    assert mine[0]["message"] == f"'{message}"
    with page.expect_download() as caught:
        page.click("[data-export=json]")
    exported = json.loads(Path(caught.value.path()).read_text("utf-8"))
    assert request_id in [request["id"] for request in exported["requests"]]
    expect(page.locator("#admin-status")).to_have_text(inbox("en")["inbox"]["exported"])


def test_a_contacts_requests_are_given_out_and_erased(
    moderator_page: Page, context: BrowserContext, dev_server: DevServer
) -> None:
    page = moderator_page
    local = f"erase-{uuid.uuid4().hex[:8]}"
    spellings = [f"{local}@example.org", f"{local.upper()}@Example.ORG", f" {local}@EXAMPLE.org"]
    visitor = context.new_page()
    for number, spelling in enumerate(spellings):
        ask(visitor, "en", spelling.strip(), f"Request number {number} from one person.")
    visitor.close()

    page.click("#admin-nav a >> nth=1")
    expect(page.locator("#view-title")).to_have_text(inbox("en")["contacts"]["title"])
    page.click("[data-action=access]")
    expect(page.locator("#contact-error")).to_be_visible()
    page.fill("#contact", spellings[1])
    page.click("[data-action=access]")
    expect(page.locator("#access-question")).to_contain_text(spellings[1])
    expect(page.locator("#access-question")).to_be_focused()
    with page.expect_download() as caught:
        page.click("[data-confirm=access]")
    found = json.loads(Path(caught.value.path()).read_text("utf-8"))
    assert sorted(request["message"] for request in found["requests"]) == [
        f"Request number {number} from one person." for number in range(3)
    ]
    accessed = inbox("en")["contacts"]["accessed"].format(count=3)
    expect(page.locator("#admin-status")).to_have_text(accessed)

    page.fill("#contact", spellings[2])
    page.click("[data-action=erase]")
    expect(page.locator("#erase-confirm")).to_be_visible()
    page.click("[data-cancel=erase]")
    expect(page.locator("#erase-confirm")).to_be_hidden()
    assert all(dev_server.requests_from(spelling.strip()) for spelling in spellings)
    page.click("[data-action=erase]")
    page.click("[data-confirm=erase]")
    erased = inbox("en")["contacts"]["erased"].format(count=3)
    expect(page.locator("#admin-status")).to_have_text(erased)
    assert [dev_server.requests_from(spelling.strip()) for spelling in spellings] == [[], [], []]
    page.fill("#contact", spellings[0])
    page.click("[data-action=access]")
    with page.expect_download() as caught:
        page.click("[data-confirm=access]")
    assert json.loads(Path(caught.value.path()).read_text("utf-8"))["requests"] == []


def test_the_second_of_two_changes_at_once_gets_the_new_state(
    browser: Browser, dev_server: DevServer, context: BrowserContext
) -> None:
    marker = f"Two moderators {uuid.uuid4().hex[:8]}"
    visitor = context.new_page()
    ask(visitor, "pl", f"both-{uuid.uuid4().hex[:8]}@example.org", f"{marker} open this at once.")
    visitor.close()
    pages = []
    for _ in range(2):
        other = browser.new_context(base_url=dev_server.url)
        page = other.new_page()
        page.goto("/admin/pl/?language=pl&topic=business")
        first_sign_in(page, new_moderator(dev_server))
        find(page, marker)
        pages.append(page)
    first, second = pages
    first.click("#assign")
    expect(first.locator("#assigned-yours")).to_be_visible()
    assigned = field(first, "assigned")
    second.check("#status-closed")
    second.fill("#note", "Zamykam.")
    second.click("#status-form button[type=submit]")
    expect(second.locator("#admin-alert")).to_have_text(inbox("pl")["errors"]["version_conflict"])
    expect(second.locator("#field-assigned")).to_have_text(assigned)
    expect(second.locator("#field-status")).to_have_text(inbox("pl")["status"]["new"])
    expect(second.locator("#note")).to_have_value("Zamykam.")
    expect(second.locator("#history-list li")).to_have_count(1)
    # Seeing the new state, the change goes through.
    second.click("#status-form button[type=submit]")
    expect(second.locator("#field-status")).to_have_text(inbox("pl")["status"]["closed"])
    for page in pages:
        page.context.close()


def test_filters_chosen_while_the_first_list_loads_are_the_list_shown(
    moderator_page: Page, context: BrowserContext
) -> None:
    """The list first asked for answers last: the filtered one, asked for after it, stays."""
    page = moderator_page
    visitor = context.new_page()
    marker = f"Late answer {uuid.uuid4().hex[:8]}"
    ask(visitor, "pl", f"late-{uuid.uuid4().hex[:8]}@example.org", f"{marker}: prośba o pomoc.")
    visitor.close()
    held: list[Route] = []

    def hold_the_unfiltered(route: Route) -> None:
        if "language=" in route.request.url:
            route.continue_()
        else:
            held.append(route)

    page.route("**/api/admin/requests?*", hold_the_unfiltered)
    page.goto("/admin/en/")
    expect(page.locator("#inbox-results")).to_have_attribute("aria-busy", "true")
    while not held:
        page.wait_for_timeout(50)
    page.select_option("#filter-language", "pl")
    with page.expect_response(lambda response: "language=pl" in response.url) as filtered:
        page.click("#inbox-filters button[type=submit]")
    wanted = [request["id"] for request in filtered.value.json()["requests"]]
    assert wanted
    expect(page.locator("#inbox-list li").filter(has_text=marker)).to_have_count(1)
    # Still busy: the first list has not come.
    expect(page.locator("#inbox-results")).to_have_attribute("aria-busy", "true")
    with page.expect_response(lambda response: "language=" not in response.url):
        held[0].continue_()
    expect(page.locator("#inbox-results")).not_to_have_attribute("aria-busy", "true")
    links = page.locator("#inbox-list li h3 a")
    shown = [
        parse_qs(urlsplit(href or "").query)["id"][0]
        for href in links.evaluate_all("links => links.map(link => link.getAttribute('href'))")
    ]
    assert shown == wanted
    assert "language=pl" in page.url


def test_a_request_that_is_not_there_says_so_in_the_moderators_language(
    context: BrowserContext, dev_server: DevServer
) -> None:
    page = context.new_page()
    page.goto(f"/admin/request/?id={uuid.uuid4()}")
    page.wait_for_url(re.compile(r"/admin/en/request/\?id="))
    first_sign_in(page, new_moderator(dev_server))
    expect(page.locator("#admin-alert")).to_have_text(inbox("en")["errors"]["not_found"])
    page.click("nav.languages a[hreflang=de]")
    page.wait_for_url(re.compile(r"/admin/de/request/\?id="))
    expect(page.locator("#admin-alert")).to_have_text(inbox("de")["errors"]["not_found"])
    expect(page.locator("#request")).to_be_hidden()
    page.goto("/admin/")
    # The language last chosen is remembered.
    page.wait_for_url("**/admin/de/")


def test_every_view_runs_under_its_policy_without_an_error(
    context: BrowserContext, dev_server: DevServer
) -> None:
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(error.message))
    response = page.goto("/admin/pl/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    cognito = page.request.get("/admin/config.json").json()["cognitoEndpoint"]
    assert f"connect-src 'self' {cognito};" in csp
    assert "script-src 'self';" in csp
    assert response.headers["cache-control"] == "no-store"
    first_sign_in(page, new_moderator(dev_server))
    for view in ("contacts/", ""):
        page.click(f"#admin-nav a[href='/admin/pl/{view}']")
        expect(page.locator("#admin-nav")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert problems == []
