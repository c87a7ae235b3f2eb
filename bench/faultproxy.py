"""A TCP proxy on 127.0.0.1 that passes bytes through, or breaks them as a bad network does.

It runs its own event loop on a thread of its own; every control method may be called from any
thread and takes effect for the data that arrives after it:

    with FaultProxy(upstream_port=8001) as proxy:    # proxy.port forwards to 127.0.0.1:8001
        proxy.cut(1.0, forward=100)   # for 1 s: pass 100 bytes of each request on, then close
        proxy.cut(1.0, forward=None)  # for 1 s: pass requests on whole, close on their answers
        proxy.stall(2.0)              # hold every byte, both ways, for the next 2 s
        proxy.outage(5.0)             # close every connection, open or new, for 5 s
        proxy.pass_through()          # end any fault now
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, TypeVar

HOST = "127.0.0.1"
CHUNK = 65536
FaultKind = Literal["cut", "stall", "outage"]
T = TypeVar("T")


@dataclass(frozen=True)
class Fault:
    """One fault and when it ends, on `time.monotonic()`'s clock."""

    kind: FaultKind
    until: float
    # For a cut: the bytes of a request passed on before closing; None passes it on whole
    # and closes the connection as its answer comes back instead.
    forward: int | None = 0

    def active(self, kind: FaultKind) -> bool:
        """Whether this is a fault of `kind` that has not ended yet."""
        return self.kind == kind and time.monotonic() < self.until


@dataclass(eq=False)
class Link:
    """One proxied connection: the caller's side and the upstream side."""

    caller: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    answer_lost: bool = field(default=False)

    def cut(self) -> None:
        """Close both sides at once, dropping what is buffered, as a broken network does."""
        for writer in (self.caller, self.upstream):
            writer.transport.abort()

    def close(self) -> None:
        """Close both sides after what is buffered, as either end does when it is done."""
        for writer in (self.caller, self.upstream):
            writer.close()


class FaultProxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`upstream_port`, with faults on command."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        # What happened to connections: "connections", "cut", "refused", "upstream down".
        self.counts: Counter[str] = Counter()
        self._fault: Fault | None = None
        self._links: set[Link] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy")
        self._server: asyncio.Server | None = None

    def start(self) -> int:
        """Listen on a free port and return it."""
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._handle, HOST, 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def stop(self) -> None:
        """Close the listener and every connection, and end the thread."""
        server, self._server = self._server, None
        if server is not None:
            self._call(self._shut(server))
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
        self._loop.close()

    def pass_through(self) -> None:
        """End any fault: bytes flow again."""
        self._fault = None

    def cut(self, seconds: float, *, forward: int | None = 0) -> None:
        """For `seconds`, close each connection that sends data, after `forward` of its bytes.

        `forward=0` closes it as its request starts; `None` passes the request on whole and
        closes the connection when the answer comes back, so the answer is lost."""
        self._fault = Fault("cut", time.monotonic() + seconds, forward)

    def stall(self, seconds: float) -> None:
        """Hold every byte, both ways and on new connections too, until `seconds` have passed."""
        self._fault = Fault("stall", time.monotonic() + seconds)

    def outage(self, seconds: float) -> None:
        """Close every open connection now, and every new one at once for `seconds`."""
        self._fault = Fault("outage", time.monotonic() + seconds)
        self._loop.call_soon_threadsafe(self._cut_all)

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def _active(self, kind: FaultKind) -> Fault | None:
        fault = self._fault
        return fault if fault is not None and fault.active(kind) else None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counts["connections"] += 1
        if self._active("outage"):
            self.counts["refused"] += 1
            writer.transport.abort()
            return
        await self._wait_out_stall()
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                HOST, self.upstream_port
            )
        except OSError:
            self.counts["upstream down"] += 1
            writer.transport.abort()
            return
        link = Link(writer, upstream_writer)
        self._links.add(link)
        try:
            await _first_to_end(self._requests(reader, link), self._answers(upstream_reader, link))
        finally:
            self._links.discard(link)
            link.close()

    async def _requests(self, reader: asyncio.StreamReader, link: Link) -> None:
        while data := await reader.read(CHUNK):
            cut = self._active("cut")
            if cut is not None and cut.forward is not None:
                link.upstream.write(data[: cut.forward])
                await link.upstream.drain()
                self.counts["cut"] += 1
                link.cut()
                return
            link.answer_lost = link.answer_lost or cut is not None
            await self._wait_out_stall()
            link.upstream.write(data)
            await link.upstream.drain()

    async def _answers(self, reader: asyncio.StreamReader, link: Link) -> None:
        while data := await reader.read(CHUNK):
            if link.answer_lost:
                self.counts["cut"] += 1
                link.cut()
                return
            await self._wait_out_stall()
            link.caller.write(data)
            await link.caller.drain()

    async def _wait_out_stall(self) -> None:
        stall = self._active("stall")
        if stall is not None:
            await asyncio.sleep(stall.until - time.monotonic())

    def _cut_all(self) -> None:
        self.counts["cut"] += len(self._links)
        for link in list(self._links):
            link.cut()

    async def _shut(self, server: asyncio.Server) -> None:
        server.close()
        for link in list(self._links):
            link.cut()
        handlers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    def __enter__(self) -> FaultProxy:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


async def _first_to_end(*pumps: Coroutine[Any, Any, None]) -> None:
    """Run the pumps until one ends (its side closed or failed); cancel the rest."""
    tasks = [asyncio.create_task(pump) for pump in pumps]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await task
