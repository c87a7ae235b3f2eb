"""Reading a batch of stream records as Lambda passes them: new requests, others, malformed."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.notifier.records import NewRequest, read_batch, read_record
from tests.functions.notifier.conftest import recorded_event

REQUEST_ID = "7d444840-9dc0-41b5-9a3b-8a0e0d6f1c2a"


def first_record() -> dict[str, Any]:
    record: dict[str, Any] = recorded_event()["Records"][0]
    return record


def test_an_insert_of_a_request_item_is_a_new_request_and_nothing_else_is() -> None:
    batch = read_batch(recorded_event()["Records"])

    assert batch.new == (
        NewRequest(
            id=REQUEST_ID,
            topic="returning-to-work",
            language="pl",
            created_at=datetime(2024, 5, 1, 11, 59, 58, 123000, tzinfo=UTC),
            sequence_number="111000000000000000001",
        ),
    )
    # The rate counter's insert, the status change and the TTL removal.
    assert (batch.skipped, batch.malformed) == (3, 0)


def test_what_is_read_holds_no_name_contact_or_message() -> None:
    [request] = read_batch([first_record()]).new

    assert set(vars(request)) == {"id", "topic", "language", "created_at", "sequence_number"}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("dynamodb", "NewImage", "topic"), None),
        (("dynamodb", "NewImage", "language"), None),
        (("dynamodb", "NewImage", "created_at"), None),
        (("dynamodb", "NewImage"), None),
        (("dynamodb", "SequenceNumber"), None),
        (("dynamodb", "Keys"), None),
        (("eventName",), None),
        (("dynamodb", "NewImage", "topic"), {"S": "I need help with my rent"}),
        (("dynamodb", "NewImage", "topic"), {"N": "3"}),
        (("dynamodb", "NewImage", "language"), {"S": "polish"}),
        (("dynamodb", "NewImage", "created_at"), {"S": "yesterday"}),
        (("dynamodb", "NewImage", "created_at"), {"S": "2024-05-01T11:59:58"}),
        (("dynamodb", "SequenceNumber"), "not-a-number"),
        (("dynamodb", "Keys", "pk"), {"S": "request#<script>"}),
        (("dynamodb", "Keys", "pk"), {"S": 7}),
    ],
)
def test_a_malformed_record_is_counted_not_read(path: tuple[str, ...], value: Any) -> None:
    record = copy.deepcopy(first_record())
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    if value is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value

    batch = read_batch([record, first_record()])

    assert (len(batch.new), batch.skipped, batch.malformed) == (1, 0, 1)


def test_records_that_are_not_mappings_are_malformed() -> None:
    batch = read_batch([None, "INSERT", ["request#1"], 7])

    assert (batch.new, batch.skipped, batch.malformed) == ((), 0, 4)


def test_a_time_in_another_zone_is_read_as_utc() -> None:
    record = copy.deepcopy(first_record())
    record["dynamodb"]["NewImage"]["created_at"] = {"S": "2024-05-01T13:59:58.123+02:00"}

    request = read_record(record)

    assert request is not None
    assert request.created_at == datetime(2024, 5, 1, 11, 59, 58, 123000, tzinfo=UTC)
