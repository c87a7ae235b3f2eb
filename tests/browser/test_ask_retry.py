"""A bad connection loses nothing and stores nothing twice."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from playwright.sync_api import BrowserContext, Page, Request, Route, expect

from tests.browser.conftest import DevServer, strings

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]

API = "**/api/help-requests"
MESSAGE = "Ich suche nach der Elternzeit wieder eine Stelle im Einkauf."
# Reports every text the status region shows, so a test can tell what the person saw.
WATCH_STATUS = """() => {
  const box = document.getElementById("ask-status");
  new MutationObserver(() => window.reportStatus(box.textContent)).observe(
    box, { childList: true, characterData: true, subtree: true });
}"""


def new_contact() -> str:
    return f"retry-{uuid.uuid4().hex[:12]}@example.org"


def fill(page: Page, contact: str) -> None:
    page.fill("#contact", contact)
    page.select_option("#topic", "returning-to-work")
    page.fill("#message", MESSAGE)
    page.check("#consent")


class FlakyApi:
    """Fails the first `failures` API calls in a chosen way, then lets calls through."""

    def __init__(self, page: Page, failures: int, how: str = "abort") -> None:
        self.failures = failures
        self.how = how
        self.ids: list[str] = []
        self.times: list[float] = []
        self.bodies: list[dict[str, object]] = []
        page.route(API, self.handle)

    def handle(self, route: Route) -> None:
        self.bodies.append(json.loads(route.request.post_data or "{}"))
        self.ids.append(str(self.bodies[-1]["id"]))
        self.times.append(time.monotonic())
        if len(self.ids) > self.failures:
            route.continue_()
        elif self.how == "abort":
            route.abort("internetdisconnected")
        elif self.how == "lost-answer":
            # The request reaches the server and is stored; only the answer never arrives.
            route.fetch()
            route.abort("connectionreset")
        else:
            route.fulfill(status=503, headers={"Retry-After": "1"}, json={"error": "unavailable"})


def watch_status(page: Page) -> list[str]:
    """Every text the status region shows from now on."""
    seen: list[str] = []

    def report(text: str) -> None:
        seen.append(text)

    page.expose_function("reportStatus", report)
    page.evaluate(WATCH_STATUS)
    return seen


def test_unreachable_api_is_retried_with_the_same_id(page: Page, dev_server: DevServer) -> None:
    german = strings("de")["form"]["status"]
    contact = new_contact()
    api = FlakyApi(page, failures=2)
    page.goto("/de/ask/")
    seen = watch_status(page)
    fill(page, contact)
    page.click("button[type=submit]")

    page.wait_for_url("**/de/ask/thanks/", timeout=15000)
    assert len(api.ids) == 3
    assert len(set(api.ids)) == 1
    [stored] = dev_server.requests_from(contact)
    assert stored["id"]["S"] == api.ids[0]
    # The person saw that we keep trying, and never an error.
    assert german["retrying"] in seen
    assert not {german["failed"], german["network"], german["unavailable"]} & set(seen)


def test_a_lost_answer_is_retried_and_stored_once(page: Page, dev_server: DevServer) -> None:
    contact = new_contact()
    api = FlakyApi(page, failures=1, how="lost-answer")
    page.goto("/pl/ask/")
    fill(page, contact)
    page.click("button[type=submit]")

    page.wait_for_url("**/pl/ask/thanks/", timeout=15000)
    assert len(api.ids) == 2
    assert len(set(api.ids)) == 1
    assert len(dev_server.requests_from(contact)) == 1


def test_retry_after_is_honoured(page: Page, dev_server: DevServer) -> None:
    contact = new_contact()
    api = FlakyApi(page, failures=1, how="unavailable")
    page.goto("/en/ask/")
    fill(page, contact)
    page.click("button[type=submit]")

    page.wait_for_url("**/en/ask/thanks/", timeout=15000)
    assert api.times[1] - api.times[0] >= 0.95
    assert len(dev_server.requests_from(contact)) == 1


def test_each_attempt_says_when_it_was_sent_on_the_clock_that_started_it(
    page: Page, dev_server: DevServer
) -> None:
    contact = new_contact()
    api = FlakyApi(page, failures=1, how="unavailable")
    page.goto("/en/ask/")
    fill(page, contact)
    page.click("button[type=submit]")

    page.wait_for_url("**/en/ask/thanks/", timeout=15000)
    first, retry = api.bodies
    assert first["started_at"] == retry["started_at"]
    assert isinstance(first["started_at"], int)
    assert isinstance(first["sent_at"], int)
    assert isinstance(retry["sent_at"], int)
    assert first["started_at"] <= first["sent_at"] <= retry["sent_at"] - 950
    assert len(dev_server.requests_from(contact)) == 1


def test_a_reload_mid_way_keeps_the_draft_and_its_id(page: Page, dev_server: DevServer) -> None:
    german = strings("de")["form"]["status"]
    contact = new_contact()
    api = FlakyApi(page, failures=1000)
    page.goto("/de/ask/")
    page.fill("#name", "Ola")
    fill(page, contact)
    page.click("button[type=submit]")
    expect(page.locator("#ask-status")).to_have_text(german["retrying"])

    page.reload()
    expect(page.locator("#contact")).to_have_value(contact)
    expect(page.locator("#name")).to_have_value("Ola")
    expect(page.locator("#topic")).to_have_value("returning-to-work")
    expect(page.locator("#message")).to_have_value(MESSAGE)
    expect(page.locator("#consent")).to_be_checked()
    expect(page.locator("#ask-status")).to_have_text(german["restored"])
    assert dev_server.requests_from(contact) == []

    page.unroute(API)
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request) if "/api/" in request.url else None)
    page.click("button[type=submit]")
    page.wait_for_url("**/de/ask/thanks/")
    [stored] = dev_server.requests_from(contact)
    assert stored["id"]["S"] == api.ids[0] == json.loads(sent[0].post_data or "{}")["id"]


@pytest.mark.parametrize(("age_days", "kept"), [(29, True), (31, False)])
def test_an_old_draft_is_forgotten(page: Page, age_days: int, kept: bool) -> None:
    draft = {
        "id": str(uuid.uuid4()),
        "fields": {"contact": "old@example.org", "message": MESSAGE, "consent": True},
        "started_at": 1,
        "saved_at": int(time.time() * 1000) - age_days * 86_400_000,
    }
    page.goto("/en/ask/")
    page.evaluate("d => localStorage.setItem('ask-for-help:draft', JSON.stringify(d))", draft)
    page.reload()
    expect(page.locator("#contact")).to_have_value("old@example.org" if kept else "")
    stored = page.evaluate("localStorage.getItem('ask-for-help:draft')")
    assert (stored is not None) == kept


def test_offline_then_online_sends_at_once(
    page: Page, context: BrowserContext, dev_server: DevServer
) -> None:
    english = strings("en")["form"]["status"]
    contact = new_contact()
    page.goto("/en/ask/")
    fill(page, contact)
    context.set_offline(True)
    page.click("button[type=submit]")
    expect(page.locator("#ask-status")).to_have_text(english["retrying"])
    page.wait_for_timeout(3500)  # the wait between attempts has grown past a second
    assert dev_server.requests_from(contact) == []

    back_online = time.monotonic()
    with page.expect_request(API):
        context.set_offline(False)
    assert time.monotonic() - back_online < 1.0
    page.wait_for_url("**/en/ask/thanks/")
    assert len(dev_server.requests_from(contact)) == 1


def test_a_damaged_draft_id_is_replaced(page: Page, dev_server: DevServer) -> None:
    contact = new_contact()
    draft = {
        "id": "not-a-uuid",
        "fields": {"contact": contact, "topic": "other", "message": MESSAGE, "consent": True},
        "started_at": "yesterday",
        "saved_at": int(time.time() * 1000),
    }
    page.goto("/de/ask/")
    page.evaluate("d => localStorage.setItem('ask-for-help:draft', JSON.stringify(d))", draft)
    page.reload()
    page.click("button[type=submit]")
    page.wait_for_url("**/de/ask/thanks/")
    [stored] = dev_server.requests_from(contact)
    assert str(uuid.UUID(stored["id"]["S"])) == stored["id"]["S"]
