"""The outbox as `build.py serve` runs it: through the filter, a failed batch again from its
failed record at the next poll, and a failing outbox never ends the stream's thread."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import TYPE_CHECKING

from functions.helpers.config import Config
from functions.helpers.runtime import Runtime
from sitegen.serve.outbox import OUTBOX_FILTERS, OutboxConsumer
from tests.functions.helpers.world import Clock, Mailbox, Stream, offer_item, put

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def test_a_failed_batch_is_sent_at_the_next_poll(
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    stream: Stream,
    runtime: Runtime,
    helpers_config: Config,
    mailbox: Mailbox,
    clock: Clock,
) -> None:
    put(dynamodb_client, dynamodb_table, offer_item(clock.now, status="unconfirmed"))
    records = stream.new_records()
    out = io.StringIO()
    unsent = Runtime(replace(helpers_config, mail_from=None), dynamodb=dynamodb_client)
    unsent.__dict__["keys"] = runtime.keys
    consumer = OutboxConsumer(unsent, OUTBOX_FILTERS, out)
    consumer(records)
    assert len(consumer.pending) == 1
    assert '"cause": "ConfigError"' in out.getvalue()
    consumer.runtime = runtime
    consumer([])
    assert consumer.pending == []
    assert len(mailbox.to("jan@example.org")) == 1
    assert "jan@example.org" not in out.getvalue()


def test_a_failing_outbox_is_reported_and_passed_over(runtime: Runtime) -> None:
    out = io.StringIO()
    consumer = OutboxConsumer(runtime, OUTBOX_FILTERS, out)
    image = {"status": {"S": "unconfirmed"}}
    change = {"Keys": {"pk": {"S": "offer#1"}}, "NewImage": image, "SequenceNumber": "1"}
    consumer.pending = [{"eventName": "INSERT", "dynamodb": change}]
    runtime.__dict__["store"] = None  # any bug in the outbox's code
    consumer([])
    assert consumer.pending == []
    assert out.getvalue() == "mail: the outbox failed: AttributeError\n"
