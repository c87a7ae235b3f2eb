"""Read a batch of DynamoDB stream records, as Lambda passes them, into the new requests.

Pure: takes the event's records, returns data. Only a request's id, topic, language and time
are read; its name, contact and message are never touched."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..shared.table import request_key

REQUEST_PREFIX = request_key("")
# What the public function stores: a UUID, a topic and a language from its contract. Anything
# else is not shown, so a stored value can never put free text into a message.
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
TOPIC = re.compile(r"[a-z0-9-]{1,40}")
LANGUAGE = re.compile(r"[a-z]{2}")
SEQUENCE_NUMBER = re.compile(r"\d{1,40}")
# A record without a field it should have, or with a field of another shape.
MALFORMED = (KeyError, TypeError, ValueError, AttributeError)


@dataclass(frozen=True)
class NewRequest:
    """What a notification shows of one new request, and where it sits in the stream."""

    id: str
    topic: str
    language: str
    created_at: datetime
    sequence_number: str


@dataclass(frozen=True)
class Batch:
    """The new requests of a batch, in stream order, and how many records were left out."""

    new: tuple[NewRequest, ...]
    skipped: int
    malformed: int


def read_batch(records: Iterable[Any]) -> Batch:
    """Sort records into new requests, other changes (skipped) and malformed ones."""
    new: list[NewRequest] = []
    skipped = malformed = 0
    for record in records:
        try:
            request = read_record(record)
        except MALFORMED:
            malformed += 1
            continue
        if request is None:
            skipped += 1
        else:
            new.append(request)
    return Batch(new=tuple(new), skipped=skipped, malformed=malformed)


def read_record(record: Mapping[str, Any]) -> NewRequest | None:
    """The new request an INSERT of a request item holds; None for any other change."""
    change = record["dynamodb"]
    key = change["Keys"]["pk"]["S"]
    if record["eventName"] != "INSERT" or not key.startswith(REQUEST_PREFIX):
        return None
    image = change["NewImage"]
    return NewRequest(
        id=_matching(REQUEST_ID, key.removeprefix(REQUEST_PREFIX), "id"),
        topic=_matching(TOPIC, image["topic"]["S"], "topic"),
        language=_matching(LANGUAGE, image["language"]["S"], "language"),
        created_at=_moment(image["created_at"]["S"]),
        sequence_number=_matching(SEQUENCE_NUMBER, change["SequenceNumber"], "SequenceNumber"),
    )


def _matching(pattern: re.Pattern[str], value: str, field: str) -> str:
    if not pattern.fullmatch(value):
        # The value itself stays out of the message: it may be anything.
        raise ValueError(f"{field}: not of the expected form")
    return value


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("created_at: no time zone")
    return moment.astimezone(UTC)
