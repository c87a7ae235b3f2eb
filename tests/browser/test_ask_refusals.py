"""A refused request in a real browser: the person learns why, and keeps what they wrote."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from sitegen.serve.dynamodb_local import create_table, free_port
from tests.browser.conftest import (
    ROOT,
    DevServer,
    copy_site,
    serve_command,
    stop,
    strings,
    wait_until_serving,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb, pytest.mark.slow]

API = "**/api/help-requests"
MESSAGE = "Ich suche nach der Elternzeit eine Stelle, die zu meiner Erfahrung passt."
DRAFT_KEY = "ask-for-help:draft"


@pytest.fixture(scope="module")
def strict_server(
    tmp_path_factory: pytest.TempPathFactory,
    dynamodb_endpoint: str,
    dynamodb_client: DynamoDBClient,
) -> Iterator[DevServer]:
    """`build.py serve` whose API takes one request a day from each address."""
    root = copy_site(tmp_path_factory.mktemp("strict"))
    table = f"help-requests-{uuid.uuid4().hex[:12]}"
    create_table(dynamodb_client, table)
    port = free_port()
    environment = os.environ | {
        "DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "TABLE_NAME": table,
        "MIN_FILL_SECONDS": "0",
        "RATE_LIMIT_PER_HOUR": "1",
        "RATE_LIMIT_PER_DAY": "1",
    }
    log = root / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            serve_command(root, port), cwd=ROOT, env=environment, stdout=output, stderr=output
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, log)
        yield DevServer(url, root, table, dynamodb_client, process, log)
    finally:
        stop(process)
        dynamodb_client.delete_table(TableName=table)


def visitor(browser: Browser, server: DevServer, *, script: bool) -> BrowserContext:
    """A browser profile with an address of its own, as CloudFront would name it."""
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}:{uuid.uuid4().int % 60000 + 1024}"
    return browser.new_context(
        base_url=server.url,
        java_script_enabled=script,
        extra_http_headers={"CloudFront-Viewer-Address": address},
    )


def ask(page: Page, contact: str, message: str = MESSAGE) -> None:
    page.goto("/de/ask/")
    page.fill("#contact", contact)
    page.select_option("#topic", "returning-to-work")
    page.fill("#message", message)
    page.check("#consent")
    page.click("button[type=submit]")


def contact() -> str:
    return f"test-{uuid.uuid4().hex[:12]}@example.org"


def clear_of_the_hours_end(margin: float = 90.0) -> None:
    """The API counts requests by clock hour and UTC day (`functions.help_requests.ratelimit`):
    a limit met in the last minute of an hour lasts less than a minute, which the form waits
    out rather than reports, and one hour's second request may fall into the next. A test
    that needs a long limit starts once the hour has turned, when it is about to."""
    left = 3600 - time.time() % 3600
    if left < margin:
        time.sleep(left + 1)


def test_without_javascript_a_rate_limit_shows_why_and_back_keeps_the_text(
    browser: Browser, strict_server: DevServer
) -> None:
    clear_of_the_hours_end()
    context = visitor(browser, strict_server, script=False)
    page = context.new_page()
    first, second = contact(), contact()
    ask(page, first)
    page.wait_for_url("**/de/ask/thanks/")

    second_message = MESSAGE + " Am liebsten in Teilzeit."
    with page.expect_response(API) as sent:
        ask(page, second, second_message)
    assert sent.value.status == 303
    page.wait_for_url("**/de/ask/error/?errors=request.rate_limited#error-request-rate_limited")

    german = strings("de")
    shown = page.locator(".error-list li:visible")
    expect(shown).to_have_text([german["errors"]["request"]["rate_limited"]])
    expect(page.locator("#error-contact-invalid")).to_be_hidden()
    expect(page.get_by_text(german["ask_error"]["keep_text"])).to_be_visible()
    assert "{" not in (page.text_content("main") or "")
    page.go_back()
    page.wait_for_url("**/de/ask/")
    expect(page.locator("#message")).to_have_value(second_message)
    expect(page.locator("#contact")).to_have_value(second)
    assert len(strict_server.requests_from(first)) == 1
    assert strict_server.requests_from(second) == []
    context.close()


def test_with_javascript_a_long_rate_limit_is_said_not_waited_out(
    browser: Browser, strict_server: DevServer
) -> None:
    clear_of_the_hours_end()
    context = visitor(browser, strict_server, script=True)
    page = context.new_page()
    first, second = contact(), contact()
    ask(page, first)
    page.wait_for_url("**/de/ask/thanks/")

    with page.expect_response(API) as sent:
        ask(page, second)
    assert sent.value.status == 429
    status = strings("de")["form"]["status"]["rate_limited"]
    expect(page.locator("#ask-status")).to_have_text(status)
    expect(page.locator("#message")).to_have_value(MESSAGE)
    expect(page.locator("#message")).to_be_editable()
    assert (
        page.evaluate(f"JSON.parse(localStorage.getItem('{DRAFT_KEY}')).fields.contact") == second
    )
    assert strict_server.requests_from(second) == []
    context.close()


def test_the_error_page_for_one_refusal_without_javascript(
    browser: Browser, strict_server: DevServer
) -> None:
    context = visitor(browser, strict_server, script=False)
    page = context.new_page()
    for code in ("unavailable", "too_large", "invalid", "id_conflict"):
        page.goto(f"/pl/ask/error/?errors=request.{code}#error-request-{code}")
        expected = strings("pl")["errors"]["request"][code]
        expect(page.locator(".error-list li:visible")).to_have_text([expected])
    context.close()
