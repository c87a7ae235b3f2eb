"""The Lambda entry: one handler telling HTTP API, stream and schedule events apart, configured
from the environment as in production (DynamoDB Local, SES and Secrets Manager on moto)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from functions.shared.tokens import parse_secret, sign
from sitegen.serve.moto import LINK_KEYS_SECRET, MotoServer
from tests.functions.helpers.world import Mailbox, getter, offer_item, put

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

EVENTS = Path(__file__).resolve().parent / "events"
HANDLER = "functions.helpers.handler"


def event(name: str) -> dict[str, Any]:
    """A recorded event."""
    loaded: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def handler(
    monkeypatch: pytest.MonkeyPatch,
    dynamodb_endpoint: str,
    dynamodb_table: str,
    moto: MotoServer,
    mail_assets: Path,
) -> Iterator[ModuleType]:
    """The entry module, imported afresh with the function's environment."""
    settings = {
        "TABLE_NAME": dynamodb_table,
        "SITE_URL": "https://ask.example.org",
        "LINK_KEY_SECRET_ARN": LINK_KEYS_SECRET,
        "CONTACT_HASH_KEY": "contact-key-0123456789abcdef-0123456789",
        "MAIL_FROM": "Ask for Help <hello@example.org>",
        "MAIL_CONFIGURATION_SET": "ask-for-help-dev",
        "MAIL_ASSETS": str(mail_assets),
        "DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "SES_ENDPOINT": moto.endpoint,
        "SECRETS_ENDPOINT": moto.endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    sys.modules.pop(HANDLER, None)
    # Mangum runs the app on the thread's event loop: one of the test's own, closed after it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield __import__(HANDLER, fromlist=["handler"])
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        sys.modules.pop(HANDLER, None)


def test_each_event_is_told_apart(handler: ModuleType) -> None:
    assert handler.kind(event("http-link")) == "http"
    assert handler.kind(event("stream-offer")) == "stream"
    assert handler.kind(event("scheduled")) == "schedule"
    assert handler.kind({"Records": [{"eventSource": "aws:sqs"}]}) == "unknown"
    with pytest.raises(ValueError, match="HTTP API, DynamoDB stream and schedule events"):
        handler.handler({"hello": "world"}, None)


def test_a_link_s_page_through_api_gateway(
    handler: ModuleType,
    moto: MotoServer,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    offer = offer_item(time.time(), status="unconfirmed")
    put(dynamodb_client, dynamodb_table, offer)
    secret = moto.client("secretsmanager").get_secret_value(SecretId=LINK_KEYS_SECRET)
    key = parse_secret(secret["SecretString"]).current
    token = sign(key, "confirm-offer", offer["id"]["S"], 1, int(time.time()) + 600)
    raw = json.dumps(event("http-link")).replace("TOKEN", token)
    answer = handler.handler(json.loads(raw), None)
    assert answer["statusCode"] == 200
    assert "Mein Angebot bestätigen" in answer["body"]
    assert answer["headers"]["cache-control"] == "no-store"


def test_a_stream_batch_sends_its_mail_and_reports_no_failure(
    handler: ModuleType, moto: MotoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mailbox = Mailbox(moto.endpoint, len(Mailbox(moto.endpoint, 0).all()))
    assert handler.handler(event("stream-offer"), None) == {"batchItemFailures": []}
    [mail] = mailbox.all()
    assert mail.to == ("jan.handler@example.org",)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line == {
        "event": "outbox",
        "level": "info",
        "records": 2,
        "sent": 1,
        "suppressed": 0,
        "capped": 0,
        "skipped": 1,
        "malformed": 0,
        "mails": {"helper_confirm": 1},
    }


def test_the_scheduled_event_runs_the_schedule(
    handler: ModuleType,
    capsys: pytest.CaptureFixture[str],
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    assert handler.handler(event("scheduled"), None) is None
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line == {
        "event": "schedule",
        "level": "info",
        "timed_out": 0,
        "follow_ups": 0,
        "overtaken": 0,
    }
    assert getter(dynamodb_client, dynamodb_table)("stats#x") is None
