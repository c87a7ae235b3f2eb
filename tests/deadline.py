"""A time limit for a block that could otherwise wait for ever (a lost worker, a hung pool)."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def within(seconds: int) -> Iterator[None]:
    """Fail, rather than wait for ever, when the block takes longer than `seconds`.

    A limit already set on the whole test (pytest-timeout's timer) keeps its deadline: when
    it comes first, its own handler runs then, as without the block; after the block it is
    set again for the time it has left."""
    # The outer timer is stopped before anything else: it cannot fire half-way through.
    outer = signal.setitimer(signal.ITIMER_REAL, 0)[0]
    started = time.monotonic()
    previous = signal.getsignal(signal.SIGALRM)
    outer_first = 0 < outer < seconds

    def late(signum: int, frame: FrameType | None) -> None:
        nonlocal outer
        if outer_first:
            outer = 0  # reached: not set again
            if callable(previous):
                previous(signum, frame)
        raise AssertionError(f"still waiting after {seconds} s")

    try:
        signal.signal(signal.SIGALRM, late)
        signal.setitimer(signal.ITIMER_REAL, outer if outer_first else seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            left = outer - (time.monotonic() - started)
            # Due already: the outer limit fires at once.
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
