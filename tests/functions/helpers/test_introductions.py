"""Introductions from the helper's side: the e-mail's accept and decline links, pausing and
withdrawing an offer; mail goes out from the stream (SES on moto), items on DynamoDB Local."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.helpers.items import Item, month
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


class Journey:
    """A request, a confirmed helper, and the moderators' introduction of the one to the other."""

    def __init__(
        self, client: DynamoDBClient, table: str, clock: Clock, *, contact: str = REQUESTER
    ) -> None:
        self.request = request_item(clock.now, contact=contact)
        self.offer = offer_item(clock.now)
        put(client, table, self.request)
        put(client, table, self.offer)
        self.intro = introduce(client, table, self.request, self.offer, clock.now)
        self.keys = (self.request["pk"]["S"], self.offer["pk"]["S"], f"intro#{self.intro}")


@pytest.fixture
def journey(
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    clock: Clock,
    stream: Stream,
    mailbox: Mailbox,
) -> Journey:
    """An introduction whose request mail went to the helper (the mailbox counts it)."""
    made = Journey(dynamodb_client, dynamodb_table, clock)
    assert stream.pump().mails == {"introduction_request": 1}
    return made


def test_accepting_shares_both_contacts_and_only_then(
    journey: Journey, call: Call, stream: Stream, mailbox: Mailbox, get: Get, clock: Clock
) -> None:
    before = mailbox.all()
    assert all(REQUESTER not in mail.body for mail in before)
    accept = mailbox.links(HELPER)["accept-introduction"]
    page = call("GET", accept)
    assert page.status_code == 200
    assert "Arbeitssuche" in page.text  # the topic, in the helper's language
    assert REQUESTER not in page.text
    assert get(journey.keys[2])["status"] == {"S": "pending"}  # type: ignore[index]
    clock.advance(0.5)
    assert call("POST", accept).status_code == 200
    outcome = stream.pump()
    assert outcome.mails == {"introduction_accepted": 1, "helper_contact": 1}
    [to_requester] = mailbox.to(REQUESTER)
    assert "Jan" in to_requester.subject or "Jan" in to_requester.text
    assert HELPER in to_requester.text
    to_helper = mailbox.to(HELPER)[-1]
    assert REQUESTER in to_helper.text
    assert "Ola" in to_helper.text
    request, offer, intro = (get(key) for key in journey.keys)
    assert request is not None
    assert offer is not None
    assert intro is not None
    assert request["status"] == {"S": "introduced"}
    assert "introduced_at" in request
    assert request["history"]["L"][-1]["M"]["status"] == {"S": "introduced"}
    assert intro["status"] == {"S": "accepted"}
    assert intro["due"] == {"S": "follow-up"}
    assert "outbox" not in intro
    assert offer["open_introductions"] == {"N": "0"}
    assert offer["load_count"] == {"N": "1"}  # accepted: it counts for the month
    stats = get(stats_key(clock.now))
    assert stats is not None
    assert stats["introduced"] == {"N": "1"}
    assert stats["waits"] == {"L": [{"N": str(3600 + 12 * 3600)}]}
    assert call("POST", accept).status_code == 409
    assert call("POST", mailbox.links(HELPER)["pause-offer"]).status_code == 400  # no action
    stream.pump()
    assert len(mailbox.all()) == 3


def test_declining_shares_nothing_and_hands_the_request_back(
    journey: Journey, call: Call, stream: Stream, mailbox: Mailbox, get: Get
) -> None:
    links = mailbox.links(HELPER)
    assert call("POST", links["decline-introduction"]).status_code == 200
    assert stream.pump().sent == 0
    request, offer, intro = (get(key) for key in journey.keys)
    assert request is not None
    assert offer is not None
    assert intro is not None
    assert request["status"] == {"S": "new"}
    entry = request["history"]["L"][-1]["M"]
    assert entry["note"] == {"S": "The helper declined the introduction."}
    assert entry["by"] == {"S": "system"}
    assert intro["status"] == {"S": "declined"}
    assert "due" not in intro
    assert (offer["open_introductions"], offer["load_count"]) == ({"N": "0"}, {"N": "0"})
    assert call("POST", links["accept-introduction"]).status_code == 409
    assert call("POST", links["decline-introduction"]).status_code == 409
    assert all(REQUESTER not in mail.body for mail in mailbox.all())


def test_a_requester_with_a_phone_number_gets_no_mail_but_the_helper_gets_the_number(
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    clock: Clock,
    stream: Stream,
    mailbox: Mailbox,
    call: Call,
) -> None:
    Journey(dynamodb_client, dynamodb_table, clock, contact="+48 600 100 200")
    stream.pump()
    assert call("POST", mailbox.links(HELPER)["accept-introduction"]).status_code == 200
    assert stream.pump().mails == {"helper_contact": 1}
    assert "+48 600 100 200" in mailbox.to(HELPER)[-1].text


def test_pausing_resuming_and_withdrawing_an_offer(
    journey: Journey, call: Call, mailbox: Mailbox, get: Get
) -> None:
    pause = mailbox.links(HELPER)["pause-offer"]
    page = call("GET", pause)
    assert page.status_code == 200
    assert 'value="pause"' in page.text
    assert 'value="withdraw"' in page.text
    paused = call("POST", pause, data={"action": "pause"})
    assert paused.status_code == 200
    assert 'value="resume"' in paused.text
    assert get(journey.keys[1])["status"] == {"S": "paused"}  # type: ignore[index]
    assert call("POST", pause, data={"action": "pause"}).status_code == 409
    assert call("POST", pause, data={"action": "resume"}).status_code == 200
    assert get(journey.keys[1])["status"] == {"S": "confirmed"}  # type: ignore[index]
    assert call("POST", pause, data={"action": "nonsense"}).status_code == 400
    withdrawn = call("POST", pause, data={"action": "withdraw"})
    assert withdrawn.status_code == 200
    assert "Ihr Angebot ist zurückgezogen" in withdrawn.text
    request, offer, intro = (get(key) for key in journey.keys)
    assert offer is None  # erased
    assert intro is not None
    assert request is not None
    assert intro["status"] == {"S": "withdrawn"}
    assert request["status"] == {"S": "new"}
    assert request["history"]["L"][-1]["M"]["note"] == {"S": "The helper withdrew their offer."}
    assert call("GET", pause).status_code == 410
    assert call("POST", mailbox.links(HELPER)["accept-introduction"]).status_code == 409


def test_a_link_to_an_erased_request_is_gone(
    journey: Journey,
    call: Call,
    mailbox: Mailbox,
    get: Get,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    dynamodb_client.delete_item(TableName=dynamodb_table, Key={"pk": {"S": journey.keys[0]}})
    accept = mailbox.links(HELPER)["accept-introduction"]
    assert call("POST", accept).status_code == 410
    assert get(journey.keys[2])["status"] == {"S": "pending"}  # type: ignore[index]


def test_the_month_of_the_load_is_the_introduction_s(journey: Journey, clock: Clock) -> None:
    assert journey.offer["load_month"] == {"S": month(clock.now)}


def test_a_requester_without_a_name_is_named_in_the_helper_s_language(
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    clock: Clock,
    stream: Stream,
    mailbox: Mailbox,
    call: Call,
) -> None:
    request, offer = request_item(clock.now, name=""), offer_item(clock.now)
    put(dynamodb_client, dynamodb_table, request)
    put(dynamodb_client, dynamodb_table, offer)
    introduce(dynamodb_client, dynamodb_table, request, offer, clock.now)
    stream.pump()
    assert call("POST", mailbox.links(HELPER)["accept-introduction"]).status_code == 200
    stream.pump()
    assert "die Person, die um Hilfe gebeten hat" in mailbox.to(HELPER)[-1].text
    assert mailbox.to(REQUESTER)[-1].text.startswith("Dzień dobry,")
