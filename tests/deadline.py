"""A time limit for a block that could otherwise wait for ever (a lost worker, a hung pool)."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def within(seconds: int) -> Iterator[None]:
    """Fail, rather than wait for ever, when the block takes longer than `seconds`.

    A limit already set on the whole test (pytest-timeout's timer) is put back after the
    block, less the time the block took."""

    def late(signum: int, frame: object) -> None:
        raise AssertionError(f"still waiting after {seconds} s")

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, late)
    outer = signal.setitimer(signal.ITIMER_REAL, seconds)[0]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            left = outer - (time.monotonic() - started)
            # Due already: the outer limit fires at once, as it would have meanwhile.
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
