"""Old fingerprinted assets stay in the bucket a while, for pages still cached that use them."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sitegen.classes import dataclass

DEFAULT_KEEP = timedelta(days=1)
# Set on an asset when a publish first finds it unused; its LastModified is then that time.
MARK = "unused-since"
UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


@dataclass(frozen=True)
class Remote:
    """An object in the bucket as the listing shows it."""

    etag: str
    modified: datetime


@dataclass(frozen=True)
class Kept:
    """An unused asset left in place, and the earliest time a publish may delete it."""

    key: str
    until: datetime
    # Set when the publish is to mark it unused since this time (by copying it onto itself).
    mark_at: datetime | None = None


def parse_duration(text: str) -> timedelta:
    """`86400`, `3600s`, `90m`, `24h` or `1d`; a bare number is seconds."""
    match = DURATION.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration; give seconds (86400) or hours (24h), minutes or days"
        )
    return timedelta(seconds=float(match[1]) * UNITS[match[2]])


def needs_mark_check(
    stale: Iterable[str], remote: Mapping[str, Remote], now: datetime, keep_for: timedelta
) -> list[str]:
    """Unused assets older than the grace period: only their mark tells whether they may go."""
    if keep_for <= timedelta(0):
        return []
    return [key for key in stale if now - remote[key].modified >= keep_for]


def settle(
    stale: Iterable[str],
    remote: Mapping[str, Remote],
    marks: Mapping[str, datetime | None],
    now: datetime,
    keep_for: timedelta,
) -> tuple[list[str], list[Kept]]:
    """Split unused assets into those to delete and those to keep (and maybe mark)."""
    deletes: list[str] = []
    kept: list[Kept] = []
    for key in sorted(stale):
        modified = remote[key].modified
        if keep_for <= timedelta(0):
            deletes.append(key)
        elif now - modified < keep_for:
            # Uploaded or marked within the grace period: no need to look closer.
            kept.append(Kept(key, modified + keep_for))
        elif (since := marks.get(key)) is None:
            # Uploaded long ago and unused only since now (or since a recent publish).
            kept.append(Kept(key, now + keep_for, now))
        elif now - since >= keep_for:
            deletes.append(key)
        else:
            kept.append(Kept(key, since + keep_for))
    return deletes, kept
