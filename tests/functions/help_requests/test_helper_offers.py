"""`POST /api/helper-offers`: an offer of help stored once, unconfirmed, with the ask form's
guarantees (per-field codes, replays, conflicts, limits, traps, redirects, 503)."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
import pytest

from functions.help_requests import Config, create_app
from functions.help_requests.app import HelpRequestsApp
from functions.shared.contact import contact_hash
from functions.shared.table import CONTACT_INDEX, STATUS_INDEX
from sitegen.serve.dynamodb_local import free_port, local_client
from tests.conftest import CONTACT_HASH_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]
ItemsOf = Callable[[str], list[dict[str, Any]]]
PATH = "/api/helper-offers"
WEEK = 7 * 24 * 3600
# Tomorrow 10:15 UTC: in the future, so DynamoDB Local's TTL sweep never takes what is stored.
TOMORROW = datetime.now(UTC).date() + timedelta(days=1)
MORNING = datetime(TOMORROW.year, TOMORROW.month, TOMORROW.day, 10, 15, tzinfo=UTC).timestamp()
FORM = [
    ("name", "Jana Nowak"),
    ("email", "Jana.Nowak@Example.org"),
    ("topics", "business"),
    ("topics", "mentoring"),
    ("languages", "pl"),
    ("languages", "de"),
    ("ways", "conversation"),
    ("capacity", "3"),
    ("region", "Wrocław"),
    ("language", "pl"),
    ("consent", "on"),
    ("website", ""),
]
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}

pytestmark = pytest.mark.dynamodb


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING)


@pytest.fixture
def offer_app(
    help_config: Config, dynamodb_client: DynamoDBClient, clock: Clock
) -> HelpRequestsApp:
    return create_app(help_config, dynamodb_client, clock=clock)


@pytest.fixture
def offer(offer_app: HelpRequestsApp, call_app: Call) -> Call:
    """POST to the offers' endpoint: `offer(json=...)`, `offer(content=..., headers=...)`."""
    return lambda **kwargs: call_app(offer_app, "POST", PATH, **kwargs)


@pytest.fixture
def valid_offer() -> dict[str, Any]:
    """A JSON offer the API accepts, with a fresh id."""
    return {
        "id": str(uuid.uuid4()),
        "name": "Amelia Hughes",
        "email": "amelia@example.co.uk",
        "topics": ["returning-to-work", "job-search"],
        "languages": ["en"],
        "ways": ["mentoring", "job-leads"],
        "capacity": 2,
        "language": "en",
        "consent": True,
        "website": "",
        "started_at": 1_500_000_000_000,
    }


def form_post(
    offer: Call, fields: list[tuple[str, str]], headers: dict[str, str] | None = None
) -> httpx.Response:
    return offer(content=urlencode(fields).encode(), headers={**FORM_HEADERS, **(headers or {})})


def test_an_offer_is_stored_unconfirmed_for_a_week_with_what_the_mail_needs(
    offer: Call, valid_offer: dict[str, Any], table_items: ItemsOf
) -> None:
    response = offer(json=valid_offer)

    assert response.status_code == 201
    assert response.json() == {"id": valid_offer["id"], "status": "received"}
    [item] = table_items("offer#")
    assert item == {
        "pk": {"S": f"offer#{valid_offer['id']}"},
        "id": {"S": valid_offer["id"]},
        "name": {"S": "Amelia Hughes"},
        "email": {"S": "amelia@example.co.uk"},
        # In the contract's order, whatever order they came in.
        "topics": {"L": [{"S": "job-search"}, {"S": "returning-to-work"}]},
        "languages": {"L": [{"S": "en"}]},
        "ways": {"L": [{"S": "mentoring"}, {"S": "job-leads"}]},
        "capacity": {"N": "2"},
        "language": {"S": "en"},
        "status": {"S": "unconfirmed"},
        "created_at": item["created_at"],
        "consent_version": {"S": "2019-12-01"},
        "payload_hash": item["payload_hash"],
        "expires_at": {"N": str(int(MORNING) + WEEK)},
        "contact_hash": {"S": contact_hash("amelia@example.co.uk", CONTACT_HASH_KEY)},
        "version": {"N": "1"},
    }
    assert item["created_at"]["S"].startswith(TOMORROW.isoformat() + "T10:15:00")
    assert re.fullmatch(r"[0-9a-f]{64}", item["payload_hash"]["S"])
    assert table_items("request#") == []


def test_the_same_offer_again_is_200_and_stored_once(
    offer: Call, valid_offer: dict[str, Any], table_items: ItemsOf, clock: Clock
) -> None:
    assert offer(json=valid_offer).status_code == 201
    clock.now += 30
    retry = {**valid_offer, "topics": ["job-search", " returning-to-work "], "sent_at": 1}

    response = offer(json=retry)

    assert response.status_code == 200
    assert response.json() == {"id": valid_offer["id"], "status": "received"}
    [item] = table_items("offer#")
    assert item["expires_at"] == {"N": str(int(MORNING) + WEEK)}
    [counter] = table_items("rate#")
    assert counter["day_count"] == {"N": "1"}


def test_the_same_id_with_another_offer_is_409_and_changes_nothing(
    offer: Call, valid_offer: dict[str, Any], table_items: ItemsOf
) -> None:
    assert offer(json=valid_offer).status_code == 201
    [before] = table_items("offer#")

    response = offer(json={**valid_offer, "capacity": 5})

    assert response.status_code == 409
    assert response.json() == {"error": "id_conflict"}
    assert table_items("offer#") == [before]


def test_an_id_of_a_help_request_is_another_item(
    offer: Call, post: Call, valid_offer: dict[str, Any], valid_request: dict[str, Any]
) -> None:
    assert post(json={**valid_request, "id": valid_offer["id"]}).status_code == 201
    assert offer(json=valid_offer).status_code == 201


def test_an_expired_unconfirmed_offer_does_not_hold_its_id(
    offer: Call, valid_offer: dict[str, Any], table_items: ItemsOf, clock: Clock, ttl_paused: None
) -> None:
    assert offer(json=valid_offer).status_code == 201
    clock.now += WEEK + 60

    response = offer(json={**valid_offer, "capacity": 5})

    assert response.status_code == 201
    [item] = table_items("offer#")
    assert (item["capacity"], item["expires_at"]) == ({"N": "5"}, {"N": str(int(clock.now) + WEEK)})


def test_the_plain_form_is_stored_and_sent_to_the_thanks_page(
    offer: Call, table_items: ItemsOf
) -> None:
    response = form_post(offer, FORM)

    assert response.status_code == 303
    assert response.headers["location"] == "/pl/offer-help/thanks/"
    [item] = table_items("offer#")
    assert item["topics"] == {"L": [{"S": "mentoring"}, {"S": "business"}]}
    assert item["languages"] == {"L": [{"S": "de"}, {"S": "pl"}]}
    assert item["ways"] == {"L": [{"S": "conversation"}]}
    assert (item["capacity"], item["region"]) == ({"N": "3"}, {"S": "Wrocław"})
    assert item["contact_hash"]["S"] == contact_hash("jana.nowak@example.org", CONTACT_HASH_KEY)
    assert uuid.UUID(item["id"]["S"]).version == 5


def test_the_plain_form_sent_twice_the_same_day_is_stored_once(
    offer: Call, table_items: ItemsOf, clock: Clock
) -> None:
    assert form_post(offer, FORM).status_code == 303
    clock.now += 600
    assert form_post(offer, FORM).headers["location"] == "/pl/offer-help/thanks/"

    assert len(table_items("offer#")) == 1


def test_one_ticked_box_is_a_list_of_one(offer: Call, table_items: ItemsOf) -> None:
    fields = [
        (k, v) for k, v in FORM if (k, v) not in {("topics", "business"), ("languages", "de")}
    ]

    assert form_post(offer, fields).status_code == 303
    [item] = table_items("offer#")
    assert (item["topics"], item["languages"]) == (
        {"L": [{"S": "mentoring"}]},
        {"L": [{"S": "pl"}]},
    )


def test_an_invalid_plain_form_goes_to_its_error_page(offer: Call, table_items: ItemsOf) -> None:
    fields = [(k, "0" if k == "capacity" else v) for k, v in FORM if k != "topics"]

    response = form_post(offer, [*fields, ("origin_page", "x")])

    assert response.status_code == 303
    assert response.headers["location"] == (
        "/pl/offer-help/error/?errors=origin_page.unknown_field,topics.required,capacity.invalid"
    )
    assert table_items("") == []


def test_a_refused_plain_form_goes_to_its_error_page_item(offer: Call) -> None:
    fields = [*FORM, ("name", "Jana again")]

    response = form_post(offer, fields, headers={"Origin": "https://ask.example.org"})

    # The body could not be read, so neither could its language.
    assert response.status_code == 303
    assert response.headers["location"] == (
        "https://ask.example.org/en/offer-help/error/?errors=request.invalid#error-request-invalid"
    )


FAILING: dict[str, tuple[dict[str, Any], list[tuple[str, str]]]] = {
    "nothing but the id": (
        {
            "name": None,
            "email": None,
            "topics": None,
            "languages": None,
            "ways": None,
            "capacity": None,
            "language": None,
            "consent": None,
        },
        [
            ("name", "required"),
            ("email", "required"),
            ("topics", "required"),
            ("languages", "required"),
            ("ways", "required"),
            ("capacity", "required"),
            ("language", "required"),
            ("consent", "must_accept"),
        ],
    ),
    "no id": ({"id": None}, [("id", "required")]),
    "the nil id": ({"id": "00000000-0000-0000-0000-000000000000"}, [("id", "invalid")]),
    "a name too long": ({"name": "n" * 101}, [("name", "too_long")]),
    "a name of blanks": ({"name": " \u202e\t\x00 "}, [("name", "required")]),
    "a phone number for an e-mail": ({"email": "+48 600 700 800"}, [("email", "invalid")]),
    "an e-mail with a header in it": (
        {"email": "a@example.org\r\nBcc: b@example.org"},
        [("email", "invalid")],
    ),
    "an e-mail too long": ({"email": "a@" + "b" * 200 + ".org"}, [("email", "too_long")]),
    "empty lists": (
        {"topics": [], "languages": [], "ways": []},
        [("topics", "required"), ("languages", "required"), ("ways", "required")],
    ),
    "a word for a list": ({"topics": "mentoring"}, [("topics", "invalid")]),
    "a topic twice": ({"topics": ["mentoring", " mentoring"]}, [("topics", "invalid")]),
    "unknown choices": (
        {"topics": ["lottery"], "languages": ["fr"], "ways": ["money", 5]},
        [("topics", "invalid_choice"), ("languages", "invalid_choice"), ("ways", "invalid_choice")],
    ),
    "no people a month": ({"capacity": 0}, [("capacity", "invalid")]),
    "too many people a month": ({"capacity": 21}, [("capacity", "invalid")]),
    "half a person": ({"capacity": 2.5}, [("capacity", "invalid")]),
    "true people": ({"capacity": True}, [("capacity", "invalid")]),
    "capacity with a leading zero": ({"capacity": "07"}, [("capacity", "invalid")]),
    "a region too long": ({"region": "r" * 101}, [("region", "too_long")]),
    "a region that is a number": ({"region": 7}, [("region", "invalid")]),
    "a page language the site lacks": ({"language": "fr"}, [("language", "invalid_choice")]),
    "no consent": ({"consent": False}, [("consent", "must_accept")]),
    "a help request's fields": (
        {"contact": "x@example.org", "message": "Hello there, friends"},
        [("contact", "unknown_field"), ("message", "unknown_field")],
    ),
}


@pytest.mark.parametrize("case", list(FAILING))
def test_each_failing_field_has_its_code(
    offer: Call, valid_offer: dict[str, Any], table_items: ItemsOf, case: str
) -> None:
    change, errors = FAILING[case]

    response = offer(json={**valid_offer, **change})

    assert response.status_code == 422
    assert response.json() == {"errors": [{"field": f, "code": c} for f, c in errors]}
    assert table_items("") == []


@pytest.mark.parametrize(
    ("change", "stored"),
    [
        ({"capacity": "20"}, ("capacity", {"N": "20"})),
        ({"capacity": 1.0}, ("capacity", {"N": "1"})),
        ({"region": None}, ("name", {"S": "Amelia Hughes"})),
        ({"region": "  Leeds\u202e "}, ("region", {"S": "Leeds"})),
        ({"name": "Zoe\u0308"}, ("name", {"S": "Zoë"})),
        ({"consent": "TRUE"}, ("consent_version", {"S": "2019-12-01"})),
    ],
)
def test_values_are_taken_as_the_document_says(
    offer: Call,
    valid_offer: dict[str, Any],
    table_items: ItemsOf,
    change: dict[str, Any],
    stored: tuple[str, dict[str, str]],
) -> None:
    assert offer(json={**valid_offer, **change}).status_code == 201
    [item] = table_items("offer#")
    assert item[stored[0]] == stored[1]
    assert ("region" in item) == bool(change.get("region"))


@pytest.mark.parametrize("trap", ["honeypot", "time_trap"])
def test_robots_are_answered_as_if_stored_and_nothing_is_counted(
    offer: Call, table_items: ItemsOf, clock: Clock, trap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = [(k, "de" if k == "language" else v) for k, v in FORM if k != "website"]
    if trap == "honeypot":
        fields.append(("website", "https://spam.example"))
    else:
        fields.append(("started_at", str(int(clock.now * 1000) - 1000)))

    response = form_post(offer, fields)

    assert (response.status_code, response.headers["location"]) == (303, "/de/offer-help/thanks/")
    assert table_items("") == []
    assert json.loads(capsys.readouterr().out)["outcome"] == trap


def test_a_robot_sending_json_gets_its_own_id_back(
    offer: Call, valid_offer: dict[str, Any], table_items: ItemsOf
) -> None:
    response = offer(json={**valid_offer, "website": "x"})

    assert (response.status_code, response.json()) == (
        201,
        {"id": valid_offer["id"], "status": "received"},
    )
    assert table_items("") == []


@pytest.mark.parametrize(
    ("body", "headers", "status", "error"),
    [
        (b"{", {"Content-Type": "application/json"}, 400, "bad_request"),
        (b'{"name": "a", "name": "b"}', {"Content-Type": "application/json"}, 400, "bad_request"),
        (
            b"name=a&name=b",
            {"Content-Type": "application/x-www-form-urlencoded"},
            400,
            "bad_request",
        ),
        (b"topics=%FF", {"Content-Type": "application/x-www-form-urlencoded"}, 400, "bad_request"),
        (
            b"topics=" + b"&topics=".join([b"other"] * 60),
            {"Content-Type": "application/x-www-form-urlencoded"},
            400,
            "bad_request",
        ),
        (b" " * 17_000, {"Content-Type": "application/json"}, 413, "payload_too_large"),
        (b"x", {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
    ],
)
def test_bodies_the_api_cannot_read_are_refused_as_for_help_requests(
    offer: Call, table_items: ItemsOf, body: bytes, headers: dict[str, str], status: int, error: str
) -> None:
    response = offer(content=body, headers={**headers, "Accept": "application/json"})

    assert response.status_code == status
    assert response.json()["error"] == error
    assert table_items("") == []


def test_offers_and_help_requests_share_one_budget_per_sender(
    offer: Call,
    offer_app: HelpRequestsApp,
    call_app: Call,
    valid_offer: dict[str, Any],
    valid_request: dict[str, Any],
) -> None:
    def ask() -> httpx.Response:
        body = {**valid_request, "id": str(uuid.uuid4())}
        return call_app(offer_app, "POST", "/api/help-requests", json=body)

    assert [ask().status_code for _ in range(4)] == [201] * 4
    assert offer(json=valid_offer).status_code == 201

    refused = offer(json={**valid_offer, "id": str(uuid.uuid4())})

    assert (refused.status_code, ask().status_code) == (429, 429)
    assert refused.json() == {"error": "rate_limited"}
    # 10:15: the hour's five are used up until 11:00.
    assert refused.headers["retry-after"] == str(45 * 60)
    # A retry of what was stored passes the limit, as a help request's does.
    assert offer(json=valid_offer).status_code == 200


def test_a_second_offer_from_the_address_is_found_by_its_hash(
    offer: Call,
    post: Call,
    valid_offer: dict[str, Any],
    valid_request: dict[str, Any],
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    second = {**valid_offer, "id": str(uuid.uuid4()), "email": "AMELIA@example.co.uk"}
    assert offer(json=valid_offer).status_code == 201
    assert offer(json=second).status_code == 201
    assert post(json={**valid_request, "contact": "amelia@EXAMPLE.co.uk"}).status_code == 201

    found = dynamodb_client.query(
        TableName=dynamodb_table,
        IndexName=CONTACT_INDEX,
        KeyConditionExpression="contact_hash = :hash",
        FilterExpression="begins_with(pk, :offers)",
        ExpressionAttributeValues={
            ":hash": {"S": contact_hash("amelia@example.co.uk", CONTACT_HASH_KEY)},
            ":offers": {"S": "offer#"},
        },
    )["Items"]

    assert sorted(item["id"]["S"] for item in found) == sorted([valid_offer["id"], second["id"]])
    unconfirmed = dynamodb_client.query(
        TableName=dynamodb_table,
        IndexName=STATUS_INDEX,
        KeyConditionExpression="#status = :status",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":status": {"S": "unconfirmed"}},
    )["Items"]
    assert len(unconfirmed) == 2
    assert not [item for item in unconfirmed if item["pk"]["S"].startswith("request#")]


@pytest.fixture
def operations(dynamodb_endpoint: str) -> tuple[DynamoDBClient, list[str]]:
    """A client for DynamoDB Local, and the name of every operation it calls."""
    client = local_client(dynamodb_endpoint)
    called: list[str] = []
    client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: called.append(model.name)
    )
    return client, called


def test_an_offer_and_its_retries_only_write_as_the_role_allows(
    help_config: Config,
    operations: tuple[DynamoDBClient, list[str]],
    call_app: Call,
    valid_offer: dict[str, Any],
) -> None:
    client, called = operations
    app = create_app(help_config, client)
    statuses = [
        call_app(app, "POST", PATH, json=body).status_code
        for body in (valid_offer, valid_offer, {**valid_offer, "capacity": 9})
    ]

    assert statuses == [201, 200, 409]
    # No GetItem: the role reads request hashes only; a repeat is told by a condition check.
    assert set(called) == {"TransactWriteItems"}


def test_a_database_that_is_not_there_is_503(
    help_config: Config,
    call_app: Call,
    valid_offer: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = dataclasses.replace(help_config, dynamodb_endpoint=f"http://127.0.0.1:{free_port()}")
    app = create_app(config, local_client(f"http://127.0.0.1:{free_port()}"))

    response = call_app(app, "POST", PATH, json=valid_offer)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"error": "unavailable"}
    assert "Traceback" not in response.text
    record = json.loads(capsys.readouterr().out)
    assert (record["event"], record["outcome"], record["level"]) == (
        "helper_offer",
        "unavailable",
        "error",
    )


def test_a_missing_table_is_503_as_a_page_for_the_plain_form(
    help_config: Config, dynamodb_client: DynamoDBClient, call_app: Call
) -> None:
    app = create_app(dataclasses.replace(help_config, table_name="no-such-table"), dynamodb_client)

    response = call_app(app, "POST", PATH, content=urlencode(FORM).encode(), headers=FORM_HEADERS)

    assert response.status_code == 303
    assert response.headers["location"] == (
        "/pl/offer-help/error/?errors=request.unavailable#error-request-unavailable"
    )


def test_the_log_line_holds_no_name_address_or_ip(
    offer: Call, valid_offer: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    offer(json=valid_offer)
    offer(json={**valid_offer, "id": str(uuid.uuid4()), "email": "amelia@"})

    created, invalid = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (created["event"], created["outcome"], created["status"]) == (
        "helper_offer",
        "created",
        201,
    )
    assert (invalid["outcome"], invalid["errors"]) == ("invalid", ["email.invalid"])
    text = json.dumps([created, invalid])
    for secret in ("Amelia", "amelia", "example.co.uk", "203.0.113.7"):
        assert secret not in text


def test_a_preflight_and_other_methods_are_answered_as_for_help_requests(
    call_app: Call, offer_app: HelpRequestsApp
) -> None:
    preflight = {"Origin": "https://ask.example.org", "Access-Control-Request-Method": "POST"}

    allowed = call_app(offer_app, "OPTIONS", PATH, headers=preflight)
    foreign = call_app(
        offer_app, "OPTIONS", PATH, headers={**preflight, "Origin": "https://x.example"}
    )
    got = call_app(offer_app, "GET", PATH)

    assert (allowed.status_code, allowed.headers["access-control-allow-origin"]) == (
        204,
        "https://ask.example.org",
    )
    assert (foreign.status_code, foreign.json()) == (403, {"error": "forbidden_origin"})
    assert (got.status_code, got.headers["allow"]) == (405, "POST, OPTIONS")
    assert call_app(offer_app, "POST", "/api/helper-offers/x", json={}).status_code == 404
