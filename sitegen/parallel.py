"""Run one function over many items on every core, results in input order.

Workers are forked when the map starts, from the process that holds what they share (for a
build, the site model), so that each item is sent as itself and nothing more: a page to
render goes as its URL. Forked later they share the model's memory only until they use an
object, which writes its reference count, so each ends up with a copy of much of it: at
10,000 stories some 60 MB each, where workers forked before the model and sent each page's
data by pickle held 30 MB. They took 20% longer, though (5.4 s to 4.6 s, cold): pickling
and unpickling every page's data cost more than rendering some pages.

Workers forked early, while this process holds little more than its code (`start_workers`),
wait for work given them `aside` while the model is made; the next map waits for that work,
ends them and forks its own."""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import cache, partial
from typing import TYPE_CHECKING, Any, TypeVar
from weakref import WeakKeyDictionary

from sitegen.errors import WorkerLost

# multiprocessing and ctypes are imported where used: a rebuild after one edit renders a
# page or two in this process, and importing them would be a tenth of its time.
if TYPE_CHECKING:
    from multiprocessing.pool import ApplyResult, Pool
    from multiprocessing.process import BaseProcess

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")
# Below this many items, starting workers costs more than it saves.
MIN_PARALLEL = 64
# How often waiting for workers looks whether one has died, in seconds.
LOOK_EVERY = 0.5
_shared: Any = None
# The workers each pool started with: it replaces any that dies.
_first: WeakKeyDictionary[Pool, list[BaseProcess]] = WeakKeyDictionary()
# Workers started by `start_workers`, waiting for work given them `aside`.
_parked: Pool | None = None
# Work given to the parked workers by `aside`: their map waits for it before it ends them.
_aside: list[ApplyResult[Any]] = []


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Forking is safe only while this process runs a single thread."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def release_freed_memory() -> None:
    """Give memory freed since a phase's peak back to the system (glibc keeps it otherwise)."""
    import ctypes

    # The symbols this process has loaded, the C library's among them.
    loaded = ctypes.CDLL(None)
    if hasattr(loaded, "malloc_trim"):  # glibc only
        loaded.malloc_trim(0)


def worker_start() -> None:
    """What a forked worker does first: SIGTERM ends it at once, Ctrl-C is the parent's to
    handle, and the cycle collector is on.

    The build that forks it runs with the collector off (`Builder.build`), but a worker
    converts Markdown, and Python-Markdown leaves some 30 objects in reference cycles for
    each long text; what the worker holds of the build's is left out of the collector's
    passes (`map_in_order` freezes it before forking), so that they cost little.

    A fork inherits the parent's Python handlers: `build.py serve` unwinds on SIGTERM, so a
    worker given its handler could outlive Pool.terminate(), which stops workers by SIGTERM,
    and leave the build waiting for it for good (seen once, under load). The terminal sends
    Ctrl-C to every process of the group; the parent stops the workers itself.

    Until then, SIGTERM is held back (`sigterm_held`): one sent right after the fork would
    find the parent's handler still in place."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    gc.enable()


@contextlib.contextmanager
def sigterm_held() -> Iterator[None]:
    """SIGTERM held back in this thread meanwhile, and in the processes and threads it starts
    (a pool's threads keep it held, so the workers they start in place of dead ones too);
    forked workers let it through once they have set their handler (`worker_start`). One
    sent to this process meanwhile arrives when it is over."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def start_workers(count: int) -> Pool:
    """Fork `count` workers now and park them for work given them `aside`, until the next
    `map_in_order` ends them."""
    stop_workers()
    global _parked
    _parked = pool = _fork_pool(count)
    return pool


def _fork_pool(count: int) -> Pool:
    """`count` forked workers, remembered as the pool's first ones."""
    import multiprocessing

    with sigterm_held():
        context = multiprocessing.get_context("fork")
        pool = _pool_class()(count, initializer=worker_start, context=context)
    _first[pool] = list(pool._pool)  # type: ignore[attr-defined]
    return pool


@cache
def _pool_class() -> type[Pool]:
    """multiprocessing's Pool, with a thread that looks after the workers woken only when one
    ends, the pool changes state or its last pending job is done. Woken also while results
    wait to be read, as the Pool's own is, it went round its loop until they were: 0.2 s of
    this process's time in a build of 10,000 pages, nearly all of it while workers render."""
    from multiprocessing.pool import Pool

    class QuietPool(Pool):
        def _get_sentinels(self) -> list[object]:
            return [self._change_notifier._reader]  # type: ignore[attr-defined]

    return QuietPool


def parked_workers() -> int:
    """How many workers forked early wait for work given them `aside` (0: none)."""
    return 0 if _parked is None else len(_first.get(_parked, ()))


def aside(function: Callable[..., _Result], *args: Any) -> Callable[[], _Result]:
    """Run `function(*args)` on a parked worker while this process goes on (now, here, when
    none is parked); the function returned waits for its result, or raises its error. The
    next map waits for it before it ends the parked workers."""
    if _parked is None:
        done = function(*args)
        return lambda: done
    pool = _parked
    waiting = pool.apply_async(function, args)
    _aside.append(waiting)

    def result() -> _Result:
        _wait(pool, waiting)
        return waiting.get()

    return result


def _wait(pool: Pool, waiting: ApplyResult[Any]) -> None:
    """Until `waiting` is done; WorkerLost if a worker of the pool dies meanwhile."""
    while not waiting.ready():
        waiting.wait(LOOK_EVERY)
        if not waiting.ready():
            _check_alive(pool)


def stop_workers() -> None:
    """End the parked workers, if any."""
    global _parked
    parked, _parked = _parked, None
    _aside.clear()
    if parked is not None:
        parked.terminate()
        parked.join()


def map_in_order(
    function: Callable[[Any, _Item], _Result],
    shared: object,
    items: Sequence[_Item],
    *,
    jobs: int | None = None,
    idle: Callable[[], bool] | None = None,
    least: int = MIN_PARALLEL,
) -> Iterator[_Result]:
    """`function(shared, item)` for every item; `shared` reaches workers by fork, when there
    are at least `least` items. Parked workers are ended first, once done with their work
    aside.

    While no worker's result is ready, `idle` does some work of this process and says
    whether it has more."""
    if _parked is not None:
        pool = _parked
        try:
            for waiting in _aside:
                _wait(pool, waiting)
        finally:
            stop_workers()
    workers = min(jobs or cores(), max(1, len(items) // 16))
    if workers < 2 or len(items) < least or not can_fork():
        yield from (function(shared, item) for item in items)
        return
    global _shared
    _shared = shared
    # What this process holds is shared with the workers page by page; the cycle collector,
    # here or in them, would write into every object's header and so copy all those pages.
    gc.freeze()
    try:
        with _fork_pool(workers) as pool:
            call = partial(_call, function)
            yield from _results(pool, call, items, workers, idle)
    finally:
        _shared = None
        gc.unfreeze()


def _results(
    pool: Pool,
    call: Callable[[_Item], _Result],
    items: Sequence[_Item],
    workers: int,
    idle: Callable[[], bool] | None = None,
) -> Iterator[_Result]:
    """`call` of every item on the pool's workers, in order, with `idle` called while none is
    ready (until it says it has no more to do); WorkerLost when a worker dies meanwhile. The
    pool starts another in its place, but the items the dead one held would never be done,
    and the wait for them would last for ever."""
    from multiprocessing import TimeoutError as Waited

    size = _chunk(items, workers)
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    # In chunks of our own: the iterator of a map in chunks cannot wait with a time limit.
    results = pool.imap(partial(_call_each, call), chunks)
    while True:
        try:
            yield from results.next(0 if idle else LOOK_EVERY)
        except StopIteration:
            return
        except Waited:
            if idle is None or not idle():
                idle = None
                _check_alive(pool)


def _call_each(call: Callable[[_Item], _Result], chunk: Sequence[_Item]) -> list[_Result]:
    return [call(item) for item in chunk]


def _check_alive(pool: Pool) -> None:
    """Raise WorkerLost if a worker of `pool` has ended: only the pool's end ends them, and
    it replaces one that dies, so the workers it started with are looked at too. Before, the
    pool's workers are killed and the locks a dead one may hold let go, or stopping the pool
    would wait for them for ever."""
    workers = [*_first.get(pool, ()), *pool._pool]  # type: ignore[attr-defined]
    for process in workers:
        code = process.exitcode
        if code is None and not _exists(process.pid):
            code = 0  # reaped by the system already: SIGCHLD is ignored
        if code is not None:
            _abandon(pool)
            how = f"killed by signal {-code}" if code < 0 else "ended by itself"
            raise WorkerLost(
                f"a worker process of the build ended unexpectedly ({how}); if the system ran "
                "out of memory, try fewer processes with --jobs"
            )


def _exists(pid: int | None) -> bool:
    """Whether a process of this id exists (a zombie counts)."""
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandon(pool: Pool) -> None:
    """Kill the pool's workers and let go of the queue locks only workers take (an idle one
    waits for work holding one), so that Pool.terminate() can end the pool."""
    workers = list(pool._pool)  # type: ignore[attr-defined]
    for process in workers:
        if process.exitcode is None and process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
    for process in workers:
        process.join(LOOK_EVERY)
    # A worker killed between reading a task's length and its bytes leaves the rest in the
    # pipe, which Pool.terminate() would read as a task: nobody reads it now, so drop it.
    reader = pool._inqueue._reader  # type: ignore[attr-defined]
    with contextlib.suppress(OSError):
        while reader.poll(0):
            os.read(reader.fileno(), 1 << 16)
    for lock in (pool._inqueue._rlock, pool._outqueue._wlock):  # type: ignore[attr-defined]
        if lock is None:
            continue
        # Taken now or not, it is let go: whoever held it is dead.
        lock.acquire(False)
        lock.release()


def _chunk(items: Sequence[object], workers: int) -> int:
    return max(1, min(64, len(items) // (workers * 8)))


def _call(function: Callable[[Any, _Item], _Result], item: _Item) -> _Result:
    return function(_shared, item)
