"""The outbox: the table's stream becomes e-mails (SES on moto), each sent once its item asks,
and `outbox` is removed after; a new offer's confirmation mail is capped per address and day."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from functions.helpers.config import Config
from functions.helpers.items import Item
from functions.helpers.outbox import consume
from functions.helpers.runtime import Runtime
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

Get = Callable[[str], Item | None]


def test_a_new_offer_gets_one_confirmation_mail_with_its_links(
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    stream: Stream,
    mailbox: Mailbox,
    clock: Clock,
) -> None:
    offer = offer_item(clock.now, email="neu@example.org", status="unconfirmed")
    put(dynamodb_client, dynamodb_table, offer)
    outcome = stream.pump()
    assert (outcome.sent, outcome.mails) == (1, {"helper_confirm": 1})
    [mail] = mailbox.to("neu@example.org")
    assert mail.subject == "Bitte bestätigen Sie Ihr Hilfsangebot"  # the helper's language
    links = [href for _, href in mail.links]
    assert any(href.startswith("https://ask.example.org/api/links/de/") for href in links)
    assert "Arbeitssuche" in mail.text  # the topics by their names, in the helper's language
    assert stream.pump().records == 0  # nothing more goes out for it


def test_at_most_three_confirmation_mails_a_day_go_to_one_address(
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    stream: Stream,
    mailbox: Mailbox,
    clock: Clock,
) -> None:
    for _ in range(4):
        put(dynamodb_client, dynamodb_table, offer_item(clock.now, status="unconfirmed"))
    outcome = stream.pump()
    assert (outcome.sent, outcome.capped) == (3, 1)
    assert len(mailbox.to("jan@example.org")) == 3
    assert "jan@example.org" not in outcome.log_line()
    clock.advance(1)
    put(dynamodb_client, dynamodb_table, offer_item(clock.now, status="unconfirmed"))
    assert stream.pump().sent == 1  # a new day


def test_an_introduction_request_goes_to_the_helper_without_the_requesters_contact(
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    stream: Stream,
    mailbox: Mailbox,
    clock: Clock,
    get: Get,
) -> None:
    request, offer = request_item(clock.now), offer_item(clock.now)
    put(dynamodb_client, dynamodb_table, request)
    put(dynamodb_client, dynamodb_table, offer)
    intro = introduce(dynamodb_client, dynamodb_table, request, offer, clock.now, note="Kind.")
    outcome = stream.pump()
    assert outcome.mails == {"introduction_request": 1}
    [mail] = mailbox.all()
    assert mail.to == ("jan@example.org",)
    assert "ola@example.net" not in mail.text
    assert "ola@example.net" not in mail.body
    assert "Ola" not in mail.text
    assert "first job in IT" in mail.text
    assert "Kind." in mail.text
    labels = [href for _, href in mail.links if "/api/links/de/" in href]
    assert len(labels) == 3  # accept, decline, pause
    stored = get(f"intro#{intro}")
    assert stored is not None
    assert "outbox" not in stored


def test_a_record_seen_again_sends_nothing_again(
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    stream: Stream,
    mailbox: Mailbox,
    clock: Clock,
    runtime: Runtime,
) -> None:
    request, offer = request_item(clock.now), offer_item(clock.now)
    put(dynamodb_client, dynamodb_table, request)
    put(dynamodb_client, dynamodb_table, offer)
    introduce(dynamodb_client, dynamodb_table, request, offer, clock.now)
    records = stream.new_records()
    intro_records = [r for r in records if "outbox" in r["dynamodb"].get("NewImage", {})]
    assert consume(intro_records, runtime).sent == 1
    again = consume(intro_records, runtime)  # Lambda retried the batch
    assert (again.sent, again.skipped) == (0, 1)
    assert len(mailbox.all()) == 1


def test_a_mail_that_cannot_go_out_is_retried_from_its_record(
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    stream: Stream,
    clock: Clock,
    helpers_config: Config,
    get: Get,
) -> None:
    from sitegen.serve.moto import aws_client

    request, offer = request_item(clock.now), offer_item(clock.now)
    put(dynamodb_client, dynamodb_table, request)
    put(dynamodb_client, dynamodb_table, offer)
    intro = introduce(dynamodb_client, dynamodb_table, request, offer, clock.now)
    records = [r for r in stream.new_records() if "outbox" in r["dynamodb"].get("NewImage", {})]
    nowhere = aws_client("sesv2", "http://127.0.0.1:9")  # nothing listens there
    broken = Runtime(helpers_config, dynamodb=dynamodb_client, ses=nowhere, secrets=None)
    broken.__dict__["keys"] = stream.runtime.keys
    outcome = consume(records, broken)
    assert outcome.response() == {
        "batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
    }
    assert outcome.cause == "MailUnavailable"
    stored = get(f"intro#{intro}")
    assert stored is not None
    assert stored["outbox"] == {"S": "introduction_request"}


def test_without_a_sender_the_batch_waits_and_says_why(
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    stream: Stream,
    clock: Clock,
    helpers_config: Config,
) -> None:
    from dataclasses import replace

    put(dynamodb_client, dynamodb_table, offer_item(clock.now, status="unconfirmed"))
    records = stream.new_records()
    unsent = Runtime(replace(helpers_config, mail_from=None), dynamodb=dynamodb_client)
    unsent.__dict__["keys"] = stream.runtime.keys
    outcome = consume(records, unsent)
    assert outcome.cause == "ConfigError"
    assert outcome.retry_from == records[0]["dynamodb"]["SequenceNumber"]


def test_the_template_s_filter_is_the_design_s_and_lets_through_what_the_outbox_sends() -> None:
    from sitegen import infra_template
    from sitegen.serve.outbox import OUTBOX_FILTERS, outbox_filters, passing

    assert outbox_filters(infra_template.load_template()) == OUTBOX_FILTERS
    assert outbox_filters({"Resources": {}}) == OUTBOX_FILTERS

    def record(name: str, key: str, image: dict[str, object]) -> dict[str, object]:
        return {"eventName": name, "dynamodb": {"Keys": {"pk": {"S": key}}, "NewImage": image}}

    records = [
        record("INSERT", "offer#1", {"status": {"S": "unconfirmed"}}),
        record("MODIFY", "offer#1", {"status": {"S": "confirmed"}}),
        record("MODIFY", "intro#1", {"outbox": {"S": "introduction_accepted"}}),
        record("INSERT", "request#1", {"status": {"S": "new"}}),
        record("MODIFY", "request#1", {"outbox": {"S": "follow_up"}}),
    ]
    assert passing(OUTBOX_FILTERS, records) == [records[0], records[2], records[4]]


def test_malformed_records_and_unknown_mails_are_counted_and_passed_over(
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    runtime: Runtime,
    clock: Clock,
    get: Get,
) -> None:
    offer = offer_item(clock.now) | {"outbox": {"S": "no_such_mail"}}
    put(dynamodb_client, dynamodb_table, offer)
    unknown = {
        "eventName": "MODIFY",
        "dynamodb": {"Keys": {"pk": offer["pk"]}, "NewImage": offer, "SequenceNumber": "2"},
    }
    records: list[dict[str, Any]] = [
        {"eventName": "INSERT", "dynamodb": {"Keys": {}}},
        {"dynamodb": None},
        unknown,
    ]
    outcome = consume(records, runtime)
    assert (outcome.malformed, outcome.sent, outcome.retry_from) == (3, 0, None)
    assert outcome.level() == "warning"
    assert get(offer["pk"]["S"]) == offer
