"""The moderators' API on DynamoDB Local, route by route, on requests sent through the form."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from functions.moderation.records import SETTABLE_STATUSES
from tests.functions.moderation.conftest import DAY, Call, Seed

ItemsOf = Callable[[str], list[dict[str, Any]]]

pytestmark = pytest.mark.dynamodb


@pytest.fixture
def sent(post: Call, valid_request: dict[str, Any]) -> list[dict[str, Any]]:
    """Three requests sent through the public API: two from one person, one by phone."""
    bodies = [
        {**valid_request, "id": str(uuid.uuid4()), "message": "First: I need help with my CV."},
        {
            **valid_request,
            "id": str(uuid.uuid4()),
            "contact": "ALICJA@Example.org",
            "topic": "mentoring",
            "message": "Second: and with interviews.",
        },
        {
            **valid_request,
            "id": str(uuid.uuid4()),
            "name": "",
            "contact": "+44 1472 123456",
            "language": "en",
            "message": '=HYPERLINK("http://evil.example")',
        },
    ]
    for number, body in enumerate(bodies):
        assert post(json=body, client_ip=f"203.0.113.{number + 1}").status_code == 201
        time.sleep(0.002)  # distinct created_at, so the order is known
    return bodies


def ids(requests: list[dict[str, Any]]) -> list[str]:
    return [request["id"] for request in requests]


def test_the_list_shows_new_requests_oldest_first(admin: Call, sent: list[dict[str, Any]]) -> None:
    response = admin("GET", "/api/admin/requests")

    assert response.status_code == 200
    body = response.json()
    assert ids(body["requests"]) == ids(sent)
    assert body["cursor"] is None
    first = body["requests"][0]
    assert first["contact"] == "alicja@example.org"
    assert (first["contact_kind"], body["requests"][2]["contact_kind"]) == ("email", "phone")
    assert (first["version"], first["history"], first["status"]) == (1, [], "new")
    assert "name" not in body["requests"][2]
    assert not {"pk", "payload_hash", "contact_hash", "expires_at"} & set(first)


def test_the_list_filters_by_topic_and_language_and_pages_with_a_cursor(
    admin: Call, sent: list[dict[str, Any]]
) -> None:
    by_topic = admin("GET", "/api/admin/requests", params={"topic": "mentoring"}).json()
    assert ids(by_topic["requests"]) == [sent[1]["id"]]
    by_language = admin("GET", "/api/admin/requests", params={"language": "en"}).json()
    assert ids(by_language["requests"]) == [sent[2]["id"]]

    first = admin("GET", "/api/admin/requests", params={"limit": "2"}).json()
    assert ids(first["requests"]) == ids(sent[:2])
    rest = admin("GET", "/api/admin/requests", params={"limit": "2", "cursor": first["cursor"]})
    assert ids(rest.json()["requests"]) == [sent[2]["id"]]
    assert rest.json()["cursor"] is None


def test_the_summary_counts_waiting_requests_and_dates_the_oldest(
    admin: Call, sent: list[dict[str, Any]]
) -> None:
    empty = admin("GET", "/api/admin/summary").json()
    first = admin("GET", f"/api/admin/requests/{sent[0]['id']}").json()
    admin("POST", f"/api/admin/requests/{sent[0]['id']}/assign", json={"version": 1})
    admin(
        "POST",
        f"/api/admin/requests/{sent[0]['id']}/status",
        json={"status": "closed", "version": 2},
    )

    assert empty == {"waiting": 3, "oldest_waiting_since": first["created_at"]}
    summary = admin("GET", "/api/admin/summary").json()
    second = admin("GET", f"/api/admin/requests/{sent[1]['id']}").json()
    assert summary == {"waiting": 2, "oldest_waiting_since": second["created_at"]}


def test_one_request_in_full(admin: Call, sent: list[dict[str, Any]]) -> None:
    response = admin("GET", f"/api/admin/requests/{sent[0]['id'].upper()}")

    assert response.status_code == 200
    request = response.json()
    assert request["id"] == sent[0]["id"]
    assert request["message"] == "First: I need help with my CV."
    assert request["name"] == "Alicja"
    assert request["consent_version"] == "2019-12-01"
    assert request["retained_until"] > request["created_at"]
    assert response.headers["cache-control"] == "no-store"


def test_assign_then_answer_with_a_note_records_who_and_when(
    admin: Call, sent: list[dict[str, Any]]
) -> None:
    request_id = sent[0]["id"]
    assigned = admin("POST", f"/api/admin/requests/{request_id}/assign", json={"version": 1})
    assert assigned.status_code == 200
    assert (assigned.json()["assigned_to"], assigned.json()["version"]) == ("anna", 2)

    note = "Called back; she will send her CV by Friday."
    answered = admin(
        "POST",
        f"/api/admin/requests/{request_id}/status",
        json={"status": "answered", "note": note, "version": 2},
    )

    assert answered.status_code == 200
    request = answered.json()
    assert (request["status"], request["version"], request["assigned_to"]) == (
        "answered",
        3,
        "anna",
    )
    assign, status = request["history"]
    assert (assign["by"], assign["action"]) == ("anna", "assign")
    assert status == {
        "at": request["updated_at"],
        "by": "anna",
        "action": "status",
        "status": "answered",
        "note": note,
    }
    assert assign["at"] <= status["at"]
    assert admin("GET", f"/api/admin/requests/{request_id}").json() == request
    listed = admin("GET", "/api/admin/requests", params={"status": "answered"}).json()
    assert ids(listed["requests"]) == [request_id]


@pytest.mark.parametrize("status", SETTABLE_STATUSES)
def test_every_status_can_be_set(admin: Call, sent: list[dict[str, Any]], status: str) -> None:
    path = f"/api/admin/requests/{sent[0]['id']}/status"
    response = admin("POST", path, json={"status": status, "version": 1})

    assert (response.status_code, response.json()["status"]) == (200, status)
    assert "note" not in response.json()["history"][0]


def test_export_as_csv_escapes_formulas(admin: Call, sent: list[dict[str, Any]]) -> None:
    response = admin("GET", "/api/admin/export", params={"format": "csv"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert response.headers["content-disposition"] == (
        f'attachment; filename="help-requests-new-{day}.csv"'
    )
    assert response.content.startswith("\ufeff".encode())
    assert b"\r\n" in response.content
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["id"] for row in rows] == ids(sent)
    assert rows[2]["message"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[2]["contact"] == "'+44 1472 123456"
    assert rows[0]["contact"] == "alicja@example.org"


def test_export_as_json_follows_the_filter(admin: Call, sent: list[dict[str, Any]]) -> None:
    response = admin("GET", "/api/admin/export", params={"format": "json", "language": "pl"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert ids(response.json()["requests"]) == ids(sent[:2])


def test_access_finds_a_contacts_requests_in_any_spelling(
    admin: Call, sent: list[dict[str, Any]]
) -> None:
    response = admin("POST", "/api/admin/contacts/access", json={"contact": " Alicja@EXAMPLE.org"})

    assert response.status_code == 200
    document = response.json()
    assert document["contact"] == "Alicja@EXAMPLE.org"
    assert ids(document["requests"]) == ids(sent[:2])
    phone = admin("POST", "/api/admin/contacts/access", json={"contact": "0044 1472-123 456"})
    assert ids(phone.json()["requests"]) == [sent[2]["id"]]
    nobody = admin("POST", "/api/admin/contacts/access", json={"contact": "nobody@example.org"})
    assert nobody.json()["requests"] == []


def test_erase_a_contacts_requests_leaves_a_log_without_them(
    admin: Call, sent: list[dict[str, Any]], table_items: ItemsOf
) -> None:
    body = {"contact": "alicja@example.org", "confirm": True}
    response = admin("POST", "/api/admin/contacts/erase", json=body)

    assert (response.status_code, response.json()) == (200, {"erased": 2, "withdrawn": 0})
    assert [item["id"]["S"] for item in table_items("request#")] == [sent[2]["id"]]
    [log] = table_items("erasure#")
    assert set(log) == {"pk", "at", "by", "scope", "count"}
    assert (log["by"], log["scope"], log["count"]) == ({"S": "anna"}, {"S": "contact"}, {"N": "2"})
    assert "alicja" not in json.dumps(log).lower()
    again = admin("POST", "/api/admin/contacts/access", json={"contact": "alicja@example.org"})
    assert again.json()["requests"] == []


def test_erase_one_request(admin: Call, sent: list[dict[str, Any]], table_items: ItemsOf) -> None:
    request_id = sent[1]["id"]
    response = admin("POST", f"/api/admin/requests/{request_id}/erase", json={"confirm": True})

    assert (response.status_code, response.json()) == (200, {"erased": 1})
    assert request_id not in [item["id"]["S"] for item in table_items("request#")]
    [log] = table_items("erasure#")
    assert (log["scope"], log["count"]) == ({"S": "request"}, {"N": "1"})
    assert admin("GET", f"/api/admin/requests/{request_id}").status_code == 404


def test_a_request_past_its_retention_never_shows_but_is_erased(
    admin: Call, seed: Seed, table_items: ItemsOf
) -> None:
    long_ago = time.time() - 200 * DAY
    expired = seed(created=long_ago, expires=time.time() - 60)
    live = seed()

    listed = admin("GET", "/api/admin/requests").json()["requests"]
    assert ids(listed) == [live]
    assert admin("GET", f"/api/admin/requests/{expired}").status_code == 404
    assert admin("GET", "/api/admin/summary").json()["waiting"] == 1
    exported = admin("GET", "/api/admin/export", params={"format": "json"}).json()["requests"]
    assert ids(exported) == [live]
    access = admin("POST", "/api/admin/contacts/access", json={"contact": "alicja@example.org"})
    assert ids(access.json()["requests"]) == [live]
    changed = admin(
        "POST", f"/api/admin/requests/{expired}/status", json={"status": "closed", "version": 1}
    )
    assert changed.status_code == 404

    body = {"contact": "alicja@example.org", "confirm": True}
    assert admin("POST", "/api/admin/contacts/erase", json=body).json() == {
        "erased": 2,
        "withdrawn": 0,
    }
    assert table_items("request#") == []
