"""Rate windows and sender hashes, without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.help_requests.ratelimit import (
    DAY_COUNT,
    Limits,
    rate_window,
    retry_after,
    sender_hash,
)

KEY = b"k" * 32
AT = datetime(2026, 11, 25, 23, 40, 30, tzinfo=UTC).timestamp()


def test_the_window_is_the_utc_day_with_an_attribute_per_hour() -> None:
    window = rate_window("abc", AT)

    day = int(AT // 86400)
    assert window.key == f"rate#abc#d#{day}"
    assert window.hour_attribute == "h23"
    assert window.hour_ends == datetime(2026, 11, 26, tzinfo=UTC).timestamp()
    assert window.day_ends == window.hour_ends
    assert window.expires_at == window.day_ends + 86400


def test_retry_after_waits_for_the_hour_or_the_day() -> None:
    window = rate_window("abc", AT - 3600)
    limits = Limits(per_hour=5, per_day=20)

    assert retry_after(window, {"h22": 5, DAY_COUNT: 5}, limits, AT - 3600) == 19 * 60 + 30
    assert retry_after(window, {"h22": 5, DAY_COUNT: 20}, limits, AT - 3600) == 3600 + 19 * 60 + 30
    assert retry_after(window, {}, limits, window.hour_ends) == 1


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("203.0.113.7", "203.0.113.7", True),
        ("203.0.113.7", "203.0.113.8", False),
        ("::ffff:203.0.113.7", "203.0.113.7", True),
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff::1", True),
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("not an ip", None, True),
    ],
)
def test_sender_hash_groups_addresses_of_one_subscriber(
    first: str, second: str | None, same: bool
) -> None:
    assert (sender_hash(KEY, first) == sender_hash(KEY, second)) is same


def test_sender_hash_depends_on_the_key_and_hides_the_address() -> None:
    hashed = sender_hash(KEY, "203.0.113.7")
    assert hashed != sender_hash(b"j" * 32, "203.0.113.7")
    assert len(hashed) == 32
    assert "203" not in hashed
