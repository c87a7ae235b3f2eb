"""Run one function over many items on every core, results in input order."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")
# Below this many items, starting workers costs more than it saves.
MIN_PARALLEL = 64
_shared: Any = None


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Forking is safe only while this process runs a single thread."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def map_in_order(
    function: Callable[[Any, _Item], _Result],
    shared: object,
    items: Sequence[_Item],
    *,
    jobs: int | None = None,
) -> Iterator[_Result]:
    """`function(shared, item)` for every item; `shared` reaches workers by fork, unpickled."""
    workers = min(jobs or cores(), max(1, len(items) // 16))
    if workers < 2 or len(items) < MIN_PARALLEL or not can_fork():
        yield from (function(shared, item) for item in items)
        return
    global _shared
    _shared = shared
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            chunk = max(1, min(64, len(items) // (workers * 8)))
            yield from pool.imap(partial(_call, function), items, chunksize=chunk)
    finally:
        _shared = None


def _call(function: Callable[[Any, _Item], _Result], item: _Item) -> _Result:
    return function(_shared, item)
