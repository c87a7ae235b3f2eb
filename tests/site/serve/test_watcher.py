"""The watcher: file changes on disk become rebuilds, and rebuild outcomes become page events."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sitegen.errors import ContentError, Problem
from sitegen.serve.app import Watcher
from sitegen.serve.livereload import BuildState, LiveReload


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def rebuilt_at_least(calls: list[set[Path]], count: int) -> bool:
    return len(calls) >= count


def run_watching(
    folder: Path, outcomes: list[bool | Exception], steps: Callable[[Path], None]
) -> tuple[list[set[Path]], list[BuildState]]:
    """Watch `folder`, answer each rebuild with the next outcome, and record the states."""
    calls: list[set[Path]] = []
    states: list[BuildState] = []
    livereload = LiveReload()

    def rebuild(changed: set[Path], in_place: Callable[[bool], None]) -> bool:
        calls.append(changed)
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def scenario() -> None:
        watcher = Watcher((folder,), rebuild, livereload)
        task = asyncio.create_task(watcher.run())
        await asyncio.sleep(0.2)  # let the watch start
        for index in range(len(outcomes)):
            await asyncio.to_thread(steps, folder / f"file{index}.md")
            await until(partial(rebuilt_at_least, calls, index + 1))
            await asyncio.sleep(0.05)
            states.append(livereload.state)
        watcher.stop()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    return calls, states


def write(path: Path) -> None:
    path.write_text("changed", encoding="utf-8")


def test_changes_rebuild_and_reload_only_when_output_changed(tmp_path: Path) -> None:
    calls, states = run_watching(tmp_path, [True, False, True], write)
    assert calls == [{tmp_path / f"file{i}.md"} for i in range(3)]
    assert [(state.generation, state.error) for state in states] == [
        (1, None),
        (1, None),
        (2, None),
    ]


def test_errors_show_and_clear_and_never_stop_the_watch(tmp_path: Path) -> None:
    problem = Problem(tmp_path / "story.en.md", 3, "'title' is required", "add a title")
    outcomes: list[bool | Exception] = [
        ContentError([problem]),
        RuntimeError("a file vanished"),
        False,
    ]
    _, states = run_watching(tmp_path, outcomes, write)
    assert states[0].error is not None
    assert states[0].error.startswith(f"{tmp_path / 'story.en.md'}:3: 'title' is required")
    assert "hint: add a title" in states[0].error
    assert states[1].error == "RuntimeError: a file vanished"
    # Back to a good build that changed nothing: the overlay still goes away.
    assert (states[2].generation, states[2].error) == (1, None)


def test_pages_reload_once_the_files_are_in_place_not_when_the_rebuild_is_done(
    tmp_path: Path,
) -> None:
    livereload = LiveReload()
    in_place_told = threading.Event()
    finish = threading.Event()
    seen: list[BuildState] = []

    def rebuild(changed: set[Path], in_place: Callable[[bool], None]) -> bool:
        in_place(True)
        in_place_told.set()
        # Saving what the next rebuild needs: pages may reload meanwhile.
        assert finish.wait(5)
        return True

    def failing(changed: set[Path], in_place: Callable[[bool], None]) -> bool:
        in_place(True)
        raise RuntimeError("the disk is full")

    async def scenario() -> None:
        watcher = Watcher((tmp_path,), rebuild, livereload)
        applying = asyncio.create_task(watcher.apply({tmp_path / "story.md"}))
        await asyncio.to_thread(in_place_told.wait, 5)
        await until(lambda: livereload.state.generation == 1)
        seen.append(livereload.state)
        assert not applying.done()
        finish.set()
        await applying
        seen.append(livereload.state)  # told once, not again when done
        await Watcher((tmp_path,), failing, livereload).apply({tmp_path / "story.md"})
        seen.append(livereload.state)

    asyncio.run(scenario())
    assert [(state.generation, state.error) for state in seen] == [
        (1, None),
        (1, None),
        (2, "RuntimeError: the disk is full"),
    ]
