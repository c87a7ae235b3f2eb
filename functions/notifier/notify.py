"""Write the one message a batch of new requests becomes. Pure: data in, text out.

It names each request's topic, language and time and links to it in the inbox; a request's
name, contact and message are not in what it is given, so they cannot be in what it writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from .records import NewRequest


@dataclass(frozen=True)
class Notification:
    """An e-mail's worth: a subject line and a plain-text body."""

    subject: str
    text: str


def compose(requests: Sequence[NewRequest], inbox_url: str) -> Notification:
    """One message for all of `requests`, oldest first, each with a link to it."""
    ordered = sorted(requests, key=lambda request: (request.created_at, request.id))
    lines = [f"{counted(len(ordered))} waiting in the inbox, oldest first:", ""]
    for number, request in enumerate(ordered, start=1):
        lines.append(f"{number}. {describe(request)}")
        lines.append(f"   {request_link(inbox_url, request.id)}")
    lines += ["", f"The inbox: {inbox_url}"]
    return Notification(subject=counted(len(ordered)), text="\n".join(lines) + "\n")


def counted(count: int) -> str:
    """`1 new help request`, `3 new help requests`."""
    return f"{count} new help request{'' if count == 1 else 's'}"


def describe(request: NewRequest) -> str:
    """`returning-to-work, language pl, sent 2024-05-01 12:00 UTC`."""
    return f"{request.topic}, language {request.language}, sent {minute_utc(request.created_at)}"


def minute_utc(moment: datetime) -> str:
    """The time to the minute, in UTC: `2024-05-01 12:00 UTC`."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def request_link(inbox_url: str, request_id: str) -> str:
    """The request's page in the inbox, which opens in the moderator's language."""
    return f"{inbox_url}request/?id={quote(request_id, safe='')}"
