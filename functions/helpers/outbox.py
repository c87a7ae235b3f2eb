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
# A mail's name and what became of it.
Delivery = tuple[str, Sent | Suppressed]
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


def consume(records: Iterable[Mapping[str, Any]], runtime: Runtime) -> Outcome:
    """Send each record's mail in stream order; stop at the first failure."""
    outcome = Outcome()
    for record in records:
        outcome.records += 1
        try:
            sequence = str(record["dynamodb"]["SequenceNumber"])
            mails = handle(record, runtime)
        except MALFORMED:
            outcome.malformed += 1
            continue
        except HelpRequestError as exc:
            outcome.cause, outcome.retry_from = type(exc).__name__, sequence
            return outcome
        _count(outcome, mails)
    return outcome


def _count(outcome: Outcome, mails: list[Delivery] | None) -> None:
    if mails is None:
        outcome.skipped += 1
    elif mails == []:
        outcome.capped += 1
    for name, result in mails or []:
        if isinstance(result, Sent):
            outcome.sent += 1
            outcome.mails[name] = outcome.mails.get(name, 0) + 1
        else:
            outcome.suppressed += 1


def handle(record: Mapping[str, Any], runtime: Runtime) -> list[Delivery] | None:
    """The mails one record sent (name, result); None when it sends none; [] when capped."""
    change = record["dynamodb"]
    key = str(change["Keys"]["pk"]["S"])
    image: Item = change.get("NewImage") or {}
    if record["eventName"] == "INSERT" and key.startswith(OFFER_PREFIX):
        if text(image, "status") != "unconfirmed":
            return None
        return _confirmation(image, runtime)
    name = text(image, "outbox")
    if record["eventName"] == "REMOVE" or not name:
        return None
    current = runtime.store.get(key, runtime.now())
    version = number(image, "version")
    if current is None or text(current, "outbox") != name or number(current, "version") != version:
        return None  # sent and cleared already, or the item moved on or is gone
    sent = [(mail.name, runtime.send(mail)) for mail in outgoing(key, name, current, runtime)]
    runtime.store.clear_outbox(key, name, version)
    return sent


def _confirmation(offer: Item, runtime: Runtime) -> list[Delivery]:
    if not runtime.store.count_confirmation(text(offer, "contact_hash"), runtime.now()):
        return []
    mail = runtime.composer.helper_confirm(offer, runtime.now())
    return [(mail.name, runtime.send(mail))]


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
    raise ValueError("outbox: not a mail this item can send")
