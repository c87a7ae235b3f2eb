"""The daily run: introductions nobody answered in time go back to the inbox, and accepted
ones get their follow-up. Each change is conditional on the version the query saw, so two runs
at once do each thing once."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from ..shared.table import offer_key, request_key
from .errors import Stale
from .items import TIMED_OUT_NOTE, Item, is_email, item_id, text
from .runtime import Runtime


@dataclass
class Run:
    """What one run did, in counts only."""

    timed_out: int = 0
    follow_ups: int = 0
    overtaken: int = 0

    def log_line(self) -> str:
        """The run's log line as JSON."""
        return json.dumps({"event": "schedule", "level": "info", **self.__dict__})


def run_schedule(runtime: Runtime, now: float) -> Run:
    """Do what is due at `now`."""
    run = Run()
    for intro in runtime.store.due("answer", now):
        run.timed_out += _attempt(partial(time_out, runtime, intro, now), run)
    for intro in runtime.store.due("follow-up", now):
        run.follow_ups += _attempt(partial(queue_follow_up, runtime, intro, now), run)
    return run


def time_out(runtime: Runtime, intro: Item, now: float) -> None:
    """No answer within five days: the introduction expires, the request is `new` again."""
    request = runtime.store.get(request_key(text(intro, "request_id")), now)
    offer = runtime.store.get(offer_key(text(intro, "helper_id")), now)
    runtime.store.hand_back(intro, request, offer, "expired", TIMED_OUT_NOTE, now)


def queue_follow_up(runtime: Runtime, intro: Item, now: float) -> None:
    """Two weeks after acceptance: the request's follow-up mail goes into the outbox."""
    request = runtime.store.get(request_key(text(intro, "request_id")), now)
    # A request closed since, or reached by phone, gets no mail; the follow-up is done anyway.
    runtime.store.queue_follow_up(intro, request if _asks(request, intro) else None)


def _asks(request: Item | None, intro: Item) -> bool:
    """Whether the request still waits on this introduction and has an e-mail address."""
    if request is None or text(request, "status") != "introduced":
        return False
    return text(request, "introduction") == item_id(intro) and is_email(text(request, "contact"))


def _attempt(action: Callable[[], None], run: Run) -> int:
    try:
        action()
    except Stale:
        run.overtaken += 1  # another run, or an answer, got there first
        return 0
    return 1
