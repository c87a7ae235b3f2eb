"""SES's bounce and complaint notifications, delivered by SNS, onto the suppression list.

The configuration set publishes `Bounce` and `Complaint` events to an SNS topic (their JSON
names the kind `eventType`; an identity's own notifications name it `notificationType`). A
permanent bounce and every complaint suppress the address; a transient bounce (a full mailbox,
say) does not. Nothing here logs an address."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .suppression import Reason

if TYPE_CHECKING:
    from .suppression import TableSuppressionList

# "Permanent": the address does not exist or refuses mail for good; AWS advises not to retry.
SUPPRESSING_BOUNCES = frozenset({"Permanent"})


@dataclass(frozen=True)
class Feedback:
    """An address that must get no more mail, and why."""

    address: str
    reason: Reason


@dataclass
class Outcome:
    """What one SNS event did; counts only, no addresses."""

    suppressed: int = 0
    already: int = 0
    ignored: int = 0
    unreadable: int = 0

    def log_line(self) -> str:
        """One JSON line for CloudWatch Logs."""
        return json.dumps({"message": "mail feedback", **self.__dict__})


def feedback_of(notification: Mapping[str, Any]) -> list[Feedback]:
    """The addresses an SES notification suppresses (none for a transient bounce or a delivery)."""
    kind = notification.get("eventType") or notification.get("notificationType")
    if kind == "Bounce":
        bounce = notification.get("bounce", {})
        if bounce.get("bounceType") not in SUPPRESSING_BOUNCES:
            return []
        return _recipients(bounce.get("bouncedRecipients", []), "bounce")
    if kind == "Complaint":
        complaint = notification.get("complaint", {})
        return _recipients(complaint.get("complainedRecipients", []), "complaint")
    return []


def _recipients(entries: Iterable[Any], reason: Reason) -> list[Feedback]:
    return [
        Feedback(entry["emailAddress"], reason)
        for entry in entries
        if isinstance(entry, Mapping) and isinstance(entry.get("emailAddress"), str)
    ]


def notifications(event: Mapping[str, Any]) -> Iterable[Mapping[str, Any] | None]:
    """Each SNS record's message as SES's JSON; None for one that is not a JSON object."""
    for record in event.get("Records", []):
        try:
            message = json.loads(record["Sns"]["Message"])
        except (KeyError, TypeError, ValueError):
            yield None
            continue
        yield message if isinstance(message, Mapping) else None


def record_feedback(event: Mapping[str, Any], store: TableSuppressionList, now: float) -> Outcome:
    """Suppress every address the event's notifications name."""
    outcome = Outcome()
    for notification in notifications(event):
        if notification is None:
            outcome.unreadable += 1
            continue
        found = feedback_of(notification)
        outcome.ignored += not found
        for feedback in found:
            if store.suppress(feedback.address, feedback.reason, now):
                outcome.suppressed += 1
            else:
                outcome.already += 1
    return outcome


_STORE: list[TableSuppressionList] = []


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """The Lambda entry point on the SNS topic of SES's feedback."""
    outcome = record_feedback(event, _store(), time.time())
    print(outcome.log_line(), flush=True)  # standard output goes to CloudWatch Logs
    return dict(outcome.__dict__)


def _store() -> TableSuppressionList:
    # Made on the first event, not on import: the module is imported by other code too.
    if not _STORE:
        from .aws import build_client
        from .suppression import TableSuppressionList

        client = build_client(os.environ.get("DYNAMODB_ENDPOINT") or None)
        key = os.environ["CONTACT_HASH_KEY"].encode()
        _STORE.append(TableSuppressionList(client, os.environ["TABLE_NAME"], key))
    return _STORE[0]
