"""What both functions agree on about the help-requests table: item keys and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime


def request_key(request_id: str) -> str:
    """The partition key of a request item."""
    return f"request#{request_id}"


def iso_utc(epoch: float) -> str:
    """`2024-05-01T12:00:00.123Z`: sortable, and what the `by-status` index orders by."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
