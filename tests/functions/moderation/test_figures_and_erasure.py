"""The months' figures from `stats#` items, and a helper's erasure by their address: their offer
goes, their pending introductions are withdrawn and the requests wait again (DynamoDB Local)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from functions.moderation.helpers import last_months
from tests.conftest import ItemsOf
from tests.functions.moderation.conftest import Call, Offer, Operations, Seed

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def test_the_last_months_run_back_over_the_new_year() -> None:
    february = datetime(2024, 2, 29, 23, 59, tzinfo=UTC).timestamp()

    assert last_months(february, 4) == ["2024-02", "2024-01", "2023-12", "2023-11"]
    assert len(last_months(february)) == 12


@pytest.mark.dynamodb
def test_figures_come_from_the_months_items_by_key(
    admin: Call,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
    operations: Operations,
) -> None:
    months = last_months(time.time())
    counts: dict[str, Any] = {
        "received": {"N": "9"},
        "introduced": {"N": "4"},
        "helped": {"N": "2"},
        "waits": {"L": [{"N": "100"}, {"N": "300"}, {"N": "50"}, {"N": "200"}]},
    }
    for month, item in ((months[0], counts), (months[2], {"received": {"N": "1"}})):
        dynamodb_client.put_item(
            TableName=dynamodb_table, Item={"pk": {"S": f"stats#{month}"}, **item}
        )
    operations.clear()

    response = admin("GET", "/api/admin/figures")

    assert response.status_code == 200
    found = response.json()["months"]
    assert [month["month"] for month in found] == months
    assert found[0] == {
        "month": months[0],
        "received": 9,
        "introduced": 4,
        "helped": 2,
        "median_wait": 150,
    }
    nothing = {"received": 0, "introduced": 0, "helped": 0, "median_wait": None}
    assert found[1] == {"month": months[1], **nothing}
    assert found[2] == {"month": months[2], **nothing, "received": 1}
    assert operations.names == ["BatchGetItem"]


@pytest.mark.dynamodb
def test_erasing_a_helpers_address_withdraws_their_pending_introductions(
    admin: Call,
    seed: Seed,
    offer: Offer,
    table_items: ItemsOf,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    helper = offer(email="jan@example.org", capacity=3)
    waiting, accepted = seed(), seed()
    own = seed(contact="jan@example.org")
    other = offer(email="ewa@example.org")
    base = "/api/admin/requests"
    pending = admin(
        "POST", f"{base}/{waiting}/introductions", json={"helper": helper, "version": 1}
    )
    done = admin("POST", f"{base}/{accepted}/introductions", json={"helper": helper, "version": 1})
    done_id = done.json()["introduction"]["id"]
    dynamodb_client.update_item(
        TableName=dynamodb_table,
        Key={"pk": {"S": f"intro#{done_id}"}},
        UpdateExpression="SET #status = :accepted REMOVE due, due_at",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":accepted": {"S": "accepted"}},
    )
    body = {"contact": "JAN@example.org ", "confirm": True}

    response = admin("POST", "/api/admin/contacts/erase", json=body)

    assert (response.status_code, response.json()) == (200, {"erased": 2, "withdrawn": 1})
    keys = {item["pk"]["S"] for item in table_items("")}
    assert f"offer#{helper}" not in keys
    assert f"request#{own}" not in keys
    assert f"offer#{other}" in keys
    intro_id = pending.json()["introduction"]["id"]
    (intro,) = table_items(f"intro#{intro_id}")
    assert intro["status"]["S"] == "withdrawn"
    assert {"due", "due_at"}.isdisjoint(intro)
    request = admin("GET", f"{base}/{waiting}").json()
    assert (request["status"], request["version"]) == ("new", 3)
    assert request["history"][-1]["action"] == "withdrawn"
    assert request["history"][-1]["introduction"] == intro_id
    assert admin("GET", f"{base}/{accepted}").json()["status"] == "introducing"
    (kept,) = table_items(f"intro#{done_id}")
    assert kept["status"]["S"] == "accepted"
    (log,) = table_items("erasure#")
    assert (log["count"]["N"], log["scope"]["S"]) == ("2", "contact")
    assert "jan" not in str(log).lower()


@pytest.mark.dynamodb
def test_the_access_export_tells_offers_from_requests(
    admin: Call, seed: Seed, offer: Offer
) -> None:
    helper = offer(email="jan@example.org")
    own = seed(contact="Jan@Example.org")

    response = admin("POST", "/api/admin/contacts/access", json={"contact": "jan@example.org"})

    assert response.status_code == 200
    body = response.json()
    assert [request["id"] for request in body["requests"]] == [own]
    assert [found["id"] for found in body["offers"]] == [helper]
    assert body["offers"][0]["email"] == "jan@example.org"
    assert body["offers"][0]["status"] == "confirmed"
    assert body["offers"][0]["room"] == 2


@pytest.mark.dynamodb
def test_erasing_a_request_withdraws_its_pending_introduction_and_frees_the_helper(
    admin: Call, seed: Seed, offer: Offer, table_items: ItemsOf
) -> None:
    request_id, helper = seed(), offer(capacity=1)
    path = f"/api/admin/requests/{request_id}"
    made = admin(
        "POST", f"{path}/introductions", json={"helper": helper, "version": 1, "note": "Hi"}
    )
    intro_id = made.json()["introduction"]["id"]

    response = admin("POST", f"{path}/erase", json={"confirm": True})

    assert (response.status_code, response.json()) == (200, {"erased": 1})
    (intro,) = table_items(f"intro#{intro_id}")
    assert intro["status"]["S"] == "withdrawn"
    assert {"note", "due", "due_at"}.isdisjoint(intro)
    (stored,) = table_items(f"offer#{helper}")
    assert (stored["load_count"]["N"], stored["open_introductions"]["N"]) == ("0", "0")
    assert len(admin("GET", f"/api/admin/requests/{seed()}/suggestions").json()["helpers"]) == 1


@pytest.mark.dynamodb
def test_erasing_a_requesters_address_removes_the_notes_of_answered_introductions(
    admin: Call,
    seed: Seed,
    offer: Offer,
    table_items: ItemsOf,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    request_id = seed(contact="ola@example.org")
    path = f"/api/admin/requests/{request_id}/introductions"
    made = admin("POST", path, json={"helper": offer(), "version": 1, "note": "About Ola"})
    intro_id = made.json()["introduction"]["id"]
    dynamodb_client.update_item(
        TableName=dynamodb_table,
        Key={"pk": {"S": f"intro#{intro_id}"}},
        UpdateExpression="SET #status = :accepted",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":accepted": {"S": "accepted"}},
    )
    body = {"contact": "ola@example.org", "confirm": True}

    response = admin("POST", "/api/admin/contacts/erase", json=body)

    assert response.json() == {"erased": 1, "withdrawn": 0}
    (intro,) = table_items(f"intro#{intro_id}")
    assert intro["status"]["S"] == "accepted"
    assert "note" not in intro
