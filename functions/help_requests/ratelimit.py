"""Per-sender rate windows keyed by an HMAC of the IP address; pure functions, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from dataclasses import dataclass

HOUR = 3600
DAY = 24 * HOUR
DAY_COUNT = "day_count"


@dataclass(frozen=True)
class Limits:
    """How many submissions one sender may make per clock hour and per UTC day."""

    per_hour: int
    per_day: int


@dataclass(frozen=True)
class RateWindow:
    """The counter item of one sender for one UTC day, with one attribute per hour."""

    key: str
    hour_attribute: str
    hour_ends: int
    day_ends: int

    @property
    def expires_at(self) -> int:
        """When the counter may be deleted: a day after its window closed."""
        return self.day_ends + DAY


def sender_hash(secret: bytes, ip: str | None) -> str:
    """A keyed hash of the sender's address, so the raw IP is never stored."""
    return hmac.new(secret, _network(ip).encode(), hashlib.sha256).hexdigest()[:32]


def _network(ip: str | None) -> str:
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        # One subscriber usually holds a whole /64, and can switch addresses inside it freely.
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def rate_window(sender: str, now: float) -> RateWindow:
    """The counter for `sender` that covers the moment `now` (epoch seconds)."""
    day = int(now // DAY)
    hour = int(now // HOUR)
    return RateWindow(
        key=f"rate#{sender}#d#{day}",
        hour_attribute=f"h{hour % 24:02d}",
        hour_ends=(hour + 1) * HOUR,
        day_ends=(day + 1) * DAY,
    )


def retry_after(window: RateWindow, counts: dict[str, int], limits: Limits, now: float) -> int:
    """Seconds until the sender may submit again, given the counter's current values."""
    ends = window.day_ends if counts.get(DAY_COUNT, 0) >= limits.per_day else window.hour_ends
    return max(1, math.ceil(ends - now))
