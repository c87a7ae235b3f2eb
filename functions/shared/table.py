"""What both functions agree on about the help-requests table: item keys, indexes, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

REQUEST_PREFIX = "request#"
OFFER_PREFIX = "offer#"
INTRODUCTION_PREFIX = "intro#"
STATS_PREFIX = "stats#"
ERASURE_PREFIX = "erasure#"
# Requests and helpers' offers carry `status` and `contact_hash`: both indexes hold both kinds,
# told apart by their keys' prefixes.
STATUS_INDEX = "by-status"
CONTACT_INDEX = "by-contact"
# A helper's introductions (`helper_id`, `created_at`), and what waits for a date (`due`, `due_at`).
HELPER_INDEX = "by-helper"
DUE_INDEX = "by-due"
DAY_SECONDS = 24 * 3600


def request_key(request_id: str) -> str:
    """The partition key of a request item."""
    return f"{REQUEST_PREFIX}{request_id}"


def offer_key(offer_id: str) -> str:
    """The partition key of a helper's offer."""
    return f"{OFFER_PREFIX}{offer_id}"


def introduction_key(introduction_id: str) -> str:
    """The partition key of an introduction of a helper to a request."""
    return f"{INTRODUCTION_PREFIX}{introduction_id}"


def stats_key(epoch: float) -> str:
    """The key of the month's figures (`stats#2024-05`): counts only, no personal data."""
    return f"{STATS_PREFIX}{iso_utc(epoch)[:7]}"


def erasure_key(erasure_id: str) -> str:
    """The partition key of an erasure's log item."""
    return f"{ERASURE_PREFIX}{erasure_id}"


def iso_utc(epoch: float) -> str:
    """`2024-05-01T12:00:00.123Z`: sortable, and what both indexes order by."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
