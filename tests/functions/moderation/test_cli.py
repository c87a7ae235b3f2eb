"""The moderators' command line against DynamoDB Local, on requests sent through the API."""

from __future__ import annotations

import io
import json
import os
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
from functions.moderation.store import contact_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]
ItemsOf = Callable[[str], list[dict[str, Any]]]
ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.dynamodb


@pytest.fixture
def admin(
    dynamodb_client: DynamoDBClient, dynamodb_table: str, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str]]:
    """Run `admin("list", ...)`; returns the exit code and what it printed."""

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(["--table", dynamodb_table, *argv], client=dynamodb_client)
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
    dynamodb_client.put_item(
        TableName=dynamodb_table,
        Item={
            "pk": {"S": f"request#{request_id}"},
            "id": {"S": request_id},
            "contact": {"S": "alicja@example.org"},
            "topic": {"S": "other"},
            "message": {"S": "An old request, past retention."},
            "language": {"S": "pl"},
            "status": {"S": "new"},
            "created_at": {"S": "2020-01-01T00:00:00.000Z"},
            "consent_version": {"S": "1"},
            "expires_at": {"N": str(int(time.time()) - 60)},
        },
    )
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
        assert admin("mark", request_id, "done")[0] == 1


def test_mark_moves_a_request_between_lists(
    admin: Callable[..., tuple[int, str]], sent: list[dict[str, Any]]
) -> None:
    assert admin("mark", sent[1]["id"], "answered") == (0, f"marked {sent[1]['id']} as answered\n")

    assert admin("list")[1].splitlines()[-1] == "2 new requests"
    code, out = admin("list", "--status", "answered")
    assert (code, out.splitlines()[-1]) == (0, "1 answered request")
    assert sent[1]["id"] in out
    assert "updated_at" in admin("show", sent[1]["id"])[1]


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
        "topic",
        "message",
        "language",
        "status",
        "created_at",
        "consent_version",
        "retained_until",
    }
    assert "pk" not in first
    assert "payload_hash" not in first


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


@pytest.mark.parametrize(
    ("contact", "key"),
    [
        ("Anna@Example.ORG ", "anna@example.org"),
        ("+48 600-700-800", "+48600700800"),
        ("0048 600 700 800", "+48600700800"),
        ("600 700 800", "600700800"),
    ],
)
def test_contact_key(contact: str, key: str) -> None:
    assert contact_key(contact) == key
