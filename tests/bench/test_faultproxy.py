"""The fault proxy passes bytes on, and cuts, stalls and refuses on command."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from bench.faultproxy import FaultProxy


@pytest.fixture
def echo_port() -> Iterator[int]:
    """An upstream on 127.0.0.1 that sends back every byte it is sent."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def echo(connection: socket.socket) -> None:
        with connection, contextlib.suppress(ConnectionError):
            while data := connection.recv(4096):
                connection.sendall(data)

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection = server.accept()[0]
            except TimeoutError:
                continue
            threading.Thread(target=echo, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


@pytest.fixture
def proxy(echo_port: int) -> Iterator[FaultProxy]:
    with FaultProxy(echo_port) as started:
        yield started


def exchange(port: int, data: bytes) -> bytes:
    """Send `data` on a new connection and read until the echo is whole or the peer closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        return receive(sock, len(data))


def receive(sock: socket.socket, size: int) -> bytes:
    """Up to `size` bytes; fewer when the peer closes (or resets) the connection first."""
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while len(received) < size and (chunk := sock.recv(4096)):
            received += chunk
    return received


def test_bytes_pass_through_both_ways(proxy: FaultProxy) -> None:
    assert exchange(proxy.port, b"hello") == b"hello"
    assert proxy.counts["connections"] == 1


def test_a_cut_passes_some_bytes_on_then_closes_both_sides(proxy: FaultProxy) -> None:
    proxy.cut(5.0, forward=3)
    assert exchange(proxy.port, b"hello") == b""
    assert proxy.counts["cut"] == 1


def test_a_cut_of_answers_loses_the_answer(proxy: FaultProxy) -> None:
    proxy.cut(5.0, forward=None)
    assert exchange(proxy.port, b"hello") == b""
    proxy.pass_through()
    assert exchange(proxy.port, b"again") == b"again"


def test_a_stall_holds_the_bytes_for_its_time(proxy: FaultProxy) -> None:
    proxy.stall(0.5)
    started = time.monotonic()
    assert exchange(proxy.port, b"hello") == b"hello"
    assert time.monotonic() - started >= 0.45


def test_an_outage_closes_open_connections_and_new_ones_until_it_ends(
    proxy: FaultProxy,
) -> None:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as open_one:
        open_one.sendall(b"hi")
        assert open_one.recv(2) == b"hi"
        proxy.outage(0.5)
        assert receive(open_one, 2) == b""
    assert exchange(proxy.port, b"hello") == b""
    time.sleep(0.5)
    assert exchange(proxy.port, b"hello") == b"hello"
    assert proxy.counts["refused"] == 1


def test_an_upstream_that_is_down_closes_the_connection() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with FaultProxy(port) as proxy:
        assert exchange(proxy.port, b"hello") == b""
        assert proxy.counts["upstream down"] == 1
