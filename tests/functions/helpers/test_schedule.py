"""The daily schedule through the `by-due` index: no answer in five days hands the request
back; two weeks after acceptance the requester is asked whether the help came, and a first
`yes` counts in the month's figures. Overlapping runs do each thing once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.helpers.items import Item
from functions.helpers.runtime import Runtime
from functions.helpers.schedule import run_schedule
from functions.shared.table import stats_key
from tests.functions.helpers.world import (
    Clock,
    Mailbox,
    Stream,
    introduce,
    offer_item,
    put,
    request_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from starlette.applications import Starlette

Get = Callable[[str], Item | None]
Call = Callable[..., httpx.Response]
REQUESTER = "ola@example.net"
HELPER = "jan@example.org"


@pytest.fixture
def call(links_app: Starlette) -> Call:
    """One request to the links' app by an e-mail's absolute link."""

    def send(method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def run() -> httpx.Response:
            transport = httpx.ASGITransport(app=links_app)
            async with httpx.AsyncClient(transport=transport, base_url="https://x") as client:
                path = url.removeprefix("https://ask.example.org")
                return await client.request(method, path, **kwargs)

        return asyncio.run(run())

    return send


@pytest.fixture
def keys(
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    clock: Clock,
    stream: Stream,
    mailbox: Mailbox,
    request: pytest.FixtureRequest,
) -> tuple[str, str, str]:
    """Request, offer and introduction keys of an introduction the helper was asked about."""
    contact = getattr(request, "param", REQUESTER)
    asked, offer = request_item(clock.now, contact=contact), offer_item(clock.now)
    put(dynamodb_client, dynamodb_table, asked)
    put(dynamodb_client, dynamodb_table, offer)
    intro = introduce(dynamodb_client, dynamodb_table, asked, offer, clock.now)
    stream.pump()
    return asked["pk"]["S"], offer["pk"]["S"], f"intro#{intro}"


def test_no_answer_within_five_days_hands_the_request_back_once(
    keys: tuple[str, str, str], runtime: Runtime, clock: Clock, get: Get
) -> None:
    assert run_schedule(runtime, clock.now + 5 * 86400 - 60).timed_out == 0
    clock.advance(5)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: run_schedule(runtime, clock.now), range(2)))
    assert sum(run.timed_out for run in runs) == 1
    assert run_schedule(runtime, clock.now).timed_out == 0
    request, offer, intro = (get(key) for key in keys)
    assert request is not None
    assert offer is not None
    assert intro is not None
    assert intro["status"] == {"S": "expired"}
    assert "due" not in intro
    assert request["status"] == {"S": "new"}
    assert request["history"]["L"][-1]["M"]["note"] == {
        "S": "No answer from the helper within 5 days."
    }
    assert (offer["open_introductions"], offer["load_count"]) == ({"N": "0"}, {"N": "0"})


def accepted(call: Call, mailbox: Mailbox, stream: Stream) -> None:
    """The helper accepts from the e-mail; its mails go out."""
    assert call("POST", mailbox.links(HELPER)["accept-introduction"]).status_code == 200
    stream.pump()


def test_two_weeks_after_acceptance_the_requester_is_asked_once(
    keys: tuple[str, str, str],
    runtime: Runtime,
    clock: Clock,
    get: Get,
    call: Call,
    mailbox: Mailbox,
    stream: Stream,
) -> None:
    accepted(call, mailbox, stream)
    clock.advance(13.9)
    assert run_schedule(runtime, clock.now).follow_ups == 0
    clock.advance(0.2)
    assert run_schedule(runtime, clock.now).follow_ups == 1
    assert run_schedule(runtime, clock.now).follow_ups == 0
    assert stream.pump().mails == {"follow_up": 1}
    assert stream.pump().sent == 0
    links = mailbox.links(REQUESTER)
    assert set(links) == {"yes", "not-yet", "no"}
    page = call("GET", links["not-yet"])
    assert page.status_code == 200
    assert '<html lang="pl">' in page.text
    assert "Jan" in page.text
    assert re.findall(r'value="([a-z-]+)"', page.text) == ["not-yet", "yes", "no"]
    intro = get(keys[2])
    assert intro is not None
    assert "due" not in intro


def test_a_follow_up_answer_is_recorded_once_and_a_yes_counts(
    keys: tuple[str, str, str],
    runtime: Runtime,
    clock: Clock,
    get: Get,
    call: Call,
    mailbox: Mailbox,
    stream: Stream,
) -> None:
    accepted(call, mailbox, stream)
    clock.advance(14)
    run_schedule(runtime, clock.now)
    stream.pump()
    link = mailbox.links(REQUESTER)["no"]
    clock.advance(40)
    # The link lasts 30 days from its mail: 40 days on it has expired.
    assert call("POST", link, data={"answer": "yes"}).status_code == 410
    clock.advance(-30)  # the next month: the answer counts there
    assert call("POST", link, data={"answer": "maybe"}).status_code == 400
    done = call("POST", link, data={"answer": "yes"})
    assert done.status_code == 200
    request = get(keys[0])
    assert request is not None
    assert request["help_answer"] == {"S": "yes"}
    assert "help_answered_at" in request
    stats = get(stats_key(clock.now))
    assert stats is not None
    assert stats["helped"] == {"N": "1"}
    assert call("POST", link, data={"answer": "no"}).status_code == 409
    assert get(keys[0]) == request
    assert get(stats_key(clock.now)) == stats


@pytest.mark.parametrize("keys", ["+48 600 100 200"], indirect=True)
def test_a_requester_with_a_phone_number_is_not_mailed_a_follow_up(
    keys: tuple[str, str, str],
    runtime: Runtime,
    clock: Clock,
    get: Get,
    call: Call,
    mailbox: Mailbox,
    stream: Stream,
) -> None:
    accepted(call, mailbox, stream)
    clock.advance(14)
    assert run_schedule(runtime, clock.now).follow_ups == 1
    assert stream.pump().sent == 0
    request, intro = get(keys[0]), get(keys[2])
    assert request is not None
    assert intro is not None
    assert "outbox" not in request
    assert "due" not in intro
