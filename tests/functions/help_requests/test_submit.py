"""Accepted submissions: stored once, retried safely, answered in JSON or with a redirect."""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from functions.help_requests import Config, create_app
from functions.help_requests.app import HelpRequestsApp
from functions.shared.contact import contact_hash
from tests.conftest import CONTACT_HASH_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]
ItemsOf = Callable[[str], list[dict[str, Any]]]
FORM = {
    "name": "",
    "contact": "+48 600 700 800",
    "topic": "business",
    "message": "Mój mały sklep potrzebuje pomocy z eksportem.",
    "language": "pl",
    "consent": "on",
    "website": "",
}

pytestmark = pytest.mark.dynamodb


def test_json_request_is_stored_with_status_consent_and_retention(
    post: Call, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    before = time.time()
    response = post(json=valid_request, headers={"Accept": "application/json"})

    assert response.status_code == 201
    assert response.json() == {"id": valid_request["id"], "status": "received"}
    [item] = table_items("request#")
    assert item["pk"] == {"S": f"request#{valid_request['id']}"}
    assert {key: item[key]["S"] for key in ("name", "contact", "topic", "message", "language")} == {
        key: valid_request[key] for key in ("name", "contact", "topic", "message", "language")
    }
    assert item["status"] == {"S": "new"}
    assert item["consent_version"] == {"S": "2019-12-01"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", item["created_at"]["S"])
    retention = int(item["expires_at"]["N"]) - before
    assert 180 * 86400 - 5 < retention < 180 * 86400 + 5
    assert "website" not in item
    assert "started_at" not in item


def test_a_request_is_stored_ready_for_moderation_in_one_write(
    post: Call, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    spelled_otherwise = {**valid_request, "id": str(uuid.uuid4()), "contact": "ALICJA@Example.org"}
    assert post(json=valid_request).status_code == 201
    assert post(json=spelled_otherwise, client_ip="203.0.113.8").status_code == 201

    first, second = sorted(table_items("request#"), key=lambda item: item["created_at"]["S"])
    assert first["version"] == {"N": "1"}
    assert first["history"] == {"L": []}
    # The keyed hash of the contact's one spelling: both requests share it, and it is no
    # plain digest of the address anyone could compute.
    assert first["contact_hash"] == second["contact_hash"]
    assert first["contact_hash"]["S"] == contact_hash("alicja@example.org", CONTACT_HASH_KEY)
    unkeyed = hashlib.sha256(b"alicja@example.org").hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", first["contact_hash"]["S"])
    assert first["contact_hash"]["S"] != unkeyed
    assert "assigned_to" not in first
    assert "updated_at" not in first


def test_the_raw_ip_is_stored_nowhere(
    post: Call, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    post(json=valid_request, client_ip="198.51.100.23")

    everything = json.dumps(table_items(""))
    assert "198.51.100.23" not in everything
    [counter] = table_items("rate#")
    assert re.fullmatch(r"rate#[0-9a-f]{32}#d#\d+", counter["pk"]["S"])


def test_the_same_request_again_is_answered_200_and_stored_once(
    post: Call, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    first = post(json=valid_request)
    again = post(json=valid_request)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(table_items("request#")) == 1
    [counter] = table_items("rate#")
    assert counter["day_count"] == {"N": "1"}


def test_a_retry_differing_only_in_unicode_form_and_spacing_is_the_same_request(
    post: Call, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    valid_request["message"] = "Cze\u015b\u0107, potrzebuj\u0119 pomocy z CV."
    first = post(json=valid_request)
    decomposed = "  Czes\u0301c\u0301, potrzebuje\u0328 pomocy z CV.\u0007 "
    again = post(json={**valid_request, "message": decomposed})

    assert (first.status_code, again.status_code) == (201, 200)
    assert len(table_items("request#")) == 1


def test_the_same_id_with_different_content_is_a_conflict(
    post: Call, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    post(json=valid_request)
    response = post(json={**valid_request, "message": "Something else entirely, please."})

    assert response.status_code == 409
    assert response.json() == {"error": "id_conflict"}
    [item] = table_items("request#")
    assert item["message"]["S"] == valid_request["message"]


def test_text_is_normalised_and_kept_as_written_never_as_html(
    post: Call, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    message = "  <b>Hilfe</b> & <script>alert(1)</script>\r\nZeile\u202e zwei\x00 e\u0301  "
    response = post(json={**valid_request, "message": message, "name": " Jo\tanna\n "})

    assert response.status_code == 201
    [item] = table_items("request#")
    assert item["message"]["S"] == "<b>Hilfe</b> & <script>alert(1)</script>\nZeile zwei \u00e9"
    assert item["name"]["S"] == "Jo anna"


def test_an_anonymous_request_has_no_name(
    post: Call, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    del valid_request["name"]
    assert post(json=valid_request).status_code == 201
    [item] = table_items("request#")
    assert "name" not in item


def test_the_plain_form_is_redirected_to_the_thanks_page_in_its_language(
    post: Call, table_items: ItemsOf
) -> None:
    response = post(data={**FORM, "language": "de"}, headers={"Accept": "text/html"})

    assert response.status_code == 303
    assert response.headers["location"] == "/de/ask/thanks/"
    [item] = table_items("request#")
    assert uuid.UUID(item["id"]["S"]).version == 5
    assert item["contact"] == {"S": "+48 600 700 800"}
    assert "name" not in item


def test_a_form_sent_twice_is_stored_once_and_both_go_to_thanks(
    post: Call, table_items: ItemsOf, capsys: pytest.CaptureFixture[str]
) -> None:
    responses = [post(data=FORM, headers={"Accept": "text/html"}) for _ in range(2)]

    assert [(r.status_code, r.headers["location"]) for r in responses] == [
        (303, "/pl/ask/thanks/")
    ] * 2
    assert len(table_items("request#")) == 1
    [counter] = table_items("rate#")
    assert counter["day_count"] == {"N": "1"}
    outcomes = [json.loads(line)["outcome"] for line in capsys.readouterr().out.splitlines()]
    assert outcomes == ["created", "replayed"]


def test_a_form_with_other_text_or_from_elsewhere_is_another_request(
    post: Call, table_items: ItemsOf
) -> None:
    other_text = {**FORM, "message": "Mój sklep potrzebuje też pomocy z podatkami."}
    sent = [post(data=FORM), post(data=other_text), post(data=FORM, client_ip="198.51.100.4")]

    assert [r.status_code for r in sent] == [303, 303, 303]
    assert len(table_items("request#")) == 3


def test_the_same_form_on_the_next_utc_day_is_another_request(
    help_config: Config, dynamodb_client: DynamoDBClient, call_app: Call, table_items: ItemsOf
) -> None:
    midnight = 1_764_115_200.0  # 2025-11-26T00:00:00Z
    moments = iter([midnight - 1, midnight - 0.5, midnight])
    app = create_app(help_config, dynamodb_client, clock=lambda: next(moments))
    sent = [call_app(app, "POST", data=FORM) for _ in range(3)]

    assert [r.status_code for r in sent] == [303, 303, 303]
    stored = sorted(item["created_at"]["S"] for item in table_items("request#"))
    assert stored == ["2025-11-25T23:59:59.000Z", "2025-11-26T00:00:00.000Z"]


def test_a_form_with_an_id_is_idempotent_too(post: Call, table_items: ItemsOf) -> None:
    form = {**FORM, "id": str(uuid.uuid4())}
    responses = [post(data=form) for _ in range(2)]

    assert [r.status_code for r in responses] == [303, 303]
    assert len(table_items("request#")) == 1


def test_a_form_that_asks_for_json_gets_json(post: Call) -> None:
    response = post(data={**FORM, "id": str(uuid.uuid4())}, headers={"Accept": "application/json"})
    assert response.status_code == 201
    assert response.json()["status"] == "received"


def test_an_allowed_origin_is_sent_back_to_its_own_thanks_page(post: Call) -> None:
    response = post(data=FORM, headers={"Origin": "https://ask.example.org"})

    assert response.status_code == 303
    assert response.headers["location"] == "https://ask.example.org/pl/ask/thanks/"
    assert response.headers["access-control-allow-origin"] == "https://ask.example.org"


@pytest.mark.parametrize("as_json", [True, False])
def test_a_honeypot_hit_looks_like_success_and_stores_nothing(
    post: Call,
    valid_request: dict[str, Any],
    table_items: ItemsOf,
    capsys: pytest.CaptureFixture[str],
    as_json: bool,
) -> None:
    if as_json:
        response = post(json={**valid_request, "website": "https://spam.example"})
        assert (response.status_code, response.json()["id"]) == (201, valid_request["id"])
    else:
        response = post(data={**FORM, "website": "cheap pills"})
        assert (response.status_code, response.headers["location"]) == (303, "/pl/ask/thanks/")
    assert table_items("") == []
    assert json.loads(capsys.readouterr().out)["outcome"] == "honeypot"


def test_a_form_sent_faster_than_a_person_can_is_a_time_trap(
    post: Call,
    valid_request: dict[str, Any],
    table_items: ItemsOf,
    capsys: pytest.CaptureFixture[str],
) -> None:
    opened_a_second_ago = int(time.time() * 1000) - 1000
    response = post(json={**valid_request, "started_at": opened_a_second_ago})

    assert response.status_code == 201
    assert table_items("") == []
    assert json.loads(capsys.readouterr().out)["outcome"] == "time_trap"


def test_a_form_filled_in_at_human_speed_or_by_a_clock_ahead_of_ours_is_stored(
    post: Call, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    now_ms = int(time.time() * 1000)
    assert post(json={**valid_request, "started_at": now_ms - 4000}).status_code == 201
    ahead = {**valid_request, "id": str(uuid.uuid4()), "started_at": str(now_ms + 60_000)}
    assert post(json=ahead).status_code == 201
    assert len(table_items("request#")) == 2


def test_a_clock_ten_minutes_ahead_is_measured_against_itself(
    post: Call,
    valid_request: dict[str, Any],
    table_items: ItemsOf,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ahead_ms = int(time.time() * 1000) + 600_000
    human = {**valid_request, "started_at": ahead_ms, "sent_at": ahead_ms + 30_000}
    robot = {**human, "id": str(uuid.uuid4()), "sent_at": ahead_ms + 1000}

    assert post(json=human).status_code == 201
    assert post(json=robot).status_code == 201
    [item] = table_items("request#")
    assert item["id"] == {"S": valid_request["id"]}
    assert "sent_at" not in item
    outcomes = [json.loads(line)["outcome"] for line in capsys.readouterr().out.splitlines()]
    assert outcomes == ["created", "time_trap"]


def test_a_retry_sent_later_is_the_same_request(
    post: Call, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    now_ms = int(time.time() * 1000)
    first = {**valid_request, "started_at": now_ms - 60_000, "sent_at": now_ms - 20_000}
    retry = {**first, "sent_at": now_ms}

    assert [post(json=body).status_code for body in (first, retry)] == [201, 200]
    assert len(table_items("request#")) == 1


def test_each_request_logs_one_json_line_without_personal_data(
    post: Call, valid_request: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    response = post(json=valid_request, client_ip="198.51.100.99")

    [line] = capsys.readouterr().out.splitlines()
    record = json.loads(line)
    assert record["outcome"] == "created"
    assert record["status"] == 201
    assert record["request_id"] == response.headers["x-request-id"]
    assert record["latency_ms"] >= 0
    assert record["via"] == "json"
    for private in ("alicja", "Alicja", "parental", "198.51.100.99", valid_request["id"]):
        assert private not in line


def test_responses_are_never_cached_or_sniffed(post: Call, valid_request: dict[str, Any]) -> None:
    response = post(json=valid_request)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_app_answers_mounted_under_api_too(
    call_app: Call, help_app: HelpRequestsApp, valid_request: dict[str, Any]
) -> None:
    site = Starlette(routes=[Mount("/api", app=help_app)])
    assert call_app(site, "POST", "/api/help-requests", json=valid_request).status_code == 201


@pytest.mark.usefixtures("ttl_paused")
def test_a_request_past_its_retention_does_not_block_its_id(
    post: Call,
    valid_request: dict[str, Any],
    table_items: ItemsOf,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    lingering = {
        "pk": {"S": f"request#{valid_request['id']}"},
        "message": {"S": "Deleted by TTL any hour now."},
        "payload_hash": {"S": "stale"},
        "expires_at": {"N": str(int(time.time()) - 1)},
    }
    dynamodb_client.put_item(TableName=dynamodb_table, Item=lingering)

    assert post(json=valid_request).status_code == 201
    [item] = table_items("request#")
    assert item["message"]["S"] == valid_request["message"]
