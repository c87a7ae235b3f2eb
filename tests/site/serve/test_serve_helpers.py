"""`build.py serve` runs the helpers' function: an offer posted to the API gets its confirmation
mail from the stream, shown at `/_dev/mail/`, whose link's page confirms the offer; an
introduction's mails follow, and the daily schedule runs on demand as if 14 days had passed, so
the follow-up arrives too; none of it is built into the site."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sitegen.serve.dynamodb_local import free_port
from tests.functions.helpers.world import by_purpose, introduce, put, request_item
from tests.site.serve.test_serve_process import start, wait_for

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

EMAIL = "amelia.serve@example.co.uk"
ASKING = "ola.serve@example.net"


def call(url: str, method: str = "GET", body: bytes | None = None, **headers: str) -> Any:
    """Status, headers and text of one request; an error status is returned, not raised."""
    request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - local URL
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def offer(origin: str) -> int:
    """Offer help through the API as the form's script does; the status."""
    body = {
        "id": str(uuid.uuid4()),
        "name": "Amelia Hughes",
        "email": EMAIL,
        "topics": ["job-search"],
        "languages": ["en"],
        "ways": ["mentoring"],
        "capacity": 2,
        "language": "en",
        "consent": True,
        "website": "",
        "started_at": 0,
    }
    status, _, _ = call(
        f"{origin}/api/helper-offers",
        "POST",
        json.dumps(body).encode(),
        **{"Content-Type": "application/json", "Origin": origin},
    )
    return int(status)


def mail_to(
    address: str, origin: str, process: subprocess.Popen[bytes], log: Path, count: int = 1
) -> dict[str, Any]:
    """The newest mail to `address` once the stream has brought `count` (polled every second)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        _, _, text = call(f"{origin}/_dev/mail/messages.json")
        found = [mail for mail in json.loads(text) if address in mail["to"]]
        if len(found) >= count:
            return dict(found[0])
        time.sleep(0.1)
    pytest.fail(log.read_text())


def links(mail: dict[str, Any]) -> dict[str, str]:
    """A mail's links to the links' pages (from /_dev/mail/messages.json), by purpose or answer."""
    return by_purpose(link["href"] for link in mail["links"])


@pytest.mark.dynamodb
@pytest.mark.slow
def test_an_offer_is_confirmed_by_its_mail_and_a_journey_runs_two_weeks_on(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    dynamodb_endpoint: str,
    dynamodb_client: DynamoDBClient,
) -> None:
    port, table = free_port(), f"serve-helpers-{uuid.uuid4().hex[:8]}"
    origin = f"http://127.0.0.1:{port}"
    cache = tmp_path_factory.mktemp("cache")
    process = start(port, tmp_path, cache, DYNAMODB_ENDPOINT=dynamodb_endpoint, TABLE_NAME=table)
    try:
        wait_for(f"{origin}/en/", process, tmp_path)
        assert offer(origin) == 201
        mail = mail_to(EMAIL, origin, process, tmp_path / "serve.log")
        confirm = links(mail)["confirm-offer"]
        assert confirm.startswith(f"{origin}/api/links/en/")
        status, headers, page = call(confirm)
        assert status == 200
        assert headers["Cache-Control"] == "no-store"
        assert "Confirm my offer" in page
        stored = dynamodb_client.scan(TableName=table)["Items"]
        [item] = [item for item in stored if item["pk"]["S"].startswith("offer#")]
        assert item["status"] == {"S": "unconfirmed"}
        status, _, page = call(confirm, "POST", b"")
        assert status == 200
        assert "your offer is confirmed" in page
        [item] = [
            item
            for item in dynamodb_client.scan(TableName=table)["Items"]
            if item["pk"]["S"].startswith("offer#")
        ]
        assert item["status"] == {"S": "confirmed"}
        assert call(confirm, "POST", b"")[0] == 409
        # A moderator introduces the helper (written as the moderators' function writes it).
        now = time.time()
        request = request_item(now, contact=ASKING)
        put(dynamodb_client, table, request)
        introduce(dynamodb_client, table, request, item, now)
        asked = mail_to(EMAIL, origin, process, tmp_path / "serve.log", count=2)
        assert call(links(asked)["accept-introduction"], "POST", b"")[0] == 200
        mail_to(ASKING, origin, process, tmp_path / "serve.log")  # the helper's contact
        status, _, text = call(f"{origin}/_dev/schedule?days=14", "POST")
        assert status == 200
        assert json.loads(text) == {"days": 14, "timed_out": 0, "follow_ups": 1, "overtaken": 0}
        follow_up = mail_to(ASKING, origin, process, tmp_path / "serve.log", count=2)
        assert set(links(follow_up)) == {"yes", "not-yet", "no"}
        assert call(links(follow_up)["yes"], "POST", b"answer=yes")[0] == 200
        assert call(f"{origin}/_dev/schedule?days=-1", "POST")[0] == 400
        assert call(f"{origin}/_dev/schedule", "GET")[0] == 405
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        dynamodb_client.delete_table(TableName=table)
    output = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in output
    assert EMAIL not in output
    assert re.search(r'mail: \{"event": "outbox".*"helper_confirm": 1', output)
    built = [path.name for path in (tmp_path / "public").rglob("*")]
    assert not [name for name in built if "schedule" in name or name == "links"]
