"""Suggesting helpers for a request and introducing one, on DynamoDB Local: who is suggested,
in which order, exactly what an introduction writes, and every refusal leaving all as it was."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from functions.moderation.helpers import month_of
from tests.conftest import ItemsOf
from tests.functions.moderation.conftest import DAY, Call, Offer, Operations, Seed

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.dynamodb
PAST_MONTH = "2001-01"


def item(items: ItemsOf, key: str) -> dict[str, Any]:
    (found,) = [entry for entry in items(key) if entry["pk"]["S"] == key]
    return found


def suggested(admin: Call, request_id: str) -> list[dict[str, Any]]:
    response = admin("GET", f"/api/admin/requests/{request_id}/suggestions")
    assert response.status_code == 200
    helpers: list[dict[str, Any]] = response.json()["helpers"]
    return helpers


def introduce(admin: Call, request_id: str, **body: Any) -> Any:
    return admin("POST", f"/api/admin/requests/{request_id}/introductions", json=body)


def test_only_confirmed_fitting_helpers_with_room_are_suggested(
    admin: Call, seed: Seed, offer: Offer
) -> None:
    request_id = seed(language="pl", topic="returning-to-work")
    month = month_of(time.time())
    fits = offer(name="Fits", counters={"load_month": month, "load_count": 1})
    last_month = offer(name="Busy last month", counters={"load_month": PAST_MONTH, "load_count": 2})
    offer(name="Full", counters={"load_month": month, "load_count": 2})
    offer(name="German only", languages=("de",))
    offer(name="Other topic", topics=("business",))
    offer(name="Unconfirmed", status="unconfirmed")
    offer(name="Paused", status="paused")

    found = suggested(admin, request_id)

    assert {helper["name"] for helper in found} == {"Fits", "Busy last month"}
    by_name = {helper["name"]: helper for helper in found}
    assert by_name["Fits"] == {
        "id": fits,
        "name": "Fits",
        "topics": ["returning-to-work", "job-search"],
        "languages": ["pl", "en"],
        "ways": ["mentoring"],
        "region": "Kraków",
        "room": 1,
        "open_introductions": 0,
    }
    assert by_name["Busy last month"]["room"] == 2
    assert last_month in {helper["id"] for helper in found}
    assert all("email" not in helper for helper in found)


def test_suggestions_put_fewest_open_introductions_then_longest_waiting_first(
    admin: Call, seed: Seed, offer: Offer
) -> None:
    request_id = seed()
    now = time.time()
    busy = offer(name="Busy", created=now - 3 * DAY, counters={"open_introductions": 2})
    newer = offer(name="Newer", created=now - DAY)
    older = offer(name="Older", created=now - 2 * DAY, counters={"open_introductions": 0})

    assert [helper["id"] for helper in suggested(admin, request_id)] == [older, newer, busy]


def test_suggestions_for_an_unknown_request_are_not_found(admin: Call) -> None:
    response = admin("GET", f"/api/admin/requests/{uuid.uuid4()}/suggestions")

    assert (response.status_code, response.json()) == (404, {"error": "not_found"})


def test_an_introduction_writes_the_introduction_the_request_and_the_counters(
    admin: Call, seed: Seed, offer: Offer, table_items: ItemsOf
) -> None:
    request_id = seed()
    helper = offer(counters={"load_month": PAST_MONTH, "load_count": 2, "open_introductions": 1})
    before = item(table_items, f"offer#{helper}")
    started = time.time()

    response = introduce(admin, request_id, helper=helper, version=1, note="  She knows Kraków. ")

    assert response.status_code == 201
    made = response.json()["introduction"]
    assert response.json()["request"]["status"] == "introducing"
    intro = item(table_items, f"intro#{made['id']}")
    request = item(table_items, f"request#{request_id}")
    stored_offer = item(table_items, f"offer#{helper}")
    assert set(intro) == {
        "pk", "id", "request_id", "helper_id", "status", "created_at", "moderator", "note",
        "language", "topic", "version", "due", "due_at", "expires_at", "outbox",
    }  # fmt: skip
    assert {name: value.get("S", value.get("N")) for name, value in intro.items()} == {
        "pk": f"intro#{made['id']}",
        "id": made["id"],
        "request_id": request_id,
        "helper_id": helper,
        "status": "pending",
        "created_at": made["created_at"],
        "moderator": "anna",
        "note": "She knows Kraków.",
        "language": "pl",
        "topic": "returning-to-work",
        "version": "1",
        "due": "answer",
        "due_at": made["due_at"],
        "expires_at": request["expires_at"]["N"],
        "outbox": "introduction_request",
    }
    due = datetime.fromisoformat(made["due_at"]).timestamp()
    assert started + 5 * DAY - 1 <= due <= time.time() + 5 * DAY
    assert request["status"]["S"] == "introducing"
    assert request["version"]["N"] == "2"
    assert request["introduction"]["S"] == made["id"]
    entry = request["history"]["L"][-1]["M"]
    assert {name: value["S"] for name, value in entry.items()} == {
        "at": made["created_at"],
        "by": "anna",
        "action": "introduce",
        "status": "introducing",
        "introduction": made["id"],
        "helper": helper,
    }
    assert stored_offer["load_month"]["S"] == month_of(time.time())
    assert stored_offer["load_count"]["N"] == "1"
    assert stored_offer["open_introductions"]["N"] == "2"
    assert stored_offer["version"] == before["version"]
    assert int(stored_offer["expires_at"]["N"]) >= int(started) + 365 * DAY


def test_a_second_introduction_in_the_month_adds_to_the_helpers_load(
    admin: Call, seed: Seed, offer: Offer, table_items: ItemsOf
) -> None:
    helper = offer(capacity=2)
    for request_id in (seed(), seed()):
        assert introduce(admin, request_id, helper=helper, version=1).status_code == 201

    stored = item(table_items, f"offer#{helper}")
    assert (stored["load_count"]["N"], stored["open_introductions"]["N"]) == ("2", "2")
    assert suggested(admin, seed()) == []
    refused = introduce(admin, seed(), helper=helper, version=1)
    assert (refused.status_code, refused.json()) == (409, {"error": "helper_no_room"})


FULL = {"load_month": "now", "load_count": 1}
REFUSALS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("unconfirmed", {"status": "unconfirmed"}, {}, "helper_not_confirmed"),
    ("paused", {"status": "paused"}, {}, "helper_paused"),
    ("no room", {"capacity": 1, "counters": FULL}, {}, "helper_no_room"),
    ("another language", {"languages": ("de", "en")}, {}, "helper_language"),
    ("another topic", {"topics": ("business",)}, {}, "helper_topic"),
    ("answered request", {}, {"status": "answered"}, "request_not_open"),
    ("request already introducing", {}, {"status": "introducing"}, "request_not_open"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("offer_fields", "request_fields", "code"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_each_refusal_has_its_code_and_changes_nothing(
    admin: Call,
    seed: Seed,
    offer: Offer,
    table_items: ItemsOf,
    offer_fields: dict[str, Any],
    request_fields: dict[str, Any],
    code: str,
) -> None:
    counters = dict(offer_fields.pop("counters", {}))
    if counters.get("load_month") == "now":
        counters["load_month"] = month_of(time.time())
    helper = offer(counters=counters, **offer_fields)
    request_id = seed(**request_fields)
    before = table_items("")

    response = introduce(admin, request_id, helper=helper, version=1)

    assert (response.status_code, response.json()) == (409, {"error": code})
    assert table_items("") == before


def test_an_erased_or_unknown_helper_is_refused(
    admin: Call, seed: Seed, table_items: ItemsOf
) -> None:
    request_id = seed()
    before = table_items("")

    response = introduce(admin, request_id, helper=str(uuid.uuid4()), version=1)

    assert (response.status_code, response.json()) == (409, {"error": "helper_not_found"})
    assert table_items("") == before


def test_a_request_changed_meanwhile_is_a_version_conflict(
    admin: Call, seed: Seed, offer: Offer, table_items: ItemsOf
) -> None:
    request_id, helper = seed(), offer()
    path = f"/api/admin/requests/{request_id}/assign"
    assert admin("POST", path, json={"version": 1}).status_code == 200
    before = table_items("")

    response = introduce(admin, request_id, helper=helper, version=1)

    assert response.status_code == 409
    assert response.json()["error"] == "version_conflict"
    assert response.json()["request"]["version"] == 2
    assert table_items("") == before


def test_an_unknown_request_is_not_found(admin: Call, offer: Offer) -> None:
    response = introduce(admin, str(uuid.uuid4()), helper=offer(), version=1)

    assert (response.status_code, response.json()) == (404, {"error": "not_found"})


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"version": 1}, [("helper", "required")]),
        ({"helper": "jan", "version": 1}, [("helper", "invalid")]),
        ({"helper": 7, "version": 1}, [("helper", "invalid")]),
        ({"helper": str(uuid.UUID(int=1))}, [("version", "required")]),
        (
            {"helper": str(uuid.UUID(int=1)), "version": 1, "note": "x" * 501},
            [("note", "too_long")],
        ),
        ({"helper": str(uuid.UUID(int=1)), "version": 1, "note": 5}, [("note", "invalid")]),
        ({"helper": str(uuid.UUID(int=1)), "version": 1, "to": "x"}, [("to", "invalid")]),
    ],
)
def test_a_bad_introduction_names_each_field(
    admin: Call, seed: Seed, body: dict[str, Any], errors: list[tuple[str, str]]
) -> None:
    response = introduce(admin, seed(), **body)

    assert response.status_code == 422
    assert response.json() == {"errors": [{"field": f, "code": c} for f, c in errors]}


@pytest.mark.parametrize("status", ["introducing", "introduced"])
def test_a_moderator_cannot_set_an_introductions_status(
    admin: Call, seed: Seed, status: str
) -> None:
    request_id = seed()
    path = f"/api/admin/requests/{request_id}/status"

    response = admin("POST", path, json={"status": status, "version": 1})

    assert response.status_code == 422
    assert response.json() == {"errors": [{"field": "status", "code": "not_settable"}]}
    assert admin("GET", f"/api/admin/requests/{request_id}").json()["status"] == "new"


def test_a_request_waiting_for_a_helpers_answer_keeps_its_status_until_the_answer(
    admin: Call, seed: Seed, offer: Offer
) -> None:
    request_id = seed()
    assert introduce(admin, request_id, helper=offer(), version=1).status_code == 201
    path = f"/api/admin/requests/{request_id}/status"

    # At the version the moderator sees: still refused, as the answer or its timeout must
    # find the request waiting to hand it on or back.
    response = admin("POST", path, json={"status": "closed", "version": 2})

    assert response.status_code == 409
    assert response.json()["request"]["status"] == "introducing"
    assert admin("GET", f"/api/admin/requests/{request_id}").json()["version"] == 2


def test_introduced_requests_are_listed_by_their_status(
    admin: Call, seed: Seed, offer: Offer
) -> None:
    request_id = seed()
    assert introduce(admin, request_id, helper=offer(), version=1).status_code == 201

    listed = admin("GET", "/api/admin/requests", params={"status": "introducing"}).json()
    waiting = admin("GET", "/api/admin/requests").json()

    assert [request["id"] for request in listed["requests"]] == [request_id]
    assert waiting["requests"] == []


def test_the_helpers_record_shows_open_and_past_introductions(
    admin: Call, seed: Seed, offer: Offer, dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    helper = offer(capacity=3)
    first, second = seed(), seed()
    old = introduce(admin, first, helper=helper, version=1).json()["introduction"]
    new = introduce(admin, second, helper=helper, version=1, note="Hi").json()["introduction"]
    dynamodb_client.update_item(
        TableName=dynamodb_table,
        Key={"pk": {"S": f"intro#{old['id']}"}},
        UpdateExpression="SET #status = :declined REMOVE due, due_at",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":declined": {"S": "declined"}},
    )

    response = admin("GET", f"/api/admin/helpers/{helper}")

    assert response.status_code == 200
    body = response.json()
    assert body["helper"]["email"] == "jan@example.org"
    assert (body["helper"]["status"], body["helper"]["room"]) == ("confirmed", 1)
    assert [(intro["id"], intro["note"]) for intro in body["open"]] == [(new["id"], "Hi")]
    assert [(intro["id"], intro["status"]) for intro in body["past"]] == [(old["id"], "declined")]
    listed = admin("GET", f"/api/admin/requests/{second}/introductions").json()
    assert [(i["id"], i["helper_name"], i["status"]) for i in listed["introductions"]] == [
        (new["id"], "Jan Nowak", "pending")
    ]


@pytest.mark.parametrize("helper", ["0b7e6c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70", "not-an-id"])
def test_an_unknown_helper_is_not_found(admin: Call, helper: str) -> None:
    response = admin("GET", f"/api/admin/helpers/{helper}")

    assert (response.status_code, response.json()) == (404, {"error": "not_found"})


def test_an_unconfirmed_offer_past_its_week_is_not_found(admin: Call, offer: Offer) -> None:
    helper = offer(status="unconfirmed", created=time.time() - 8 * DAY)

    assert admin("GET", f"/api/admin/helpers/{helper}").status_code == 404


def test_suggestions_records_and_introductions_never_scan(
    admin: Call, seed: Seed, offer: Offer, operations: Operations
) -> None:
    request_id, helper = seed(), offer()
    operations.clear()

    suggested(admin, request_id)
    introduce(admin, request_id, helper=helper, version=1)
    admin("GET", f"/api/admin/helpers/{helper}")
    admin("GET", f"/api/admin/requests/{request_id}/introductions")

    assert "Scan" not in operations.names
    assert set(operations.names) == {"GetItem", "Query", "TransactWriteItems", "BatchGetItem"}
