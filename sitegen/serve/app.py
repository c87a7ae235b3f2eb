"""The development server as one ASGI app: the built site, live reload, and the API."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import traceback
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

import watchfiles
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sitegen.errors import SiteError
from sitegen.serve.files import SiteFiles
from sitegen.serve.livereload import EVENTS_PATH, SCRIPT_PATH, LiveReload

# Rebuilds after these files changed; says whether any output file changed. It calls the
# function it is given once the output files are in place, with whether any changed, when
# that is before it is done (saving what the next rebuild needs).
Rebuild = Callable[[set[Path], Callable[[bool], None]], bool]


def with_api(api: ASGIApp, site: ASGIApp) -> ASGIApp:
    """Send `/api/...` to the API, path unchanged (it routes it itself); the rest to the site."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and (path == "/api" or path.startswith("/api/")):
            await api(scope, receive, send)
        else:
            await site(scope, receive, send)

    return app


def with_headers(app: ASGIApp, headers: Mapping[str, str]) -> ASGIApp:
    """Add headers to every HTTP response, as CloudFront's response headers policy does."""
    extra = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in extra}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + extra}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped


def site_app(files: SiteFiles, livereload: LiveReload, watcher: Watcher) -> Starlette:
    """The built site plus the live-reload endpoints; the lifespan runs the watcher."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(watcher.run())
        try:
            yield
        finally:
            watcher.stop()
            livereload.close()
            await task

    routes = [
        Route(EVENTS_PATH, livereload.events),
        Route(SCRIPT_PATH, livereload.script),
        Route("/{path:path}", files.respond, methods=["GET", "HEAD"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


class Watcher:
    """Rebuilds when watched files change and tells open pages."""

    def __init__(self, paths: tuple[Path, ...], rebuild: Rebuild, livereload: LiveReload) -> None:
        self.paths = paths
        self.rebuild = rebuild
        self.livereload = livereload
        self._stop = asyncio.Event()

    async def run(self) -> None:
        """Watch until stopped."""
        # Changes a few milliseconds apart (a save, a copy, a checkout) make one rebuild; one
        # is started within 10 to 20 ms of the last (with 30, 35 to 60: a third of what a
        # save takes to be served after an edit to a text).
        changes_seen = watchfiles.awatch(
            *self.paths, stop_event=self._stop, step=10, debounce=400, recursive=True
        )
        async for changes in changes_seen:
            await self.apply({Path(path) for _, path in changes})

    async def apply(self, changed: set[Path]) -> None:
        """Rebuild once for a batch of changes. Open pages reload as soon as the output files
        are in place, while the rebuild saves what the next one needs."""
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        reloaded = False

        def in_place(output_changed: bool) -> None:
            # On the rebuild's thread: the reload is the event loop's to send.
            nonlocal reloaded
            if output_changed:
                reloaded = True
                loop.call_soon_threadsafe(self.livereload.built)

        try:
            output_changed = await asyncio.to_thread(self.rebuild, changed, in_place)
        except SiteError as error:
            self.report(error_text(error))
        # A bug or a file vanishing mid-build must not end the watch: report it and go on.
        except Exception as error:
            traceback.print_exc()
            self.report(f"{type(error).__name__}: {error}")
        else:
            seconds = time.perf_counter() - started
            print(f"rebuilt in {seconds:.2f} s: {describe(changed)}", flush=True)
            # A save that changes no page reloads nothing, unless an error overlay must go.
            if not reloaded and (output_changed or self.livereload.state.error):
                self.livereload.built()

    def report(self, message: str) -> None:
        """A failed rebuild: in the terminal, and over every open page."""
        print(message, file=sys.stderr, flush=True)
        self.livereload.failed(message)

    def stop(self) -> None:
        """End the watch loop."""
        self._stop.set()


def error_text(error: SiteError) -> str:
    """A build error as a person reads it: every problem with its file and line."""
    formatter = getattr(error, "format", None)
    return formatter() if callable(formatter) else str(error)


def describe(changed: set[Path]) -> str:
    """A short list of changed files for the terminal."""
    names = sorted(str(path) for path in changed)
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
