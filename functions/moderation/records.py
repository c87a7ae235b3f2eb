"""Stored request items as moderators see them, and page cursors; pure functions, no I/O."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from ..shared.table import REQUEST_PREFIX, iso_utc
from .errors import FieldError, HelpRequestError, Invalid

# Moderators set these by hand; `introducing` and `introduced` only an introduction's flow sets.
SETTABLE_STATUSES = ("new", "in-progress", "answered", "closed", "spam")
STATUSES = (*SETTABLE_STATUSES, "introducing", "introduced")
# A helper can be introduced to a request that waits or is being worked on, and to no other.
INTRODUCIBLE_STATUSES = ("new", "in-progress")
TEXT_FIELDS = (
    "id",
    "created_at",
    "updated_at",
    "status",
    "topic",
    "language",
    "name",
    "contact",
    "message",
    "assigned_to",
    "consent_version",
    "introduction",
    "introduced_at",
    "help_answer",
    "help_answered_at",
)
HISTORY_FIELDS = ("at", "by", "action", "status", "note", "introduction", "helper")
# The keys of an item in the `by-status` index: its own, then the table's.
INDEX_KEY = ("status", "created_at", "pk")
MAX_CURSOR = 2000

Item = dict[str, Any]


@dataclass(frozen=True)
class StoredRequest:
    """A request item as DynamoDB returns it."""

    item: Item

    def get(self, field: str) -> str:
        """A string attribute, or "" when it is absent."""
        return str(self.item.get(field, {}).get("S", ""))

    @property
    def id(self) -> str:
        """The request's id."""
        return self.get("id")

    @property
    def version(self) -> int:
        """How many times it was stored or changed (items from before versions count as 1)."""
        return int(self.item.get("version", {}).get("N", "1"))

    @property
    def expires_at(self) -> int:
        """When the retention period ends (epoch seconds)."""
        return int(self.item.get("expires_at", {}).get("N", "0"))

    def history(self) -> list[dict[str, str]]:
        """Who changed what when, oldest first."""
        entries = self.item.get("history", {}).get("L", [])
        return [
            {field: entry["M"][field]["S"] for field in HISTORY_FIELDS if field in entry["M"]}
            for entry in entries
        ]

    def record(self) -> dict[str, Any]:
        """Everything stored about the request, as the moderators' API gives it."""
        record: dict[str, Any] = {f: self.get(f) for f in TEXT_FIELDS if f in self.item}
        record["contact_kind"] = contact_kind(self.get("contact"))
        record["version"] = self.version
        record["history"] = self.history()
        record["retained_until"] = iso_utc(self.expires_at)
        return record


def contact_kind(contact: str) -> str:
    """How to reply: `email` for an address, `phone` for anything else."""
    return "email" if "@" in contact else "phone"


def history_entry(at: str, by: str, action: str, **details: str | None) -> Item:
    """One history entry as a DynamoDB map; absent details are left out."""
    fields = {"at": at, "by": by, "action": action, **details}
    return {"M": {name: {"S": value} for name, value in fields.items() if value is not None}}


def index_key(item: Item) -> Item:
    """Where a page that ends with this item goes on: its keys in the `by-status` index."""
    return {name: item[name] for name in INDEX_KEY}


def encode_cursor(key: Item | None) -> str | None:
    """An opaque cursor for a page's last key; None on the last page."""
    if key is None:
        return None
    plain = {name: key[name]["S"] for name in INDEX_KEY}
    text = json.dumps(plain, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, status: str) -> Item:
    """The key a cursor stands for; Invalid unless it is one this API made for `status`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        plain = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise Invalid(FieldError("cursor", "invalid")) from None
    if not _is_key(plain, status):
        raise Invalid(FieldError("cursor", "invalid"))
    return {name: {"S": plain[name]} for name in INDEX_KEY}


def _is_key(plain: object, status: str) -> bool:
    return (
        isinstance(plain, dict)
        and sorted(plain) == sorted(INDEX_KEY)
        and all(isinstance(value, str) and value for value in plain.values())
        and plain["status"] == status
        and plain["pk"].startswith(REQUEST_PREFIX)
    )


class VersionConflict(HelpRequestError):
    """Another change came first: the request is no longer at the version the caller saw."""

    def __init__(self, current: StoredRequest) -> None:
        super().__init__(f"the request is at version {current.version} now")
        self.current = current
