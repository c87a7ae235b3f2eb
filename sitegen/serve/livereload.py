"""Live reload for the development server: build events pushed to open pages over SSE."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from sitegen.classes import dataclass

SCRIPT_PATH = "/__dev/livereload.js"
EVENTS_PATH = "/__dev/events"
CLIENT_SCRIPT = Path(__file__).with_name("livereload.js")
KEEPALIVE_SECONDS = 15.0


@dataclass(frozen=True)
class BuildState:
    """What open pages need to know: which build is served and whether the last one failed."""

    run: str
    generation: int = 0
    error: str | None = None

    @property
    def key(self) -> str:
        """Names the build a page was served from."""
        return f"{self.run}:{self.generation}"

    def as_event(self) -> str:
        """The state as one server-sent event."""
        data = json.dumps({"build": self.key, "error": self.error})
        return f"event: build\ndata: {data}\n\n"


class LiveReload:
    """Holds the build state and tells every open page when it changes."""

    def __init__(self) -> None:
        # A page reloads when the server restarts too: the run id changes.
        self.state = BuildState(run=secrets.token_hex(8))
        self._listeners: set[asyncio.Queue[BuildState | None]] = set()
        self._closed = False

    def built(self) -> None:
        """A rebuild succeeded: pages reload."""
        self._publish(BuildState(self.state.run, self.state.generation + 1, None))

    def failed(self, message: str) -> None:
        """A rebuild failed: pages show the message over the last good build."""
        self._publish(BuildState(self.state.run, self.state.generation, message))

    def close(self) -> None:
        """End every open event stream, and any opened later, so the server can stop."""
        self._closed = True
        for queue in self._listeners:
            queue.put_nowait(None)

    def _publish(self, state: BuildState) -> None:
        self.state = state
        for queue in self._listeners:
            queue.put_nowait(state)

    async def stream(self) -> AsyncIterator[str]:
        """The current state, then every change, with keep-alive comments in between."""
        queue: asyncio.Queue[BuildState | None] = asyncio.Queue()
        self._listeners.add(queue)
        try:
            yield "retry: 500\n\n" + self.state.as_event()
            if self._closed:
                return
            while True:
                try:
                    state = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if state is None:
                    return
                yield state.as_event()
        finally:
            self._listeners.discard(queue)

    async def events(self, request: Request) -> Response:
        """The SSE endpoint."""
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(self.stream(), media_type="text/event-stream", headers=headers)

    async def script(self, request: Request) -> Response:
        """The client script the server adds to every HTML page it serves."""
        body = CLIENT_SCRIPT.read_bytes()
        headers = {"Cache-Control": "no-store"}
        return Response(body, media_type="text/javascript", headers=headers)


def inject(html: bytes, state: BuildState) -> bytes:
    """Add the live-reload script to an HTML page, before `</body>` when there is one."""
    tag = f'<script src="{SCRIPT_PATH}" data-build="{state.key}" defer></script>'.encode()
    index = html.lower().rfind(b"</body>")
    if index < 0:
        return html + tag
    return html[:index] + tag + html[index:]
