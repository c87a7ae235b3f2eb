"""The Lambda entry point with a test's environment, and recorded API Gateway events."""

from __future__ import annotations

import asyncio
import base64
import gc
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "tests" / "events"
IP_HASH_KEY = "event-test-key-0123456789abcdef-xyz"
CONTACT_HASH_KEY = "event-contact-key-0123456789abcdef-xyz"
ItemsOf = Callable[[str], list[dict[str, Any]]]
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LambdaContext:
    """The attributes of the context object the Python runtime passes to a handler."""

    aws_request_id: str = "8f4e2a1c-6b3d-4e5f-9a7b-0c1d2e3f4a5b"
    function_name: str = "ask-for-help-HelpRequestsFunction"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = (
        "arn:aws:lambda:eu-central-1:123456789012:function:ask-for-help-HelpRequestsFunction"
    )

    def get_remaining_time_in_millis(self) -> int:
        return 9000


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return event


@pytest.fixture
def handler(
    monkeypatch: pytest.MonkeyPatch, dynamodb_endpoint: str, dynamodb_table: str
) -> Iterator[Handler]:
    """`functions.help_requests.handler.handler`, imported afresh with this test's environment."""
    environment = {
        "TABLE_NAME": dynamodb_table,
        "DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "IP_HASH_KEY": IP_HASH_KEY,
        "CONTACT_HASH_KEY": CONTACT_HASH_KEY,
        "CONSENT_VERSION": "1",
        "SITE_ORIGIN": "https://ask.example.org",
        "AWS_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    sys.modules.pop("functions.help_requests.handler", None)
    # Mangum runs every event on the thread's event loop; give it one this test closes, also
    # when the import fails. Left open, it would be reported whenever the collector finds it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield importlib.import_module("functions.help_requests.handler").handler
    finally:
        sys.modules.pop("functions.help_requests.handler", None)
        asyncio.set_event_loop(None)
        loop.close()
        gc.unfreeze()  # the handler froze everything alive at import; let tests' garbage go


def decoded_body(response: dict[str, Any]) -> Any:
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return json.loads(body)
