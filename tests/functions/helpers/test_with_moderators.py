"""The helpers' function on what the moderators' function really writes: its Introduce
transaction's intro item, request and offer counters are what the outbox, the links and the
schedule read and give back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.helpers.items import Item
from functions.helpers.runtime import Runtime
from functions.helpers.schedule import run_schedule
from functions.moderation.introductions import HelperDesk, Introduction
from functions.moderation.store import Moderation
from tests.functions.helpers.world import (
    HASH_KEY,
    Clock,
    Mailbox,
    Stream,
    offer_item,
    put,
    request_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from starlette.applications import Starlette

Get = Callable[[str], Item | None]
HELPER = "jan@example.org"


@pytest.fixture
def desk(dynamodb_client: DynamoDBClient, dynamodb_table: str, clock: Clock) -> HelperDesk:
    """The moderators' helper desk on the test table, on the same clock."""
    moderation = Moderation(
        dynamodb_client, dynamodb_table, retention_days=180, contact_hash_key=HASH_KEY, clock=clock
    )
    return HelperDesk(moderation)


@pytest.fixture
def introduced(
    desk: HelperDesk,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    clock: Clock,
    stream: Stream,
    mailbox: Mailbox,
) -> tuple[str, str, str]:
    """A request and a confirmed helper the moderators' function introduced; their keys."""
    request = request_item(clock.now) | {"language": {"S": "de"}}
    offer = offer_item(clock.now)
    put(dynamodb_client, dynamodb_table, request)
    put(dynamodb_client, dynamodb_table, offer)
    wanted = Introduction(helper_id=offer["id"]["S"], version=1, note="Sehr motiviert.")
    intro = desk.introduce(request["id"]["S"], wanted, moderator="moderator-sub")
    assert stream.pump().mails == {"introduction_request": 1}
    return request["pk"]["S"], offer["pk"]["S"], f"intro#{intro['id']}"


def post(app: Starlette, url: str) -> int:
    """POST a link's button; the status."""

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://x") as client:
            return await client.post(url.removeprefix("https://ask.example.org"))

    return asyncio.run(run()).status_code


def test_the_moderators_introduction_mails_the_helper_and_accepting_works(
    introduced: tuple[str, str, str], links_app: Any, mailbox: Mailbox, stream: Stream, get: Get
) -> None:
    mail = mailbox.to(HELPER)[-1]
    assert "Sehr motiviert." in mail.text
    assert "ola@example.net" not in mail.body
    assert post(links_app, mailbox.links(HELPER)["accept-introduction"]) == 200
    assert stream.pump().mails == {"introduction_accepted": 1, "helper_contact": 1}
    request, offer = get(introduced[0]), get(introduced[1])
    assert request is not None
    assert offer is not None
    assert request["status"] == {"S": "introduced"}
    assert (offer["open_introductions"], offer["load_count"]) == ({"N": "0"}, {"N": "1"})


def test_a_timeout_gives_back_what_the_moderators_introduction_took(
    introduced: tuple[str, str, str], runtime: Runtime, clock: Clock, get: Get
) -> None:
    clock.advance(5)
    assert run_schedule(runtime, clock.now).timed_out == 1
    request, offer, intro = (get(key) for key in introduced)
    assert request is not None
    assert offer is not None
    assert intro is not None
    assert (request["status"], intro["status"]) == ({"S": "new"}, {"S": "expired"})
    assert (offer["open_introductions"], offer["load_count"]) == ({"N": "0"}, {"N": "0"})
