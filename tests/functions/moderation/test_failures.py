"""When DynamoDB fails: 503 with Retry-After, never a 500 or a trace; and logs carry no data."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from functions.moderation.app import create_app
from functions.moderation.config import Config
from sitegen.serve.dynamodb_local import local_client
from tests.conftest import CONTACT_HASH_KEY, send
from tests.functions.moderation.conftest import MODERATOR, Call, Seed, WithClaims

RECOGNISABLE = {
    "name": "Zofia Recognisable",
    "contact": "zofia.recognisable@example.org",
    "message": "A recognisable message text about money and family.",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_an_unreachable_table_is_a_503_with_retry_after(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    config = Config(
        table_name="help-requests",
        contact_hash_key=CONTACT_HASH_KEY,
        dynamodb_endpoint=f"http://127.0.0.1:{free_port()}",
    )
    app = WithClaims(create_app(config), MODERATOR)

    response = send(app, "GET", "/api/admin/requests")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"error": "unavailable"}
    [record] = log_lines(capsys)
    assert (record["level"], record["outcome"], record["route"]) == (
        "error",
        "unavailable",
        "GET /requests",
    )
    assert record["cause"] == "EndpointConnectionError"


@pytest.mark.dynamodb
def test_an_unforeseen_failure_is_a_503_without_a_trace(
    dynamodb_endpoint: str,
    moderation_config: Config,
    seed: Seed,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = local_client(dynamodb_endpoint)

    def fail(**kwargs: Any) -> None:
        raise RuntimeError(RECOGNISABLE["contact"])

    client.meta.events.register("before-call.dynamodb.GetItem", fail)
    request_id = seed(**RECOGNISABLE)
    app = WithClaims(create_app(moderation_config, client), MODERATOR)

    response = send(app, "GET", f"/api/admin/requests/{request_id}")

    assert (response.status_code, response.json()) == (503, {"error": "unavailable"})
    [record] = log_lines(capsys)
    assert record["outcome"] == "internal_error"
    assert record["cause"].startswith("RuntimeError at ")
    assert RECOGNISABLE["contact"] not in json.dumps(record)


@pytest.mark.dynamodb
def test_no_log_line_holds_personal_data(
    admin: Call, seed: Seed, capsys: pytest.CaptureFixture[str]
) -> None:
    request_id = seed(**RECOGNISABLE)
    note = "A recognisable note: she needs 500 euros."
    contact = {"contact": RECOGNISABLE["contact"]}
    admin("GET", "/api/admin/requests", params={"topic": "returning-to-work"})
    admin("GET", "/api/admin/summary")
    admin("GET", f"/api/admin/requests/{request_id}")
    admin("POST", f"/api/admin/requests/{request_id}/assign", json={"version": 1})
    admin(
        "POST",
        f"/api/admin/requests/{request_id}/status",
        json={"status": "answered", "note": note, "version": 2},
    )
    admin(
        "POST", f"/api/admin/requests/{request_id}/status", json={"status": "closed", "version": 2}
    )
    admin("GET", "/api/admin/export", params={"format": "csv", "status": "answered"})
    admin("POST", "/api/admin/contacts/access", json=contact)
    admin("POST", "/api/admin/contacts/erase", json={**contact, "confirm": True})
    admin("POST", "/api/admin/contacts/erase", json={**contact, "x-" + RECOGNISABLE["name"]: 1})

    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["status"] for record in records] == [
        200,
        200,
        200,
        200,
        200,
        409,
        200,
        200,
        200,
        422,
    ]
    assert {record["event"] for record in records} == {"moderation"}
    text = "\n".join(lines)
    for personal in (*RECOGNISABLE.values(), "Zofia", "recognisable", note, request_id, "anna"):
        assert personal.lower() not in text.lower(), personal
