"""`build.py serve` runs the helpers' function: an offer posted to the API gets its confirmation
mail from the stream, shown at `/_dev/mail/`, whose link's page confirms the offer; the daily
schedule runs on demand as if days had passed; none of it is built into the site."""

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
from tests.site.serve.test_serve_process import start, wait_for

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

EMAIL = "amelia.serve@example.co.uk"


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


def confirmation(origin: str, process: subprocess.Popen[bytes], log: Path) -> dict[str, Any]:
    """The confirmation mail once the stream has brought it (polled every second)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        _, _, text = call(f"{origin}/_dev/mail/messages.json")
        found = [mail for mail in json.loads(text) if EMAIL in mail["to"]]
        if found:
            return dict(found[0])
        time.sleep(0.1)
    pytest.fail(log.read_text())


@pytest.mark.dynamodb
@pytest.mark.slow
def test_an_offer_s_confirmation_mail_arrives_and_its_link_confirms_it(
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
        mail = confirmation(origin, process, tmp_path / "serve.log")
        links = [link["href"] for link in mail["links"] if "/api/links/en/" in link["href"]]
        confirm = links[0]
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
        status, _, text = call(f"{origin}/_dev/schedule?days=14", "POST")
        assert status == 200
        assert json.loads(text) == {"days": 14, "timed_out": 0, "follow_ups": 0, "overtaken": 0}
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
