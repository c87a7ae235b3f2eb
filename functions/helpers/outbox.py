"""The outbox: mail goes out from the table's stream, never from the request that caused it.

A new offer gets its confirmation mail (at most three a day to one address); an item carrying
`outbox` gets the mail it names, then `outbox` is removed if the item still holds it at the
same version. A failure stops the batch there: Lambda retries from that record, so a mail may
go out twice after a crash, but is never lost."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..shared.errors import HelpRequestError
from ..shared.mail import Sent, Suppressed
from ..shared.table import (
    INTRODUCTION_PREFIX,
    OFFER_PREFIX,
    REQUEST_PREFIX,
    introduction_key,
    offer_key,
    request_key,
)
from .items import Item, number, text
from .mails import Outgoing
from .runtime import Runtime

BatchResponse = dict[str, list[dict[str, str]]]
# A record without a field it should have, or with a field of another shape.
MALFORMED = (KeyError, TypeError, ValueError, AttributeError)


@dataclass
class Outcome:
    """What a batch did, in counts only: never an address, name or text."""

    records: int = 0
    sent: int = 0
    suppressed: int = 0
    capped: int = 0
    skipped: int = 0
    malformed: int = 0
    cause: str | None = None
    retry_from: str | None = None
    mails: dict[str, int] = field(default_factory=dict)

    def response(self) -> BatchResponse:
        """Lambda's partial batch response: retry from the first record that failed."""
        failures = [] if self.retry_from is None else [{"itemIdentifier": self.retry_from}]
        return {"batchItemFailures": failures}

    def log_line(self) -> str:
        """The batch's log line as JSON."""
        fields: dict[str, Any] = {"event": "outbox", "level": self.level(), **self.counts()}
        if self.cause is not None:
            fields["cause"] = self.cause
        return json.dumps(fields)

    def counts(self) -> dict[str, Any]:
        """The counts, by name."""
        names = ("records", "sent", "suppressed", "capped", "skipped", "malformed")
        return {name: getattr(self, name) for name in names} | {"mails": self.mails}

    def level(self) -> str:
        """`error` when a record is to be retried; `warning` for malformed records or a cap."""
        if self.retry_from is not None:
            return "error"
        return "warning" if self.malformed or self.capped else "info"


@dataclass(frozen=True)
class Change:
    """What the outbox reads of a stream record."""

    sequence: str
    event: str
    key: str
    image: Item


class UnknownMail(HelpRequestError):
    """An item's `outbox` names no mail that item sends."""


def read_change(record: Mapping[str, Any]) -> Change:
    """The record's change; KeyError, TypeError... when it is not a stream record."""
    change = record["dynamodb"]
    image = change.get("NewImage") or {}
    if not isinstance(image, dict):
        raise TypeError("NewImage: not a map")
    key = str(change["Keys"]["pk"]["S"])
    return Change(str(change["SequenceNumber"]), str(record["eventName"]), key, image)


def consume(records: Iterable[Mapping[str, Any]], runtime: Runtime) -> Outcome:
    """Send each record's mail in stream order; stop at the first failure."""
    outcome = Outcome()
    for record in records:
        outcome.records += 1
        try:
            change = read_change(record)
        except MALFORMED:
            outcome.malformed += 1
            continue
        try:
            deliver(change, runtime, outcome)
        except UnknownMail:
            outcome.malformed += 1
        except HelpRequestError as exc:
            outcome.cause, outcome.retry_from = type(exc).__name__, change.sequence
            return outcome
    return outcome


def deliver(change: Change, runtime: Runtime, outcome: Outcome) -> None:
    """Send the change's mails, if it asks for any, and count them."""
    if change.event == "INSERT" and change.key.startswith(OFFER_PREFIX):
        _confirm(change.image, runtime, outcome)
        return
    name = text(change.image, "outbox")
    if change.event == "REMOVE" or not name:
        outcome.skipped += 1
        return
    current = runtime.store.get(change.key, runtime.now())
    version = number(change.image, "version")
    if current is None or text(current, "outbox") != name or number(current, "version") != version:
        outcome.skipped += 1  # sent and cleared already, or the item moved on or is gone
        return
    for mail in outgoing(change.key, name, current, runtime):
        _count(outcome, mail.name, runtime.send(mail))
    runtime.store.clear_outbox(change.key, name, version)


def _confirm(offer: Item, runtime: Runtime, outcome: Outcome) -> None:
    if text(offer, "status") != "unconfirmed":
        outcome.skipped += 1
    elif not runtime.store.count_confirmation(text(offer, "contact_hash"), runtime.now()):
        outcome.capped += 1
    else:
        mail = runtime.composer.helper_confirm(offer, runtime.now())
        _count(outcome, mail.name, runtime.send(mail))


def _count(outcome: Outcome, name: str, result: Sent | Suppressed) -> None:
    if isinstance(result, Sent):
        outcome.sent += 1
        outcome.mails[name] = outcome.mails.get(name, 0) + 1
    else:
        outcome.suppressed += 1


def outgoing(key: str, name: str, item: Item, runtime: Runtime) -> list[Outgoing]:
    """The mails `outbox = name` on this item sends; none when what they need is gone."""
    now, get = runtime.now(), runtime.store.get
    if key.startswith(INTRODUCTION_PREFIX) and name in (
        "introduction_request",
        "introduction_accepted",
    ):
        request = get(request_key(text(item, "request_id")), now)
        offer = get(offer_key(text(item, "helper_id")), now)
        if request is None or offer is None:
            return []
        if name == "introduction_request":
            return [runtime.composer.introduction_request(item, request, offer, now)]
        return runtime.composer.introduction_accepted(request, offer, now)
    if key.startswith(REQUEST_PREFIX) and name == "follow_up":
        intro = get(introduction_key(text(item, "introduction")), now)
        offer = get(offer_key(text(intro, "helper_id")), now) if intro else None
        mail = runtime.composer.follow_up(item, offer, now)
        return [] if mail is None else [mail]
    raise UnknownMail(name)
