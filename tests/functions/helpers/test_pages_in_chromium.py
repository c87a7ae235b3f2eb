"""The links' pages in Debian's Chromium: without JavaScript the button makes the change, and
axe-core finds no accessibility violation on a page, its done page or a refusal."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from functions.helpers.items import Item
from functions.helpers.links import Purpose
from functions.helpers.runtime import Runtime
from functions.shared.tokens import sign
from sitegen.serve.dynamodb_local import free_port
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.functions.helpers.world import Clock, offer_item, put, request_item

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]

ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, driven by Playwright."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def origin(links_app: Any) -> Iterator[str]:
    """The links' app served by uvicorn on a free port, for this test."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(links_app, host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def link(
    dynamodb_client: Any, dynamodb_table: str, clock: Clock, runtime: Runtime
) -> Callable[[str], tuple[str, Item]]:
    """A new unconfirmed offer in the language given, and its confirmation link's path."""

    def make(language: str) -> tuple[str, Item]:
        offer = offer_item(clock.now, status="unconfirmed") | {"language": {"S": language}}
        put(dynamodb_client, dynamodb_table, offer)
        token = sign(
            runtime.keys.current, Purpose.CONFIRM.value, offer["id"]["S"], 1, int(clock.now) + 600
        )
        return f"/api/links/{language}/{token}", offer

    return make


def violations(page: Page) -> list[str]:
    """axe-core's violations, one readable line each."""
    page.add_script_tag(path=AXE)
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return [f"{item['id']} ({item['impact']}): {item['help']}" for item in found]


def test_without_javascript_the_button_confirms_the_offer(
    browser: Browser,
    origin: str,
    link: Callable[[str], tuple[str, Item]],
    get: Callable[[str], Any],
) -> None:
    path, offer = link("pl")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    answer = page.goto(origin + path)
    assert answer is not None
    assert answer.status == 200
    page.get_by_role("button", name="Potwierdzam moją ofertę").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Dziękujemy, Twoja oferta jest potwierdzona"
    assert get(offer["pk"]["S"])["status"] == {"S": "confirmed"}
    page.go_back()  # the page is never stored: going back asks again, and it is used
    assert page.locator("h1").inner_text() == "Ten link został już użyty"
    assert page.get_by_role("button").count() == 0
    context.close()


@pytest.mark.parametrize("language", ["en", "de", "pl"])
def test_no_accessibility_violations(
    browser: Browser, origin: str, link: Callable[[str], tuple[str, Item]], language: str
) -> None:
    path, _ = link(language)
    context = browser.new_context(bypass_csp=True)  # axe-core is injected as a script
    page = context.new_page()
    page.goto(origin + path)
    assert violations(page) == []
    page.get_by_role("button").click()
    page.wait_for_load_state()
    assert violations(page) == []
    page.goto(f"{origin}/api/links/{language}/tampered")
    assert violations(page) == []
    context.close()


def test_the_follow_up_and_the_offer_s_pages_have_no_violations(
    browser: Browser,
    origin: str,
    dynamodb_client: Any,
    dynamodb_table: str,
    clock: Clock,
    runtime: Runtime,
) -> None:
    offer = offer_item(clock.now)
    request = request_item(clock.now) | {"status": {"S": "introduced"}}
    put(dynamodb_client, dynamodb_table, offer)
    put(dynamodb_client, dynamodb_table, request)
    key, expires = runtime.keys.current, int(clock.now) + 600
    follow_up = sign(key, Purpose.FOLLOW_UP.value, request["id"]["S"], 1, expires)
    pause = sign(key, Purpose.PAUSE.value, offer["id"]["S"], 0, expires)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{origin}/api/links/pl/{follow_up}?answer=no")
    assert page.get_by_role("button").all_inner_texts() == ["Nie", "Tak", "Jeszcze nie"]
    assert violations(page) == []
    page.goto(f"{origin}/api/links/de/{pause}")
    assert violations(page) == []
    page.get_by_role("button", name="Angebot pausieren").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Ihr Angebot ist pausiert"
    assert violations(page) == []
    context.close()
