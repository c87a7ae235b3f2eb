"""The moderators' store reads through the key and the indexes only: never a Scan."""

from __future__ import annotations

import ast
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from functions.moderation.records import StoredRequest
from functions.moderation.store import Listing, Moderation
from functions.shared.contact import contact_hash
from tests.conftest import CONTACT_HASH_KEY
from tests.functions.moderation.conftest import DAY, Call, Operations, Seed, request_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parents[3]
# Client methods and operation names that read a whole table or many items by other means.
# BatchGetItem is not one: it reads only the keys it names (a year of months' figures).
WHOLE_TABLE_READS = {
    "scan",
    "Scan",
    "execute_statement",
    "batch_execute_statement",
}

pytestmark = pytest.mark.dynamodb


@pytest.fixture
def store(counted_client: DynamoDBClient, dynamodb_table: str) -> Moderation:
    """The store on the test table, with a client whose operations are counted."""
    return Moderation(
        counted_client, dynamodb_table, retention_days=180, contact_hash_key=CONTACT_HASH_KEY
    )


def seed_many(client: DynamoDBClient, table: str, count: int) -> None:
    """`count` new requests, a second apart, written 25 at a time on several threads."""
    start = time.time() - count
    items = [
        request_item(str(uuid.uuid4()), created=start + number, contact=f"p{number}@example.org")
        for number in range(count)
    ]
    batches = [items[i : i + 25] for i in range(0, count, 25)]

    def write(batch: list[dict[str, Any]]) -> None:
        requests: Any = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        while requests:
            requests = client.batch_write_item(RequestItems=requests)["UnprocessedItems"]

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, batches))


def test_listing_50_of_10000_requests_is_one_query(
    admin: Call, operations: Operations, dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    seed_many(dynamodb_client, dynamodb_table, 10_000)

    first = admin("GET", "/api/admin/requests", params={"limit": "50"})
    assert operations.names == ["Query"]
    second = admin(
        "GET", "/api/admin/requests", params={"limit": "50", "cursor": first.json()["cursor"]}
    )

    assert operations.names == ["Query", "Query"]
    pages = [first.json()["requests"], second.json()["requests"]]
    assert [len(page) for page in pages] == [50, 50]
    created = [request["created_at"] for page in pages for request in page]
    assert created == sorted(created)
    assert len(set(created)) == 100


def test_no_store_method_scans(store: Moderation, operations: Operations, seed: Seed) -> None:
    request_id = seed()
    seed(contact="+48 600 700 800")
    store.page(Listing())
    store.page(Listing(status="new", topic="returning-to-work", language="pl", limit=1))
    store.export(Listing(status="new", language="pl"))
    store.summary()
    current = store.get(request_id)
    store.assign(request_id, version=current.version, moderator="anna")
    store.set_status(request_id, "answered", version=2, moderator="anna", note="done")
    found = store.by_contact("0048 600 700 800")
    store.erase(found, moderator="anna", scope="contact")

    assert set(operations.names) == {"Query", "GetItem", "UpdateItem", "DeleteItem"}
    assert len(found) == 1


def test_the_moderators_code_names_no_scan() -> None:
    found = []
    for path in sorted((ROOT / "functions" / "moderation").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "value", None)
            if name in WHOLE_TABLE_READS:
                found.append(f"{path.name}:{getattr(node, 'lineno', 0)} {name}")
    assert found == []


def test_the_check_finds_a_scan() -> None:
    tree = ast.parse("client.scan(TableName='t')\nclient.get_paginator('scan')\n")
    names = [getattr(node, "attr", getattr(node, "value", None)) for node in ast.walk(tree)]
    assert names.count("scan") == 2


def test_a_filtered_page_keeps_reading_until_it_is_full(
    store: Moderation, operations: Operations, seed: Seed
) -> None:
    now = time.time()
    wanted = [seed(created=now - 100 + 2 * n, topic="mentoring") for n in range(3)]
    for n in range(60):
        seed(created=now - 99 + n, topic="other")

    page = store.page(Listing(topic="mentoring", limit=2))
    assert [request.id for request in page.requests] == wanted[:2]
    assert page.next_key is not None
    rest = store.page(Listing(topic="mentoring", limit=2), page.next_key)

    assert [request.id for request in rest.requests] == wanted[2:]
    assert operations.names.count("Query") >= 3


def test_retention_runs_from_the_last_status_change(
    store: Moderation, seed: Seed, dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    created = time.time() - 179 * DAY
    request_id = seed(created=created)
    before = store.get(request_id)
    assert before.expires_at == int(created + 180 * DAY)

    changed = store.set_status(request_id, "in-progress", version=1, moderator="anna")
    assert abs(changed.expires_at - (time.time() + 180 * DAY)) < 5
    assigned = store.assign(request_id, version=2, moderator="anna")
    assert assigned.expires_at == changed.expires_at

    # Two days on by the clock, the changed request is still kept; one left unchanged is not.
    unchanged = seed(created=created)
    assert [r.id for r in store.page(Listing()).requests] == [unchanged]
    later = Moderation(
        dynamodb_client, dynamodb_table, retention_days=180, clock=lambda: time.time() + 2 * DAY
    )
    assert later.get(request_id).id == request_id
    assert [r.id for r in later.page(Listing(status="in-progress")).requests] == [request_id]
    assert later.page(Listing()).requests == []
    assert later.summary().waiting == 0


def test_a_request_stored_before_versions_counts_as_version_1(
    store: Moderation, dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    request_id = str(uuid.uuid4())
    item = request_item(request_id)
    del item["version"], item["history"], item["contact_hash"]
    dynamodb_client.put_item(TableName=dynamodb_table, Item=item)

    assert store.get(request_id).version == 1
    changed = store.set_status(request_id, "answered", version=1, moderator="anna")
    assert (changed.version, len(changed.history())) == (2, 1)


@pytest.mark.parametrize(
    "spelling",
    ["+49 151 2345 6789", "0049 151 2345 6789", "+49-151-23456789", " +4915123456789 "],
)
def test_a_phone_number_is_found_in_any_spelling(
    store: Moderation, seed: Seed, spelling: str
) -> None:
    first = seed(contact="0049 (151) 2345-6789")
    second = seed(contact="+4915123456789")
    seed(contact="+48 151 2345 6789")

    assert [request.id for request in store.by_contact(spelling)] == [first, second]


@pytest.mark.parametrize(
    "spelling", ["Alicja@Example.ORG", " alicja@example.org", "ALICJA@EXAMPLE.ORG"]
)
def test_an_address_is_found_in_any_case(store: Moderation, seed: Seed, spelling: str) -> None:
    found = seed(contact="alicja@Example.org")
    seed(contact="alicja@example.com")
    assert [request.id for request in store.by_contact(spelling)] == [found]


def test_a_helpers_offer_from_the_same_address_is_no_request(
    store: Moderation, seed: Seed, dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    found = seed(contact="alicja@example.org")
    offer = {
        "pk": {"S": f"offer#{uuid.uuid4()}"},
        "status": {"S": "unconfirmed"},
        "created_at": {"S": "2026-01-02T03:04:05Z"},
        "contact_hash": {"S": contact_hash("alicja@example.org", CONTACT_HASH_KEY)},
        "expires_at": {"N": str(int(time.time()) + DAY)},
    }
    dynamodb_client.put_item(TableName=dynamodb_table, Item=offer)
    assert [request.id for request in store.by_contact("alicja@example.org")] == [found]


def test_the_erasure_log_says_when_who_and_how_many_only(
    store: Moderation, seed: Seed, dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    for _ in range(3):
        seed(contact="+44 1472 123456", name="Zofia Recognisable", message="A recognisable text.")
    found = store.by_contact("0044 1472 123456", include_expired=True)

    assert store.erase(found, moderator="anna", scope="contact") == 3
    assert store.erase(found, moderator="anna", scope="contact") == 0
    items = dynamodb_client.scan(TableName=dynamodb_table, ConsistentRead=True)["Items"]
    logs = sorted((item for item in items), key=lambda item: item["count"]["N"])
    assert [log["count"]["N"] for log in logs] == ["0", "3"]
    for log in logs:
        assert set(log) == {"pk", "at", "by", "scope", "count"}
        assert log["pk"]["S"].startswith("erasure#")
        text = repr(log)
        for personal in ("Zofia", "1472", "recognisable", found[0].get("contact_hash")):
            assert personal not in text


def test_records_read_old_and_new_items_alike() -> None:
    record = StoredRequest(request_item("3b0f8a52-9d1e-4c77-8f35-6a2b1c0d9e84", name=None)).record()
    assert "name" not in record
    assert (record["version"], record["history"], record["contact_kind"]) == (1, [], "email")
