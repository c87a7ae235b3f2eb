"""The inbox's session: tokens in this tab only, refreshed before they expire, revoked on sign-out,
and gone after 30 minutes without activity."""

from __future__ import annotations

import json
import time
from typing import Any

import botocore.exceptions
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from sitegen.serve.moto import aws_client
from tests.browser.conftest import DevServer, first_sign_in, new_moderator, printed, strings

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]

SESSION_KEY = "ask-for-help:admin-session"


def session(page: Page) -> dict[str, Any] | None:
    stored = page.evaluate(f"() => sessionStorage.getItem('{SESSION_KEY}')")
    found: dict[str, Any] | None = json.loads(stored) if stored else None
    return found


def signed_in_page(context: BrowserContext, dev_server: DevServer) -> Page:
    """A tab on a clock the test moves, signed in as a new moderator, its inbox loaded."""
    page = context.new_page()
    page.clock.install()
    page.goto("/admin/en/")
    first_sign_in(page, new_moderator(dev_server))
    # The first list, asked for on signing in with the first token, has come: a later
    # response caught as "the next list" is then the next list's.
    expect(page.locator("#inbox-results")).not_to_have_attribute("aria-busy", "true")
    return page


def test_thirty_minutes_without_activity_sign_the_moderator_out(
    context: BrowserContext, dev_server: DevServer
) -> None:
    page = signed_in_page(context, dev_server)
    page.clock.fast_forward("20:00")
    expect(page.locator("#admin-nav")).to_be_visible()
    page.clock.fast_forward("10:30")
    expect(page.locator("#admin-status")).to_have_text(strings("en")["admin"]["signin"]["idle"])
    expect(page.locator("#signin-password")).to_be_visible()
    expect(page.locator("#admin-view")).to_be_hidden()
    assert session(page) is None


def test_activity_keeps_the_session_and_tokens_are_refreshed_before_they_expire(
    context: BrowserContext, dev_server: DevServer
) -> None:
    page = signed_in_page(context, dev_server)
    before = session(page)
    assert before is not None
    for _ in range(3):
        page.clock.fast_forward("20:00")
        page.keyboard.press("Shift")
    deadline = time.monotonic() + 10
    while (session(page) or before)["access"] == before["access"]:
        assert time.monotonic() < deadline, "the access token was not refreshed"
        page.wait_for_timeout(100)
    after = session(page)
    assert after is not None
    assert after["refresh"] == before["refresh"]
    expect(page.locator("#admin-nav")).to_be_visible()
    with page.expect_response(lambda response: "/api/admin/requests?" in response.url) as caught:
        page.click("#inbox-filters button[type=submit]")
    assert caught.value.status == 200
    # A refreshed token: the one seen above, or one refreshed once more since (an hour went
    # by in three steps, and a refresh may still have been under way).
    used = caught.value.request.headers["authorization"]
    now = session(page) or after
    assert used != f"Bearer {before['access']}"
    assert used in {f"Bearer {after['access']}", f"Bearer {now['access']}"}


def test_signing_out_revokes_the_tokens(context: BrowserContext, dev_server: DevServer) -> None:
    page = context.new_page()
    page.goto("/admin/en/")
    first_sign_in(page, new_moderator(dev_server))
    tokens = session(page)
    assert tokens is not None
    page.click("#sign-out")
    expect(page.locator("#signin-password")).to_be_visible()
    assert session(page) is None
    cognito = aws_client("cognito-idp", printed(dev_server, r"Cognito on moto at (\S+)").group(1))
    client_id = page.request.get("/admin/config.json").json()["clientId"]
    with pytest.raises(botocore.exceptions.ClientError, match="NotAuthorizedException"):
        cognito.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=client_id,
            AuthParameters={"REFRESH_TOKEN": tokens["refresh"]},
        )


def test_a_visitor_gets_nothing_from_the_moderators_api(page: Page) -> None:
    for path in ("/api/admin/requests", "/api/admin/summary", "/api/admin/export?format=csv"):
        response = page.request.get(path)
        assert response.status == 401
        assert response.json() == {"error": "unauthorized"}
    response = page.request.post("/api/admin/contacts/access", data={"contact": "a@example.org"})
    assert response.status == 401
