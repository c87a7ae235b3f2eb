"""When storage fails or times out the answer is 503 + Retry-After, never a 500 or a trace."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.help_requests import Config, create_app
from sitegen.serve.dynamodb_local import free_port

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def config_for(endpoint: str) -> Config:
    return Config(
        table_name="help-requests",
        ip_hash_key=b"k" * 32,
        consent_version="1",
        contact_hash_key=b"c" * 32,
        dynamodb_endpoint=endpoint,
    )


def assert_unavailable(response: httpx.Response, capsys: pytest.CaptureFixture[str]) -> None:
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"error": "unavailable"}
    record = json.loads(capsys.readouterr().out)
    assert (record["level"], record["outcome"]) == ("error", "unavailable")


@pytest.mark.usefixtures("fake_credentials")
def test_no_database_listening_is_503(
    call_app: Call, valid_request: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(config_for(f"http://127.0.0.1:{free_port()}"))
    response = call_app(app, "POST", json=valid_request)

    assert_unavailable(response, capsys)


@pytest.mark.slow
@pytest.mark.usefixtures("fake_credentials")
def test_a_database_that_never_answers_is_503_within_the_timeouts(
    call_app: Call,
    valid_request: dict[str, Any],
    silent_endpoint: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = create_app(config_for(silent_endpoint))
    started = time.monotonic()
    response = call_app(app, "POST", json=valid_request)

    assert_unavailable(response, capsys)
    # Three attempts with a 2 s read timeout each, plus back-off between them.
    assert 5.9 < time.monotonic() - started < 12


@pytest.mark.dynamodb
def test_a_missing_table_is_503(
    help_config: Config,
    dynamodb_client: DynamoDBClient,
    call_app: Call,
    valid_request: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = dataclasses.replace(help_config, table_name="no-such-table")
    response = call_app(create_app(config, dynamodb_client), "POST", json=valid_request)

    assert_unavailable(response, capsys)


@pytest.mark.dynamodb
def test_an_unexpected_failure_is_503_without_a_trace(
    help_config: Config,
    dynamodb_client: DynamoDBClient,
    call_app: Call,
    valid_request: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken_clock() -> float:
        raise ZeroDivisionError("secret detail")

    app = create_app(help_config, dynamodb_client, clock=broken_clock)
    response = call_app(app, "POST", json=valid_request)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "Traceback" not in response.text
    assert "secret" not in response.text
    record = json.loads(capsys.readouterr().out)
    assert record["outcome"] == "internal_error"
    assert record["cause"].startswith("ZeroDivisionError at test_unavailable.py:")
    assert "secret" not in record["cause"]
