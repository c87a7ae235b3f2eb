"""Helpers' offers and introductions as moderators see them, and the month's figures; pure
functions, no I/O. The helpers' e-mail address is in a helper's record only, never a list."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..shared.table import iso_utc
from .records import INTRODUCIBLE_STATUSES, Item, StoredRequest

LIST_FIELDS = ("topics", "languages", "ways")
INTRODUCTION_FIELDS = (
    "id",
    "request_id",
    "helper_id",
    "status",
    "created_at",
    "answered_at",
    "moderator",
    "note",
    "language",
    "topic",
    "due",
    "due_at",
)
# Why an introduction is refused, in the order they are told: the first that applies.
HELPER_GONE = "helper_not_found"
NOT_CONFIRMED = "helper_not_confirmed"
PAUSED = "helper_paused"
NO_LANGUAGE = "helper_language"
NO_TOPIC = "helper_topic"
NO_ROOM = "helper_no_room"
REQUEST_NOT_OPEN = "request_not_open"
REFUSALS = (HELPER_GONE, NOT_CONFIRMED, PAUSED, NO_LANGUAGE, NO_TOPIC, NO_ROOM, REQUEST_NOT_OPEN)
MONTHS_SHOWN = 12


def month_of(epoch: float) -> str:
    """`2024-05`: the month an epoch falls in, in UTC."""
    return iso_utc(epoch)[:7]


@dataclass(frozen=True)
class StoredOffer:
    """A helper's offer item as DynamoDB returns it."""

    item: Item

    def get(self, field: str) -> str:
        """A string attribute, or "" when it is absent."""
        return str(self.item.get(field, {}).get("S", ""))

    def number(self, field: str) -> int:
        """A number attribute, or 0 when it is absent."""
        return int(self.item.get(field, {}).get("N", "0"))

    def strings(self, field: str) -> list[str]:
        """A list of strings, or [] when it is absent."""
        return [str(value.get("S", "")) for value in self.item.get(field, {}).get("L", [])]

    @property
    def id(self) -> str:
        """The offer's id."""
        return self.get("id")

    def load(self, month: str) -> int:
        """How many introductions it had this month (the count of an earlier month is old)."""
        return self.number("load_count") if self.get("load_month") == month else 0

    def room(self, month: str) -> int:
        """How many more people it may be introduced to this month."""
        return max(self.number("capacity") - self.load(month), 0)

    def suggestion(self, month: str) -> dict[str, Any]:
        """What a list of suggested helpers shows: never the e-mail address."""
        found: dict[str, Any] = {"id": self.id, "name": self.get("name")}
        found.update({field: self.strings(field) for field in LIST_FIELDS})
        if "region" in self.item:
            found["region"] = self.get("region")
        found["room"] = self.room(month)
        found["open_introductions"] = self.number("open_introductions")
        return found

    def record(self, month: str) -> dict[str, Any]:
        """Everything a helper's record shows, the e-mail address included."""
        found = self.suggestion(month)
        found.update(
            email=self.get("email"),
            status=self.get("status"),
            capacity=self.number("capacity"),
            language=self.get("language"),
            created_at=self.get("created_at"),
            consent_version=self.get("consent_version"),
        )
        if "confirmed_at" in self.item:
            found["confirmed_at"] = self.get("confirmed_at")
        return found


def refusal(offer: StoredOffer | None, request: StoredRequest, now: float) -> str | None:
    """Why this helper cannot be introduced to this request now; None when they can."""
    if offer is None or offer.number("expires_at") <= now:
        return HELPER_GONE
    status = offer.get("status")
    if status != "confirmed":
        return PAUSED if status == "paused" else NOT_CONFIRMED
    if request.get("language") not in offer.strings("languages"):
        return NO_LANGUAGE
    if request.get("topic") not in offer.strings("topics"):
        return NO_TOPIC
    if offer.room(month_of(now)) < 1:
        return NO_ROOM
    if request.get("status") not in INTRODUCIBLE_STATUSES:
        return REQUEST_NOT_OPEN
    return None


def suggestions(
    offers: Iterable[StoredOffer], request: StoredRequest, now: float
) -> list[StoredOffer]:
    """The helpers who could be introduced: fewest open introductions first, then the longest
    waiting; the request's own status plays no part."""
    fitting = [
        offer for offer in offers if refusal(offer, request, now) in (None, REQUEST_NOT_OPEN)
    ]
    return sorted(
        fitting, key=lambda offer: (offer.number("open_introductions"), offer.get("created_at"))
    )


def introduction_record(item: Item) -> dict[str, Any]:
    """An introduction as the moderators' API gives it."""
    return {
        field: str(item[field]["S"]) for field in INTRODUCTION_FIELDS if "S" in item.get(field, {})
    }


def last_months(now: float, count: int = MONTHS_SHOWN) -> list[str]:
    """This month and the `count - 1` before it, newest first: `["2024-05", "2024-04", ...]`."""
    year, month = (int(part) for part in month_of(now).split("-"))
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def figures(month: str, item: Item | None) -> dict[str, Any]:
    """One month's figures from its `stats#` item (absent: a month with nothing counted)."""
    item = item or {}
    waits = [float(value["N"]) for value in item.get("waits", {}).get("L", []) if "N" in value]
    count = {
        name: int(item.get(name, {}).get("N", "0")) for name in ("received", "introduced", "helped")
    }
    median = round(statistics.median(waits)) if waits else None
    return {"month": month, **count, "median_wait": median}
