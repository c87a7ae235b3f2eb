"""The moderators' command line against DynamoDB Local, on requests sent through the API."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.moderation.cli import main, parser, printable
from tests.conftest import CONTACT_HASH_KEY
from tests.functions.moderation.conftest import Operations, request_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]
ItemsOf = Callable[[str], list[dict[str, Any]]]
ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.dynamodb


@pytest.fixture
def admin(
    counted_client: DynamoDBClient,
    dynamodb_table: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., tuple[int, str]]:
    """Run `admin("list", ...)` as anna; returns the exit code and what it printed."""
    monkeypatch.setenv("CONTACT_HASH_KEY", CONTACT_HASH_KEY.decode())

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(["--table", dynamodb_table, "--by", "anna", *argv], client=counted_client)
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


@pytest.fixture
def sent(post: Call, valid_request: dict[str, Any]) -> list[dict[str, Any]]:
    """Three requests sent through the API: two from one person, one anonymous."""
    bodies = [
        {**valid_request, "id": str(uuid.uuid4()), "message": "First: I need help with my CV."},
        {
            **valid_request,
            "id": str(uuid.uuid4()),
            "contact": "ALICJA@Example.org",
            "message": "Second: and with interviews.",
        },
        {
            **valid_request,
            "id": str(uuid.uuid4()),
            "name": "",
            "contact": "+44 1472 123456",
            "message": "Third: looking for a mentor.",
        },
    ]
    for body in bodies:
        assert post(json=body, client_ip=f"203.0.113.{len(body['message'])}").status_code == 201
        time.sleep(0.002)  # distinct created_at, so the order is known
    return bodies


@pytest.fixture
def expired(dynamodb_client: DynamoDBClient, dynamodb_table: str, ttl_paused: None) -> str:
    """A request past its retention that TTL has not deleted yet."""
    request_id = str(uuid.uuid4())
    item = request_item(
        request_id,
        created=time.time() - 200 * 86400,
        expires=time.time() - 60,
        topic="other",
        message="An old request, past retention.",
    )
    dynamodb_client.put_item(TableName=dynamodb_table, Item=item)
    return request_id


@pytest.mark.usefixtures("expired")
def test_list_shows_new_requests_oldest_first_and_hides_expired_ones(
    admin: Callable[..., tuple[int, str]], sent: list[dict[str, Any]]
) -> None:
    code, out = admin("list")

    assert code == 0
    lines = out.splitlines()
    assert [body["id"] in line for body, line in zip(sent, lines, strict=False)] == [True] * 3
    assert "(anonymous)" in lines[2]
    assert lines[-1] == "3 new requests"
    assert "past retention" not in out


def test_show_prints_every_field(
    admin: Callable[..., tuple[int, str]], sent: list[dict[str, Any]]
) -> None:
    code, out = admin("show", sent[0]["id"])

    assert code == 0
    assert f"id: {sent[0]['id']}" in out
    assert "contact: alicja@example.org" in out
    assert "consent_version: 2019-12-01" in out
    assert "status: new" in out
    assert out.rstrip().endswith("  First: I need help with my CV.")


def test_an_expired_or_unknown_request_is_not_found(
    admin: Callable[..., tuple[int, str]], expired: str
) -> None:
    for request_id in (expired, str(uuid.uuid4())):
        code, out = admin("show", request_id)
        assert (code, out) == (1, f"error: no request with id {request_id}\n")
        assert admin("mark", request_id, "closed")[0] == 1


def test_mark_moves_a_request_between_lists(
    admin: Callable[..., tuple[int, str]], sent: list[dict[str, Any]]
) -> None:
    assert admin("mark", sent[1]["id"], "answered") == (0, f"marked {sent[1]['id']} as answered\n")

    assert admin("list")[1].splitlines()[-1] == "2 new requests"
    code, out = admin("list", "--status", "answered")
    assert (code, out.splitlines()[-1]) == (0, "1 answered request")
    assert sent[1]["id"] in out
    shown = admin("show", sent[1]["id"])[1]
    assert "updated_at" in shown
    assert "version: 2" in shown
    assert re.search(r"^  \S+Z anna: status answered$", shown, re.MULTILINE)


def test_mark_with_a_note_records_it_in_the_history(
    admin: Callable[..., tuple[int, str]], sent: list[dict[str, Any]]
) -> None:
    request_id = sent[0]["id"]
    assert admin("mark", request_id, "in-progress")[0] == 0
    assert admin("mark", request_id, "answered", "--note", "Sent her\nthe CV template.")[0] == 0

    shown = admin("show", request_id)[1]
    assert "version: 3" in shown
    assert "anna: status in-progress\n" in shown
    assert "anna: status answered (Sent her the CV template.)" in shown
    code, out = admin("mark", request_id, "closed", "--note", "n" * 2001)
    assert (code, out) == (1, "error: the note is longer than 2000 characters\n")


def test_the_statuses_are_the_inboxs(admin: Callable[..., tuple[int, str]]) -> None:
    with pytest.raises(SystemExit) as refused:
        admin("list", "--status", "done")
    assert refused.value.code == 2
    assert admin("list", "--status", "in-progress") == (0, "0 in-progress requests\n")


def test_export_finds_a_persons_requests_in_any_spelling(
    admin: Callable[..., tuple[int, str]], sent: list[dict[str, Any]], tmp_path: Path
) -> None:
    output = tmp_path / "access.json"
    code, out = admin("export", " alicja@EXAMPLE.org ", "--output", str(output))

    assert (code, out) == (0, f"wrote 2 requests to {output}\n")
    assert output.stat().st_mode & 0o777 == 0o600
    document = json.loads(output.read_text(encoding="utf-8"))
    assert [r["id"] for r in document["requests"]] == [sent[0]["id"], sent[1]["id"]]
    first = document["requests"][0]
    assert set(first) == {
        "id",
        "name",
        "contact",
        "contact_kind",
        "topic",
        "message",
        "language",
        "status",
        "created_at",
        "consent_version",
        "version",
        "history",
        "retained_until",
    }
    assert "pk" not in first
    assert "payload_hash" not in first
    assert "contact_hash" not in first


def test_export_by_phone_number_ignores_spacing(
    admin: Callable[..., tuple[int, str]], sent: list[dict[str, Any]]
) -> None:
    code, out = admin("export", "0044-1472-123456")
    assert code == 0
    assert [r["id"] for r in json.loads(out)["requests"]] == [sent[2]["id"]]


def test_erase_by_contact_deletes_everything_including_expired(
    admin: Callable[..., tuple[int, str]],
    sent: list[dict[str, Any]],
    expired: str,
    table_items: ItemsOf,
) -> None:
    code, out = admin("erase", "--contact", "alicja@example.org", "--yes")

    assert code == 0
    assert out.splitlines()[-1] == "erased 3 requests"
    assert [item["id"]["S"] for item in table_items("request#")] == [sent[2]["id"]]
    [log] = table_items("erasure#")
    assert (log["by"], log["scope"], log["count"]) == ({"S": "anna"}, {"S": "contact"}, {"N": "3"})


def test_erase_asks_first_and_does_nothing_when_told_no(
    admin: Callable[..., tuple[int, str]],
    sent: list[dict[str, Any]],
    table_items: ItemsOf,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    code, out = admin("erase", sent[0]["id"])

    assert code == 1
    assert out.splitlines()[-1].endswith("nothing erased")
    assert len(table_items("request#")) == 3


def test_erase_one_request(
    admin: Callable[..., tuple[int, str]], sent: list[dict[str, Any]], table_items: ItemsOf
) -> None:
    assert admin("erase", sent[2]["id"], "--yes")[1].splitlines()[-1] == "erased 1 request"
    assert len(table_items("request#")) == 2


def test_erase_by_id_deletes_an_expired_request_ttl_has_not_deleted_yet(
    admin: Callable[..., tuple[int, str]],
    sent: list[dict[str, Any]],
    expired: str,
    table_items: ItemsOf,
) -> None:
    code, out = admin("erase", expired, "--yes")

    assert code == 0
    assert expired in out.splitlines()[0]
    assert out.splitlines()[-1] == "erased 1 request"
    assert expired not in {item["id"]["S"] for item in table_items("request#")}
    assert len(table_items("request#")) == len(sent)


def test_erase_by_an_unknown_id_is_not_found(admin: Callable[..., tuple[int, str]]) -> None:
    unknown = str(uuid.uuid4())
    assert admin("erase", unknown, "--yes") == (1, f"error: no request with id {unknown}\n")


def test_finding_a_contact_needs_the_contact_hash_key(
    admin: Callable[..., tuple[int, str]],
    sent: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    table_items: ItemsOf,
) -> None:
    monkeypatch.delenv("CONTACT_HASH_KEY")
    missing = "error: CONTACT_HASH_KEY: missing; set it, or pass --contact-hash-key-secret <arn>\n"
    assert admin("export", "alicja@example.org") == (1, missing)
    assert admin("erase", "--contact", "alicja@example.org", "--yes") == (1, missing)
    monkeypatch.setenv("CONTACT_HASH_KEY", "short")
    short = "error: CONTACT_HASH_KEY: must be a secret of at least 32 characters\n"
    assert admin("export", "alicja@example.org") == (1, short)
    # Another key finds nothing: the hashes are keyed.
    monkeypatch.setenv("CONTACT_HASH_KEY", "another-key-0123456789abcdef-0123456789")
    assert json.loads(admin("export", "alicja@example.org")[1])["requests"] == []
    assert len(table_items("request#")) == 3
    # Commands that find no contact need no key.
    monkeypatch.delenv("CONTACT_HASH_KEY")
    assert admin("list")[0] == 0


def test_the_key_can_come_from_secrets_manager(
    admin: Callable[..., tuple[int, str]],
    sent: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_REGION", "eu-central-1")
        monkeypatch.delenv("CONTACT_HASH_KEY")
        secrets = boto3.client("secretsmanager", region_name="eu-central-1")
        arn = secrets.create_secret(
            Name="contact-hash-key", SecretString=CONTACT_HASH_KEY.decode()
        )["ARN"]

        code, out = admin("--contact-hash-key-secret", arn, "export", "alicja@example.org")
        assert code == 0
        assert len(json.loads(out)["requests"]) == 2
        code, out = admin("--contact-hash-key-secret", arn + "-gone", "export", "a@example.org")
        assert code == 1
        assert out.startswith("error: --contact-hash-key-secret: cannot read it (")
    finally:
        server.stop()


def test_no_command_scans_the_table(
    admin: Callable[..., tuple[int, str]],
    sent: list[dict[str, Any]],
    expired: str,
    operations: Operations,
) -> None:
    admin("list")
    admin("list", "--limit", "1", "--topic", "returning-to-work")
    admin("show", sent[0]["id"])
    admin("mark", sent[0]["id"], "answered")
    admin("export", "alicja@example.org")
    admin("erase", sent[2]["id"], "--yes")
    admin("erase", "--contact", "alicja@example.org", "--yes")

    assert set(operations.names) == {"Query", "GetItem", "UpdateItem", "DeleteItem"}


def test_a_retention_of_no_days_is_refused(
    admin: Callable[..., tuple[int, str]], sent: list[dict[str, Any]]
) -> None:
    message = "error: --retention-days (RETENTION_DAYS) must be at least 1\n"
    assert admin("--retention-days", "0", "mark", sent[0]["id"], "closed") == (1, message)
    assert "status: new" in admin("show", sent[0]["id"])[1]


def test_a_missing_table_name_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TABLE_NAME", raising=False)
    assert main(["list"]) == 1


def test_the_console_script_is_this_main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"] == {"ask-admin": "functions.moderation.cli:main"}
    assert parser().prog == "ask-admin"


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "functions.moderation"],
        # Installed by `pip install -e .` (`make setup`) from pyproject.toml's [project.scripts].
        [str(Path(sys.executable).with_name("ask-admin"))],
    ],
    ids=["module", "script"],
)
def test_it_runs_as_a_command(
    dynamodb_endpoint: str, dynamodb_table: str, command: list[str]
) -> None:
    env = {
        **os.environ,
        "TABLE_NAME": dynamodb_table,
        "DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }
    done = subprocess.run(
        [*command, "list"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "0 new requests\n", "")
    del env["TABLE_NAME"]
    failed = subprocess.run(
        [*command, "list"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    message = "error: name the table with --table or TABLE_NAME\n"
    assert (failed.returncode, failed.stdout, failed.stderr) == (1, "", message)


def test_text_is_printed_safely() -> None:
    assert printable("a\x1b[31mred\u202eb\nc") == "a\\u001b[31mred\\u202eb\nc"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
