"""axe-core finds no accessibility violation on any view of the moderators' inbox, signed out
and signed in, at every step of signing in, in every language."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.conftest import (
    INBOX_PASSWORD,
    LANGUAGES,
    DevServer,
    new_moderator,
    sign_in_again,
    totp_code,
)
from tests.browser.test_axe import violations
from tests.browser.test_inbox_flow import ask, find, listed

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]


@pytest.fixture
def axe_context(browser: Browser, dev_server: DevServer) -> Iterator[BrowserContext]:
    """A profile that may inject axe-core despite the pages' content security policy."""
    context = browser.new_context(base_url=dev_server.url, bypass_csp=True)
    yield context
    context.close()


def test_the_language_choosers_as_pages_without_their_script(
    axe_context: BrowserContext,
) -> None:
    page = axe_context.new_page()
    # Its script would leave for the inbox at once: axe looks at what browsers without it get.
    page.route("**/static/js/admin-language.*.js", lambda route: route.abort())
    found = {}
    for url in ("/admin/", "/admin/request/?id=0"):
        page.goto(url)
        expect(page.locator("a[hreflang=pl]")).to_be_visible()
        found[url] = violations(page)
    assert found == {"/admin/": [], "/admin/request/?id=0": []}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_view_and_step(
    axe_context: BrowserContext, dev_server: DevServer, language: str
) -> None:
    page = axe_context.new_page()
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        found[name] = violations(page)

    marker = f"axe {uuid.uuid4().hex[:8]}"
    ask(page, language, f"axe-{uuid.uuid4().hex[:8]}@example.org", f"{marker} needs a mentor.")
    for view in ("contacts/", "request/?id=00000000-0000-4000-8000-000000000000", ""):
        page.goto(f"/admin/{language}/{view}")
        expect(page.locator("#signin-password")).to_be_visible()
        check(f"signed out {view}")
    moderator = new_moderator(dev_server)
    page.fill("#signin-name", moderator.name)
    page.fill("#signin-secret", "Wrong-passw0rd!")
    page.click("#signin-password button[type=submit]")
    expect(page.locator("#admin-alert")).to_be_visible()
    check("wrong password")
    page.fill("#signin-secret", moderator.password)
    page.click("#signin-password button[type=submit]")
    expect(page.locator("#signin-new-password")).to_be_visible()
    check("new password")
    page.fill("#new-password", INBOX_PASSWORD)
    page.fill("#new-password-again", INBOX_PASSWORD)
    page.click("#signin-new-password button[type=submit]")
    expect(page.locator("#signin-setup")).to_be_visible()
    check("authenticator set-up")
    secret = page.locator("#setup-secret").inner_text()
    page.fill("#setup-code", totp_code(secret))
    page.click("#signin-setup button[type=submit]")
    expect(page.locator("#admin-nav")).to_be_visible()

    page.select_option("#filter-language", language)
    listed(page, "#inbox-filters button[type=submit]")
    check("inbox")
    find(page, marker)
    page.click("#assign")
    expect(page.locator("#history-list li")).to_have_count(1)
    page.fill("#note", "Checked.")
    check("request")
    page.click("#erase-start")
    expect(page.locator("#erase-question")).to_be_focused()
    check("request, erasure to confirm")

    page.click("#admin-nav a >> nth=1")
    page.fill("#contact", "nobody@example.org")
    page.click("[data-action=erase]")
    expect(page.locator("#erase-confirm")).to_be_visible()
    check("contacts, erasure to confirm")

    page.click("#sign-out")
    expect(page.locator("#admin-status")).not_to_be_empty()
    check("signed out, with a notice")
    page.fill("#signin-name", moderator.name)
    page.fill("#signin-secret", INBOX_PASSWORD)
    page.click("#signin-password button[type=submit]")
    expect(page.locator("#signin-code")).to_be_visible()
    check("authenticator code")
    page.click("#signin-code [data-restart]")
    sign_in_again(page, moderator.name, secret)
    check("contacts")
    page.close()
    assert {name: problems for name, problems in found.items() if problems} == {}
