"""`build.py serve`'s notifications: DynamoDB Local's stream, the template's event filter and
the notifier's own code, printed in the terminal and, given a client, published to SNS (moto)."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from sitegen.infra_template import load_template
from sitegen.serve.dynamodb_local import free_port
from sitegen.serve.notifications import (
    StreamNotifier,
    lambda_record,
    matches,
    notify_moderators,
    passes,
    stream_filters,
)
from tests.functions.notifier.conftest import REGION, Topic, subscribed_topic

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parents[3]
ORIGIN = "http://127.0.0.1:8000"
PERSONAL = ("Zofia Recognisable", "zofia.recognisable@example.org", "a recognisable message")
Call = Callable[..., httpx.Response]


def change(name: str, key: str) -> dict[str, Any]:
    """A stream record of `name` (INSERT, MODIFY, REMOVE) for the item with this key."""
    return {"eventName": name, "dynamodb": {"Keys": {"pk": {"S": key}}}}


def test_the_templates_filter_lets_through_new_requests_only() -> None:
    filters = stream_filters(load_template())

    assert filters == [
        {"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "request#"}]}}}}
    ]
    assert passes(filters, change("INSERT", "request#1"))
    assert not passes(filters, change("INSERT", "rate#abc#d#19844"))
    assert not passes(filters, change("MODIFY", "request#1"))
    assert not passes(filters, change("REMOVE", "request#1"))
    assert not passes(filters, {"eventName": "INSERT"})
    assert not passes(filters, {"eventName": "INSERT", "dynamodb": "request#1"})


def test_the_matcher_knows_exact_values_and_prefixes_only() -> None:
    assert matches({"a": ["x", "y"]}, {"a": "y", "b": 1})
    assert not matches({"a": ["x"]}, {"a": "xx"})
    assert matches({"a": [{"prefix": "x"}]}, {"a": "xx"})
    assert not matches({"a": [{"prefix": "x"}]}, {"a": 7})
    assert passes([], {"anything": True})
    with pytest.raises(ValueError, match=r"^filter rule \['numeric'\] is not one this matcher"):
        matches({"a": [{"numeric": [">", 1]}]}, {"a": 2})


def test_a_record_takes_the_shape_of_lambdas_event() -> None:
    moment = datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)
    record: dict[str, Any] = {
        "eventName": "INSERT",
        "dynamodb": {"ApproximateCreationDateTime": moment},
    }

    converted = lambda_record(record, "arn:stream")

    assert converted == {
        "eventName": "INSERT",
        "dynamodb": {"ApproximateCreationDateTime": 1714564830},
        "eventSourceARN": "arn:stream",
    }
    assert record["dynamodb"]["ApproximateCreationDateTime"] is moment


class Terminal(io.StringIO):
    """What the notifier prints, written from its thread and read from the test's."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            return super().write(text)

    def text(self) -> str:
        with self.lock:
            return self.getvalue()

    def wait_for(self, pattern: str, timeout: float = 10) -> str:
        """The text printed so far, once it matches `pattern`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.text()):
                return self.text()
            time.sleep(0.02)
        pytest.fail(f"no {pattern!r} in {self.text()!r}")


def ask(post: Call, request: dict[str, Any], **changes: Any) -> dict[str, Any]:
    sent = {
        **request,
        "id": str(uuid.uuid4()),
        "name": PERSONAL[0],
        "contact": PERSONAL[1],
        "message": f"{PERSONAL[2]} for the local terminal",
        **changes,
    }
    assert post(json=sent).status_code == 201
    return sent


@pytest.mark.dynamodb
def test_a_new_request_is_printed_once_without_its_personal_data(
    post: Call,
    valid_request: dict[str, Any],
    dynamodb_endpoint: str,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    before = ask(post, valid_request)  # sent before the server started: not new to it
    terminal = Terminal()
    notifier = StreamNotifier(
        dynamodb_endpoint,
        dynamodb_table,
        inbox_url=f"{ORIGIN}/admin/",
        out=terminal,
        interval=0.05,
    )
    with notifier:
        sent = ask(post, valid_request, topic="business", language="pl")
        printed = terminal.wait_for(r"request/\?id=")
        dynamodb_client.update_item(
            TableName=dynamodb_table,
            Key={"pk": {"S": f"request#{sent['id']}"}},
            UpdateExpression="SET #status = :closed",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":closed": {"S": "closed"}},
        )
        time.sleep(0.5)  # ten polls: the change and the rate counter print nothing
    assert "notifications" not in {thread.name for thread in threading.enumerate()}

    assert printed.startswith("notification: 1 new help request\n")
    assert re.search(
        r"\n  1\. business, language pl, sent \d{4}-\d\d-\d\d \d\d:\d\d UTC\n", printed
    )
    assert f"     {ORIGIN}/admin/request/?id={sent['id']}\n" in printed
    assert terminal.text() == printed
    assert before["id"] not in printed
    for value in PERSONAL:
        assert value not in printed


@pytest.fixture
def moto_topic(monkeypatch: pytest.MonkeyPatch) -> Iterator[Topic]:
    """A moderators' topic on a moto server of its own, with a queue to read it back."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for service in ("SNS", "SQS"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    try:
        yield subscribed_topic("moderators")
    finally:
        server.stop()


@pytest.mark.dynamodb
def test_given_an_sns_client_the_notification_is_published_too(
    post: Call,
    valid_request: dict[str, Any],
    dynamodb_endpoint: str,
    dynamodb_table: str,
    moto_topic: Topic,
    capsys: pytest.CaptureFixture[str],
) -> None:
    context = notify_moderators(
        dynamodb_endpoint, dynamodb_table, ORIGIN, sns=moto_topic.sns, topic_arn=moto_topic.arn
    )
    with context as notifier:
        notifier.interval = 0.05
        sent = ask(post, valid_request)
        deadline = time.monotonic() + 10
        while not (published := moto_topic.messages()) and time.monotonic() < deadline:
            time.sleep(0.05)

    [message] = published
    assert message["Subject"] == "1 new help request"
    assert f"{ORIGIN}/admin/request/?id={sent['id']}" in message["Message"]
    output = capsys.readouterr().out
    assert f"printed here and published to {moto_topic.arn}\n" in output
    assert "notification: 1 new help request\n" in output
    for value in PERSONAL:
        assert value not in output + json.dumps(message)


@pytest.mark.dynamodb
@pytest.mark.slow
def test_build_py_serve_prints_a_notification_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    environment = {k: v for k, v in os.environ.items() if k != "DYNAMODB_ENDPOINT"}
    command = [sys.executable, "build.py", "serve", "--port", str(port)]
    command += ["--output", str(tmp_path / "public"), "--cache", str(tmp_path / "cache")]
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=output)
    try:
        wait_for_text(log, "Notifications of new requests are printed here and published", process)
        wait_for_server(origin, process)
        request_id = post_request(origin)
        wait_for_text(log, f"{origin}/admin/request/?id={request_id}\n", process)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = log.read_text()
    assert text.count("notification: 1 new help request\n") == 1
    assert "Traceback" not in text
    for value in PERSONAL:
        assert value not in text


def wait_for_text(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        if text in log.read_text():
            return
        time.sleep(0.1)
    pytest.fail(log.read_text())


def wait_for_server(origin: str, process: subprocess.Popen[bytes]) -> None:
    """Until the server answers: the notifier is ready a moment before uvicorn listens."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None
        try:
            with urllib.request.urlopen(f"{origin}/robots.txt", timeout=5):  # noqa: S310
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{origin} did not answer")


def post_request(origin: str) -> str:
    """Send a request through the served form's API; its id."""
    body = {
        "id": str(uuid.uuid4()),
        "name": PERSONAL[0],
        "contact": PERSONAL[1],
        "topic": "other",
        "message": f"{PERSONAL[2]} sent to the dev server",
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
        assert response.status == 201
    return str(body["id"])
