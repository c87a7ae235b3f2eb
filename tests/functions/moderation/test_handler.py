"""The Lambda entry point answers an HTTP API event as API Gateway's JWT authorizer passes it."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CONTACT_HASH_KEY
from tests.functions.moderation.conftest import Seed

EVENT = Path(__file__).resolve().parent / "events" / "http-api-jwt-status.json"
REQUEST_ID = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

pytestmark = pytest.mark.dynamodb


class LambdaContext:
    """The attributes Mangum and the app read from the runtime's context object."""

    function_name = "ModerationFunction"
    aws_request_id = "c0ffee00-1d7a-4a7e-9b1f-2e6d4c8a9b10"

    def get_remaining_time_in_millis(self) -> int:
        return 25_000


@pytest.fixture
def handler(
    monkeypatch: pytest.MonkeyPatch, dynamodb_endpoint: str, dynamodb_table: str
) -> Iterator[Handler]:
    """`functions.moderation.handler.handler`, imported afresh with this test's environment."""
    environment = {
        "TABLE_NAME": dynamodb_table,
        "DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "CONTACT_HASH_KEY": CONTACT_HASH_KEY.decode(),
        "RETENTION_DAYS": "30",
        "AWS_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    sys.modules.pop("functions.moderation.handler", None)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield importlib.import_module("functions.moderation.handler").handler
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        sys.modules.pop("functions.moderation.handler", None)


def recorded() -> dict[str, Any]:
    event: dict[str, Any] = json.loads(EVENT.read_text(encoding="utf-8"))
    return event


def test_a_status_change_through_api_gateway(
    handler: Handler, seed: Seed, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(id=REQUEST_ID, contact="zofia.recognisable@example.org", message="A recognisable text.")
    capsys.readouterr()

    response = handler(recorded(), LambdaContext())

    assert response["statusCode"] == 200, response
    assert response["headers"]["cache-control"] == "no-store"
    assert response["headers"]["x-request-id"] == LambdaContext.aws_request_id
    request = json.loads(response["body"])
    assert (request["status"], request["version"]) == ("answered", 2)
    assert request["history"][0]["by"] == "anna"
    assert request["history"][0]["note"] == "Called her back."
    # RETENTION_DAYS from the environment: 30 days from this change.
    kept = parse(request["retained_until"]) - parse(request["updated_at"])
    assert abs(kept - timedelta(days=30)) < timedelta(seconds=2)
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line) == {
        "request_id": LambdaContext.aws_request_id,
        "route": "POST /requests/{id}/status",
        "outcome": "ok",
        "status": 200,
        "latency_ms": json.loads(line)["latency_ms"],
        "level": "info",
        "event": "moderation",
    }
    for personal in (REQUEST_ID, "zofia", "recognisable", "Called her", "198.51.100.23"):
        assert personal not in line


def test_an_event_without_the_authorizers_claims_is_refused(handler: Handler, seed: Seed) -> None:
    seed(id=REQUEST_ID)
    event = recorded()
    del event["requestContext"]["authorizer"]

    response = handler(event, LambdaContext())

    assert (response["statusCode"], json.loads(response["body"])) == (
        401,
        {"error": "unauthorized"},
    )


def test_a_missing_setting_stops_the_import_naming_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.moderation.errors import ConfigError

    monkeypatch.setenv("TABLE_NAME", "help-requests")
    monkeypatch.delenv("CONTACT_HASH_KEY", raising=False)
    sys.modules.pop("functions.moderation.handler", None)
    with pytest.raises(
        ConfigError, match=r"^CONTACT_HASH_KEY: missing; set this environment variable$"
    ):
        importlib.import_module("functions.moderation.handler")


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))
