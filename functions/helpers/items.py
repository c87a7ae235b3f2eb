"""Read the table's items as DynamoDB gives them (attribute values), and name what they hold.

Pure: no I/O. Missing attributes read as empty, never as an error: an item written before an
attribute existed still has its page and its mail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..shared.table import DAY_SECONDS

Item = dict[str, Any]
ANSWER_DAYS = 5
FOLLOW_UP_DAYS = 14
CONFIRM_DAYS = 7
PAUSE_DAYS = 365
FOLLOW_UP_LINK_DAYS = 30
ANSWER_SECONDS = ANSWER_DAYS * DAY_SECONDS
FOLLOW_UP_SECONDS = FOLLOW_UP_DAYS * DAY_SECONDS
ANSWERS = ("yes", "not-yet", "no")
# Notes in a request's history, for moderators: what the flows did, never who or why in detail.
DECLINED_NOTE = "The helper declined the introduction."
TIMED_OUT_NOTE = f"No answer from the helper within {ANSWER_DAYS} days."
WITHDRAWN_NOTE = "The helper withdrew their offer."
SYSTEM = "system"


def text(item: Item, name: str) -> str:
    """A string attribute, or '' when the item has none."""
    value = item.get(name, {})
    return str(value.get("S", "")) if isinstance(value, dict) else ""


def number(item: Item, name: str) -> int:
    """A whole-number attribute, or 0 when the item has none."""
    value = item.get(name, {})
    raw = value.get("N") if isinstance(value, dict) else None
    return int(float(raw)) if raw is not None else 0


def strings(item: Item, name: str) -> tuple[str, ...]:
    """A list of strings (L of S) or a string set, in stored order."""
    value = item.get(name, {})
    if not isinstance(value, dict):
        return ()
    if "SS" in value:
        return tuple(value["SS"])
    return tuple(str(entry.get("S", "")) for entry in value.get("L", []))


def item_id(item: Item) -> str:
    """The id after the key's prefix (`offer#abc` -> `abc`)."""
    return text(item, "pk").partition("#")[2]


def is_email(contact: str) -> bool:
    """Whether a request's contact is an e-mail address (else a phone number)."""
    return "@" in contact


def epoch(moment: str) -> float:
    """Seconds since the epoch of an ISO time as the table stores them."""
    parsed = datetime.fromisoformat(moment)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def month(moment: float) -> str:
    """`2024-05`: the month a counter of the offer's load belongs to."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m")


def history_entry(at: str, action: str, **details: str) -> Item:
    """One entry of a request's history, as the moderators' tools write them."""
    fields = {"at": at, "by": SYSTEM, "action": action, **details}
    return {"M": {name: {"S": value} for name, value in fields.items()}}
