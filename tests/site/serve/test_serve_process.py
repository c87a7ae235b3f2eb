"""`build.py serve` as a person runs it: one command, one origin, and Ctrl-C stops it all."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sitegen.serve.dynamodb_local import free_port

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parents[3]


def children(pid: int) -> set[int]:
    """Process ids of `pid`'s direct children."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        found.update(int(child) for child in text.split())
    return found


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build cache of this module's own: resized images are made once, not per test."""
    return tmp_path_factory.mktemp("cache")


def start(port: int, tmp_path: Path, cache: Path, **env: str) -> subprocess.Popen[bytes]:
    environment = {k: v for k, v in os.environ.items() if k != "DYNAMODB_ENDPOINT"} | env
    command = [sys.executable, "build.py", "serve", "--port", str(port)]
    command += ["--output", str(tmp_path / "public"), "--cache", str(cache)]
    with (tmp_path / "serve.log").open("wb") as log:
        return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)


def wait_for(url: str, process: subprocess.Popen[bytes], tmp_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - local URL
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail((tmp_path / "serve.log").read_text())


def post_request(origin: str) -> tuple[int, dict[str, object]]:
    body = {
        "id": str(uuid.uuid4()),
        "contact": "+48 600 100 200",
        "topic": "other",
        "message": "Testing the local API from start to end.",
        "language": "en",
        "consent": True,
        "started_at": 0,
    }
    request = urllib.request.Request(  # noqa: S310 - local URL
        f"{origin}/api/help-requests",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Origin": origin},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, json.loads(response.read())


@pytest.mark.dynamodb
@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_serve_runs_everything_and_stops_everything(
    tmp_path: Path, cache: Path, stop_signal: signal.Signals
) -> None:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    process = start(port, tmp_path, cache)
    try:
        wait_for(f"{origin}/en/", process, tmp_path)
        java = [pid for pid in children(process.pid) if "DynamoDBLocal" in command_line(pid)]
        assert len(java) == 1
        status, answer = post_request(origin)
        assert (status, answer["status"]) == (201, "received")
        # An open page keeps an event stream open; stopping must not wait for it.
        page = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        page.request("GET", "/__dev/events")
        events = page.getresponse()
        assert events.readline() == b"retry: 500\n"
        stopping = time.monotonic()
        process.send_signal(stop_signal)
        code = process.wait(timeout=30)
        assert time.monotonic() - stopping < 5
        assert events.read().startswith(b"\nevent: build")
        page.close()
    finally:
        if process.poll() is None:
            process.kill()
    assert code == (0 if stop_signal == signal.SIGINT else 128 + signal.SIGTERM)
    assert not is_running(java[0]), "DynamoDB Local outlived the server"
    output = (tmp_path / "serve.log").read_text()
    assert f"Serving the site and its API at {origin}/" in output
    assert "Traceback" not in output
    assert "ERROR" not in output


def test_a_taken_port_is_a_clear_error(tmp_path: Path, cache: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start(port, tmp_path, cache)
        assert process.wait(timeout=30) == 1
    assert (tmp_path / "serve.log").read_text() == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use;"
        " choose another with --port\n"
    )


def test_an_unreachable_dynamodb_endpoint_is_a_clear_error(tmp_path: Path, cache: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    process = start(free_port(), tmp_path, cache, DYNAMODB_ENDPOINT=endpoint)
    assert process.wait(timeout=60) == 1
    last_line = (tmp_path / "serve.log").read_text().splitlines()[-1]
    assert last_line.startswith(f"error: cannot use DynamoDB at {endpoint}: Could not connect")


@pytest.mark.dynamodb
def test_a_given_dynamodb_endpoint_is_used_and_nothing_else_started(
    tmp_path: Path, cache: Path, dynamodb_endpoint: str, dynamodb_client: DynamoDBClient
) -> None:
    port = free_port()
    table = f"serve-{uuid.uuid4().hex[:12]}"
    process = start(port, tmp_path, cache, DYNAMODB_ENDPOINT=dynamodb_endpoint, TABLE_NAME=table)
    try:
        wait_for(f"http://127.0.0.1:{port}/en/", process, tmp_path)
        assert children(process.pid) == set()
        assert post_request(f"http://127.0.0.1:{port}")[0] == 201
        items = dynamodb_client.scan(TableName=table)["Items"]
        assert [item["pk"]["S"].split("#")[0] for item in items].count("request") == 1
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        dynamodb_client.delete_table(TableName=table)


def test_the_server_parses_http_and_runs_its_loop_in_c_where_it_can() -> None:
    from sitegen.options import BuildOptions
    from sitegen.serve.server import ServeOptions, server_config

    async def app(scope: object, receive: object, send: object) -> None:
        return None

    config = server_config(app, ServeOptions(BuildOptions(Path("content"))))
    config.load()
    # Half the CPU a request took with uvicorn's own parser and asyncio's loop, which a
    # rebuild after a save shares.
    assert config.http_protocol_class.__name__ == "HttpToolsProtocol"
    if sys.platform != "win32":
        assert config.get_loop_factory().__module__ == "uvloop"
