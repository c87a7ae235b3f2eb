"""Live reload: what open pages are told, and how the script gets into HTML."""

from __future__ import annotations

import asyncio
import json

from sitegen.serve.livereload import SCRIPT_PATH, BuildState, LiveReload, inject


def event_data(event: str) -> dict[str, object]:
    lines = event.strip().splitlines()
    assert lines[-2] == "event: build"
    data: dict[str, object] = json.loads(lines[-1].removeprefix("data: "))
    return data


def test_build_state_names_the_run_and_generation() -> None:
    state = BuildState("abc", 3, None)
    assert state.key == "abc:3"
    assert event_data(state.as_event()) == {"build": "abc:3", "error": None}


def test_inject_before_the_last_body_end() -> None:
    state = BuildState("r", 1)
    html = b"<html><body><p>&lt;/body&gt;</p></BODY></html>"
    assert inject(html, state) == (
        b'<html><body><p>&lt;/body&gt;</p><script src="/__dev/livereload.js" '
        b'data-build="r:1" defer></script></BODY></html>'
    )


def test_inject_appends_without_a_body_end() -> None:
    assert inject(b"<p>x", BuildState("r")).startswith(b'<p>x<script src="' + SCRIPT_PATH.encode())


def test_stream_sends_the_state_then_every_change_until_closed() -> None:
    livereload = LiveReload()
    run = livereload.state.run

    async def scenario() -> list[dict[str, object]]:
        received: list[dict[str, object]] = []

        async def listen() -> None:
            async for chunk in livereload.stream():
                received.append(event_data(chunk))

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.01)
        livereload.failed("content/stories/a.en.md:3: 'title' is required")
        livereload.built()
        livereload.close()
        await asyncio.wait_for(listener, 1)
        return received

    assert asyncio.run(scenario()) == [
        {"build": f"{run}:0", "error": None},
        {"build": f"{run}:0", "error": "content/stories/a.en.md:3: 'title' is required"},
        {"build": f"{run}:1", "error": None},
    ]


def test_two_servers_have_different_runs() -> None:
    assert LiveReload().state.run != LiveReload().state.run
