"""The message a batch becomes: subject, one entry per request oldest first, links."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.notifier.notify import compose, counted, minute_utc, request_link
from functions.notifier.records import NewRequest

INBOX = "https://ask.example.org/admin/"


def new_request(request_id: str, minute: int, *, topic: str = "business") -> NewRequest:
    moment = datetime(2024, 5, 1, 9, minute, 59, 999000, tzinfo=UTC)
    return NewRequest(request_id, topic, "de", moment, str(100 + minute))


def test_one_message_lists_every_request_oldest_first_with_its_link() -> None:
    requests = [new_request("b", 30, topic="mentoring"), new_request("a", 5)]

    notification = compose(requests, INBOX)

    assert notification.subject == "2 new help requests"
    assert notification.text == (
        "2 new help requests waiting in the inbox, oldest first:\n"
        "\n"
        "1. business, language de, sent 2024-05-01 09:05 UTC\n"
        "   https://ask.example.org/admin/request/?id=a\n"
        "2. mentoring, language de, sent 2024-05-01 09:30 UTC\n"
        "   https://ask.example.org/admin/request/?id=b\n"
        "\n"
        "The inbox: https://ask.example.org/admin/\n"
    )


def test_the_subject_counts_in_the_singular_and_plural() -> None:
    assert [counted(n) for n in (1, 2, 100)] == [
        "1 new help request",
        "2 new help requests",
        "100 new help requests",
    ]


def test_times_are_shown_to_the_minute_without_rounding_up() -> None:
    assert minute_utc(datetime(2024, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)) == (
        "2024-12-31 23:59 UTC"
    )


def test_a_link_escapes_what_is_not_safe_in_a_query() -> None:
    assert request_link(INBOX, "a&b=c d") == f"{INBOX}request/?id=a%26b%3Dc%20d"
