"""The notifier end to end: a request sent through the public app, DynamoDB Local's own stream,
the template's event filter, the Lambda handler, and SNS on moto in server mode."""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.notifier.publish import sns_client
from sitegen.infra_template import load_template
from sitegen.serve.dynamodb_local import free_port
from sitegen.serve.notifications import passes, stream_filters
from tests.functions.notifier.conftest import INBOX_URL, Topic

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.dynamodb

Call = Callable[..., httpx.Response]
Records = Callable[[], list[dict[str, Any]]]
RECOGNISABLE = {
    "name": "Zofia Recognisable",
    "contact": "zofia.recognisable@example.org",
    "message": "a recognisable message text about going back to work after ten years",
}
# Parts of them too: a message must not quote a name or address even in part.
FRAGMENTS = ("Zofia", "Recognisable", "recognisable", "zofia.", "@example.org", "ten years")


def ask(post: Call, request: dict[str, Any], **changes: str) -> dict[str, Any]:
    """Send a request through the public app with a fresh id; it must be stored."""
    sent = {**request, **RECOGNISABLE, "id": str(uuid.uuid4()), **changes}
    response = post(json=sent)
    assert response.status_code == 201, response.text
    return sent


def filtered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records Lambda would hand the notifier, by the template's FilterCriteria."""
    return [record for record in records if passes(stream_filters(load_template()), record)]


def log_lines(text: str) -> list[dict[str, Any]]:
    """The notifier's log lines (the public app's are there too)."""
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == "notification"]


def assert_nothing_personal(text: str) -> None:
    for value in (*RECOGNISABLE.values(), *FRAGMENTS):
        assert value not in text


def created_minute(table_items: Callable[[str], list[dict[str, Any]]], request_id: str) -> str:
    [item] = table_items(f"request#{request_id}")
    moment = datetime.fromisoformat(item["created_at"]["S"]).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def test_a_new_request_becomes_one_message_without_its_personal_data(
    post: Call,
    valid_request: dict[str, Any],
    stream_records: Records,
    handler: ModuleType,
    topic: Topic,
    table_items: Callable[[str], list[dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent = ask(post, valid_request, topic="mentoring", language="de")
    records = stream_records()
    # The submission wrote a request, a rate counter and the month's figures; the filter lets
    # the request through.
    assert sorted(r["dynamodb"]["Keys"]["pk"]["S"].split("#")[0] for r in records) == [
        "rate",
        "request",
        "stats",
    ]
    batch = filtered(records)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in batch] == [f"request#{sent['id']}"]
    assert isinstance(batch[0]["dynamodb"]["ApproximateCreationDateTime"], int)

    response = handler.handler({"Records": batch}, None)

    assert response == {"batchItemFailures": []}
    [published] = topic.messages()
    assert published["Subject"] == "1 new help request"
    text = published["Message"]
    minute = created_minute(table_items, sent["id"])
    assert f"1. mentoring, language de, sent {minute}\n" in text
    assert f"{INBOX_URL}request/?id={sent['id']}\n" in text
    assert_nothing_personal(json.dumps(published))
    output = capsys.readouterr()
    assert_nothing_personal(output.out + output.err + caplog.text)
    assert sent["id"] not in output.out
    assert log_lines(output.out) == [
        {
            "event": "notification",
            "level": "info",
            "records": 1,
            "new_requests": 1,
            "skipped": 0,
            "malformed": 0,
            "published": True,
        }
    ]


def test_several_new_requests_are_one_message_oldest_first(
    post: Call,
    valid_request: dict[str, Any],
    stream_records: Records,
    handler: ModuleType,
    topic: Topic,
) -> None:
    sent = [ask(post, valid_request, language=language) for language in ("pl", "en", "de")]

    response = handler.handler({"Records": filtered(stream_records())}, None)

    assert response == {"batchItemFailures": []}
    [published] = topic.messages()
    assert published["Subject"] == "3 new help requests"
    links = re.findall(r"request/\?id=([0-9a-f-]+)", published["Message"])
    assert links == [request["id"] for request in sent]
    languages = re.findall(r"language ([a-z]{2})", published["Message"])
    assert languages == ["pl", "en", "de"]


def test_rate_counters_and_status_changes_send_nothing(
    post: Call,
    valid_request: dict[str, Any],
    stream_records: Records,
    handler: ModuleType,
    topic: Topic,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sent = ask(post, valid_request)
    dynamodb_client.update_item(
        TableName=dynamodb_table,
        Key={"pk": {"S": f"request#{sent['id']}"}},
        UpdateExpression="SET #status = :answered",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":answered": {"S": "answered"}},
    )
    others = [r for r in stream_records() if r["eventName"] != "INSERT" or "rate#" in json.dumps(r)]
    assert sorted(r["eventName"] for r in others) == ["INSERT", "MODIFY"]

    assert filtered(others) == []
    # Were they let through anyway, the function itself passes them over.
    response = handler.handler({"Records": others}, None)

    assert response == {"batchItemFailures": []}
    assert topic.messages() == []
    [line] = log_lines(capsys.readouterr().out)
    assert (line["records"], line["skipped"], line["published"]) == (2, 2, False)


def test_a_failed_publish_asks_lambda_to_retry_the_batch(
    post: Call,
    valid_request: dict[str, Any],
    stream_records: Records,
    handler: ModuleType,
    topic: Topic,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for _ in range(2):
        ask(post, valid_request)
    records = stream_records()  # the rate counter's records as well, as a stray batch might be
    topic.sns.delete_topic(TopicArn=topic.arn)

    response = handler.handler({"Records": records}, None)

    requests = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"].startswith("request#")]
    lowest = min(requests, key=lambda record: int(record["dynamodb"]["SequenceNumber"]))
    assert response == {
        "batchItemFailures": [{"itemIdentifier": lowest["dynamodb"]["SequenceNumber"]}]
    }
    assert topic.messages() == []
    output = capsys.readouterr().out
    [line] = log_lines(output)
    assert (line["level"], line["cause"], line["published"]) == ("error", "NotFound", False)
    assert_nothing_personal(output)


def test_an_unreachable_sns_asks_lambda_to_retry_the_batch(
    post: Call,
    valid_request: dict[str, Any],
    stream_records: Records,
    handler: ModuleType,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ask(post, valid_request)
    records = filtered(stream_records())
    monkeypatch.setattr(handler, "CLIENT", sns_client(endpoint=f"http://127.0.0.1:{free_port()}"))

    response = handler.handler({"Records": records}, None)

    assert response == {
        "batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
    }
    [line] = log_lines(capsys.readouterr().out)
    assert (line["level"], line["cause"]) == ("error", "EndpointConnectionError")


def test_malformed_records_are_skipped_and_counted(
    post: Call,
    valid_request: dict[str, Any],
    stream_records: Records,
    handler: ModuleType,
    topic: Topic,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sent = ask(post, valid_request)
    [record] = filtered(stream_records())
    no_topic = copy.deepcopy(record)
    del no_topic["dynamodb"]["NewImage"]["topic"]
    no_image = copy.deepcopy(record)
    del no_image["dynamodb"]["NewImage"]
    free_text = copy.deepcopy(record)
    free_text["dynamodb"]["NewImage"]["topic"] = {"S": RECOGNISABLE["message"]}
    batch: list[Any] = [no_topic, "not a record", record, no_image, {}, free_text]

    response = handler.handler({"Records": batch}, None)

    assert response == {"batchItemFailures": []}
    [published] = topic.messages()
    assert published["Subject"] == "1 new help request"
    assert re.findall(r"request/\?id=([0-9a-f-]+)", published["Message"]) == [sent["id"]]
    assert_nothing_personal(json.dumps(published))
    output = capsys.readouterr().out
    [line] = log_lines(output)
    assert (line["level"], line["malformed"], line["new_requests"]) == ("warning", 5, 1)
    assert_nothing_personal(output)
