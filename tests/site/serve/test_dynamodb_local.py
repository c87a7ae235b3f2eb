"""The DynamoDB Local launcher: finds Java and the jar, starts, answers, stops cleanly."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sitegen.serve.dynamodb_local import (
    DynamoDBLocal,
    DynamoDBLocalError,
    check_java,
    find_jar_dir,
    free_port,
    java_command,
    java_major_version,
    local_client,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "21" 2023-09-19', 21),
        ("command not understood", None),
    ],
)
def test_java_major_version(output: str, major: int | None) -> None:
    assert java_major_version(output) == major


def test_no_java_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DynamoDBLocalError, match="apt-get install openjdk-17-jre-headless"):
        check_java()


def test_an_old_java_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    java = tmp_path / "java"
    java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    message = (
        "DynamoDB Local needs Java 17+, found Java 11; "
        "install it with: sudo apt-get install openjdk-17-jre-headless"
    )
    with pytest.raises(DynamoDBLocalError, match=f"^{re.escape(message)}$"):
        check_java()


def test_a_missing_package_says_to_run_make_setup(tmp_path: Path) -> None:
    with pytest.raises(DynamoDBLocalError, match=re.escape("run `make setup`")):
        find_jar_dir(tmp_path)


def test_the_installed_package_is_found() -> None:
    jar_dir = find_jar_dir()
    assert (jar_dir / "DynamoDBLocal.jar").is_file()
    assert (jar_dir / "DynamoDBLocal_lib").is_dir()


def port_of(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.dynamodb
def test_it_starts_on_a_free_local_port_and_stops_without_leftovers() -> None:
    local = DynamoDBLocal()
    with local as endpoint:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", endpoint)
        process = local._process
        assert process is not None
        assert local_client(endpoint).list_tables()["TableNames"] == []
    assert process.poll() is not None
    assert not listening(port_of(endpoint))
    local.stop()


def test_data_lives_in_memory_unless_a_folder_is_given() -> None:
    in_memory = java_command("java", Path("/jar"), 8001)
    on_disk = java_command("java", Path("/jar"), 8001, Path("/data"))

    assert "-inMemory" in in_memory
    assert "-dbPath" not in in_memory
    assert on_disk[on_disk.index("-dbPath") + 1] == "/data"
    assert "-inMemory" not in on_disk


@pytest.mark.dynamodb
def test_on_disk_its_data_outlives_a_sigkill_and_a_start_on_the_same_port(tmp_path: Path) -> None:
    local = DynamoDBLocal(db_path=tmp_path, port=free_port())
    with local as endpoint:
        client = local_client(endpoint)
        client.create_table(
            TableName="kept",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="kept", Item={"pk": {"S": "one"}})
        assert local.pid is not None
        os.kill(local.pid, signal.SIGKILL)
        local.stop()
        assert local.start() == endpoint
        item = client.get_item(TableName="kept", Key={"pk": {"S": "one"}}, ConsistentRead=True)
        assert item["Item"] == {"pk": {"S": "one"}}
    assert local.pid is None


@pytest.mark.dynamodb
def test_the_table_is_built_from_the_template(
    dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    table = dynamodb_client.describe_table(TableName=dynamodb_table)["Table"]
    ttl = dynamodb_client.describe_time_to_live(TableName=dynamodb_table)

    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    indexes = {
        index["IndexName"]: [key["AttributeName"] for key in index["KeySchema"]]
        for index in table.get("GlobalSecondaryIndexes", [])
    }
    assert indexes == {
        "by-status": ["status", "created_at"],
        "by-contact": ["contact_hash", "created_at"],
        "by-helper": ["helper_id", "created_at"],
        "by-due": ["due", "due_at"],
    }
    assert ttl["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expires_at",
    }


# Starts DynamoDB Local, says where, and waits to be killed.
PARENT = """
import sys, time
from sitegen.serve.dynamodb_local import DynamoDBLocal
print(DynamoDBLocal().start(), flush=True)
time.sleep(600)
"""


def thread_state(task: Path) -> str:
    """R, S, Z, ... of one thread, from /proc."""
    return (task / "stat").read_text().rsplit(")", 1)[1].split()[0]


def java_serving(port: int) -> list[int]:
    """Ids of living DynamoDB Local processes started for `port`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
            states = {thread_state(task) for task in (entry / "task").iterdir()}
        except OSError:
            continue  # it ended while we looked
        jar = any(argument.endswith(b"/DynamoDBLocal.jar") for argument in arguments)
        # Dead when every thread is a zombie: the main thread may end first, the rest later.
        if jar and str(port).encode() in arguments and states - {"Z", "X"}:
            found.append(int(entry.name))
    return found


@pytest.mark.dynamodb
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_java_dies_when_its_parent_is_killed_with_sigkill() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        port = port_of(parent.stdout.readline().strip())
        [java] = java_serving(port)
        assert os.getpgid(java) == java  # its own process group: Ctrl-C reaches only the parent
        parent.kill()
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        # Both, since a process ending while /proc is read can look gone a moment early.
        while (java_serving(port) or listening(port)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert java_serving(port) == []
        assert not listening(port)
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
