"""Work spread over processes: forked with what they share, or parked early for work aside."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from sitegen import parallel
from sitegen.errors import ContentError, Problem, WorkerLost
from sitegen.parallel import (
    MIN_PARALLEL,
    aside,
    map_in_order,
    parked_workers,
    start_workers,
    stop_workers,
    worker_start,
)
from tests.deadline import within

SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _scaled(shared: dict[str, int], item: int) -> tuple[int, int, int]:
    return item * shared["factor"], os.getpid(), len(shared)


def test_forked_workers_give_every_result_in_order() -> None:
    items = list(range(MIN_PARALLEL * 2))
    results = list(map_in_order(_scaled, {"factor": 3}, items, jobs=2))
    assert [value for value, _, _ in results] == [item * 3 for item in items]
    assert os.getpid() not in {pid for _, pid, _ in results}


def test_a_map_ends_the_parked_workers_and_forks_its_own_with_what_it_shares() -> None:
    pool = start_workers(2)
    parked = [process.pid for process in pool._pool]  # type: ignore[attr-defined]
    items = list(range(MIN_PARALLEL * 2))
    results = list(map_in_order(_scaled, {"factor": 5, "other": 0}, items, jobs=2))
    assert [value for value, _, _ in results] == [item * 5 for item in items]
    # Forked now: neither this process nor a parked one (a fast worker may take every item).
    pids = {pid for _, pid, _ in results}
    assert not pids & {os.getpid(), *parked}
    assert {size for _, _, size in results} == {2}
    assert not parked_workers()
    for pid in parked:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    # A short map is worked here.
    assert [pid for _, pid, _ in map_in_order(_scaled, {"factor": 2}, [1])] == [os.getpid()]


def _pid_or_refusal(refuse: bool) -> int:
    if refuse:
        raise OSError(36, "File name too long")
    return os.getpid()


def test_work_aside_runs_on_a_parked_worker_and_brings_back_its_error() -> None:
    # With no worker parked, here and now.
    assert aside(_pid_or_refusal, False)() == os.getpid()
    start_workers(2)
    try:
        assert aside(_pid_or_refusal, False)() != os.getpid()
        waiting = aside(_pid_or_refusal, True)
        with pytest.raises(OSError, match="too long"):
            waiting()
        # The map after it still gives every result.
        items = list(range(4))
        assert [v for v, _, _ in map_in_order(_scaled, {"factor": 1}, items)] == items
    finally:
        stop_workers()


def _content_error(line: int) -> None:
    raise ContentError([Problem(Path("stories/a.md"), line, "broken")])


def test_a_content_error_aside_comes_back_whole_and_the_workers_still_end() -> None:
    start_workers(2)
    try:
        waiting = aside(_content_error, 7)
        # Made again from its message, it failed in the pool's thread that takes results:
        # the wait never ended, and ending the workers failed.
        with within(60), pytest.raises(ContentError) as raised:
            waiting()
        assert raised.value.problems == [Problem(Path("stories/a.md"), 7, "broken")]
    finally:
        stop_workers()
    assert not parked_workers()


def test_workers_end_on_sigterm_whatever_the_parent_does_with_it() -> None:
    # build.py serve unwinds on SIGTERM; a worker keeping that handler could outlive
    # Pool.terminate(), which stops workers by SIGTERM.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        pool = start_workers(2)
        handlers = [pool.apply(signal.getsignal, (number,)) for number in SIGNALS]
        worker = pool.apply(os.getpid)
        stop_workers()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert handlers == [signal.SIG_DFL, signal.SIG_IGN]
    assert not parked_workers()
    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)


def _killed_at(shared: int, item: int) -> int:
    """The item, except that the worker given item `shared` dies at once (as the kernel's
    out-of-memory killer would end it)."""
    if item == shared:
        os.kill(os.getpid(), signal.SIGKILL)
    return item


@pytest.mark.parametrize("parked", [False, True], ids=["forked", "parked"])
def test_a_worker_killed_mid_map_ends_the_map_with_an_error_not_a_wait(parked: bool) -> None:
    items = list(range(MIN_PARALLEL * 2))
    if parked:
        start_workers(2)
    with within(60), pytest.raises(WorkerLost, match="killed by signal 9"):
        list(map_in_order(_killed_at, MIN_PARALLEL, items, jobs=2))
    assert not parked_workers()


def test_a_worker_killed_while_working_aside_is_an_error_for_who_waits() -> None:
    start_workers(2)
    try:
        waiting = aside(_killed_at, 1, 1)
        with within(60), pytest.raises(WorkerLost, match="--jobs"):
            waiting()
    finally:
        stop_workers()


def _slow_at(shared: tuple[int, str], item: int) -> int:
    """The item; the worker given item `shared[0]` notes its id in `shared[1]` and sleeps."""
    if item == shared[0]:
        with open(shared[1], "w") as note:
            note.write(str(os.getpid()))
        time.sleep(2)
    return item


def _killing_the_idle_worker(items: list[int], note: Path) -> None:
    """Map `_slow_at` and, once the last item is taken, kill the worker without work."""
    for value in map_in_order(_slow_at, (items[-1], str(note)), items, jobs=2):
        if value == items[0]:
            while not note.exists() or not note.read_text():
                time.sleep(0.01)
            busy = int(note.read_text())
            time.sleep(0.2)  # the other worker has finished its last chunk by now
            for process in multiprocessing.active_children():
                if process.pid is not None and process.pid != busy:
                    os.kill(process.pid, signal.SIGKILL)  # waiting for work, holding a lock


def test_an_idle_worker_killed_mid_map_ends_the_map_too(tmp_path: Path) -> None:
    # An idle worker waits for work holding the pool's queue lock: killed, it keeps it, and
    # stopping the pool would wait for it for ever unless the lock is let go.
    items = list(range(MIN_PARALLEL * 2))
    with within(60), pytest.raises(WorkerLost, match="killed by signal 9"):
        _killing_the_idle_worker(items, tmp_path / "busy")


def test_parked_workers_killed_with_work_aside_are_noticed_by_the_map_though_replaced(
    tmp_path: Path,
) -> None:
    pool = start_workers(2)
    started = tmp_path / "started"
    aside(_started_then_noted, str(started), str(tmp_path / "note"))
    with within(30):
        while not started.exists():
            time.sleep(0.01)
    for process in list(pool._pool):  # type: ignore[attr-defined]
        os.kill(process.pid, signal.SIGKILL)
    time.sleep(0.5)  # the pool starts others meanwhile
    with within(60), pytest.raises(WorkerLost):
        list(map_in_order(_scaled, {"factor": 1}, list(range(10))))
    assert not parked_workers()
    assert not (tmp_path / "note").exists()


def test_a_dead_worker_is_noticed_when_sigchld_is_ignored() -> None:
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        with within(60), pytest.raises(WorkerLost, match="ended"):
            list(map_in_order(_killed_at, 5, list(range(MIN_PARALLEL * 2)), jobs=2))
    finally:
        signal.signal(signal.SIGCHLD, previous)


def _slow_scaled(shared: dict[str, int], item: int) -> tuple[int, int, int]:
    time.sleep(0.02)
    return _scaled(shared, item)


@pytest.mark.parametrize("how", ["parked", "forked", "here"])
def test_a_map_works_here_while_it_waits(how: str) -> None:
    """`idle` runs while no result is ready, until it says it is done."""
    items = list(range(MIN_PARALLEL * 2))
    if how == "parked":
        start_workers(2)
    calls: list[int] = []

    def idle() -> bool:
        calls.append(len(calls))
        return len(calls) < 3

    try:
        jobs = 1 if how == "here" else 2
        results = list(map_in_order(_slow_scaled, {"factor": 2}, items, jobs=jobs, idle=idle))
        assert not parked_workers()
    finally:
        stop_workers()
    assert [value for value, _, _ in results] == [item * 2 for item in items]
    pids = {pid for _, pid, _ in results}
    if how == "here":
        assert pids == {os.getpid()}
        assert calls == []  # nothing is waited for
        return
    assert os.getpid() not in pids
    # Called while waiting, and no more once it said it had nothing left.
    assert calls == [0, 1, 2]


def _started_then_noted(started: str, path: str) -> int:
    Path(started).write_text("started")
    return _noted_after(path, 5.0)


def _noted_after(path: str, seconds: float) -> int:
    time.sleep(seconds)
    Path(path).write_text("made")
    return os.getpid()


def test_a_map_on_parked_workers_waits_for_their_work_aside_before_ending_them(
    tmp_path: Path,
) -> None:
    start_workers(2)
    try:
        note = tmp_path / "note"
        waiting = aside(_noted_after, str(note), 1.0)
        # A map much shorter than the work aside: the worker doing it is not ended mid-way.
        assert [v for v, _, _ in map_in_order(_scaled, {"factor": 1}, [1, 2])] == [1, 2]
        assert note.read_text() == "made"
        with within(5):
            assert waiting() != os.getpid()
    finally:
        stop_workers()


def _slow_to_start() -> None:
    time.sleep(0.3)  # as under load: stopped before it has set its handlers
    worker_start()


def test_workers_stopped_before_they_are_ready_end_whatever_the_parents_sigterm_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parallel, "worker_start", _slow_to_start)
    # The handler they start with is the parent's, which ignores SIGTERM here.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        with within(30):
            for _ in range(3):
                pool = start_workers(2)
                pids = [process.pid for process in pool._pool]  # type: ignore[attr-defined]
                stop_workers()
                for pid in pids:
                    with pytest.raises(ProcessLookupError):
                        os.kill(pid, 0)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _thread_cpu_seconds(native_id: int) -> float:
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_the_thread_looking_after_workers_sleeps_while_results_wait_to_be_read() -> None:
    # This thread holds the interpreter's lock, as a build's does while workers render: the
    # pool's results wait in their pipe, which woke Pool's own thread over and over.
    pool = start_workers(2)
    try:
        handler = pool._worker_handler  # type: ignore[attr-defined]
        assert handler.native_id is not None
        before = _thread_cpu_seconds(handler.native_id)
        results = pool.map_async(abs, range(20_000), chunksize=1)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            sum(range(1000))
        results.wait(30)
        assert results.ready()
        used = _thread_cpu_seconds(handler.native_id) - before
    finally:
        stop_workers()
    assert used < 0.05


def _collecting(shared: object, item: int) -> tuple[int, bool]:
    return os.getpid(), gc.isenabled()


def test_workers_collect_cycles_while_the_build_that_forks_them_does_not() -> None:
    """A build runs with the cycle collector off; its workers turn it on (they convert
    Markdown, which leaves reference cycles), parked ones and those forked for a map alike."""
    gc.disable()
    try:
        start_workers(2)
        parked = aside(_collecting, None, 0)()
        found = list(map_in_order(_collecting, None, list(range(MIN_PARALLEL * 2)), jobs=2))
        assert not gc.isenabled()
    finally:
        gc.enable()
        stop_workers()
    assert parked[0] != os.getpid()
    assert parked[1]
    assert {pid for pid, _ in found} - {os.getpid()}
    assert all(enabled for _, enabled in found)
