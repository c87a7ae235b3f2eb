"""`openapi.yaml` is valid and says what the moderators' API does: every route, every status,
every body, and the limits and codes the validation uses."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import validate

from functions.moderation import helpers, responses, validation
from functions.moderation.app import ROUTES
from functions.moderation.records import SETTABLE_STATUSES, STATUSES
from tests.functions.moderation.conftest import MODERATOR, Call, Offer, Seed

CONTRACT = Path(__file__).resolve().parents[3] / "functions" / "moderation" / "openapi.yaml"
Document = dict[str, Any]


@pytest.fixture(scope="module")
def document() -> Document:
    loaded: Document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    return loaded


def resolved(document: Document, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = document["components"][kind][name]
    return node


def operation(document: Document, route: str) -> Document:
    method, path = route.split(" ")
    found: Document = document["paths"][path][method.lower()]
    return found


def check(document: Document, route: str, response: httpx.Response) -> None:
    """The response's status, headers and body are the ones the document gives for the route."""
    documented = operation(document, route)["responses"]
    assert str(response.status_code) in documented, (route, response.status_code)
    spec = resolved(document, documented[str(response.status_code)])
    for header, header_spec in spec.get("headers", {}).items():
        assert header.lower() in response.headers or not header_spec.get("required")
    media_type = response.headers["content-type"].split(";")[0]
    content = spec["content"][media_type]
    schema = {**content["schema"], "components": document["components"]}
    body = response.json() if media_type == "application/json" else response.text
    OAS31Validator(schema, format_checker=oas31_format_checker).validate(body)


def test_the_document_is_valid_openapi_3_1(document: Document) -> None:
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["servers"][0]["url"] == "/api/admin"


def test_the_routes_are_the_documents(document: Document) -> None:
    documented = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert set(ROUTES) == documented


def test_the_statuses_and_codes_are_the_documents(document: Document) -> None:
    schemas = document["components"]["schemas"]
    assert tuple(schemas["Status"]["enum"]) == SETTABLE_STATUSES
    assert tuple(schemas["ListedStatus"]["enum"]) == STATUSES
    codes = {code for _, code in responses.ERRORS.values()} - {"invalid", "version_conflict"}
    assert set(schemas["Error"]["properties"]["error"]["enum"]) == codes
    conflict = document["components"]["responses"]["Conflict"]["content"]["application/json"]
    assert conflict["schema"]["properties"]["error"] == {"const": "version_conflict"}
    refused = schemas["IntroductionRefused"]["properties"]["error"]["enum"]
    assert tuple(refused) == helpers.REFUSALS
    invalid = document["components"]["responses"]["InvalidStatusChange"]["content"]
    codes = invalid["application/json"]["schema"]["properties"]["errors"]["items"]
    assert "not_settable" in codes["properties"]["code"]["enum"]
    note = schemas["IntroductionBody"]["properties"]["note"]["maxLength"]
    assert note == validation.INTRODUCTION_NOTE_LENGTH


def test_the_limits_are_the_documents(document: Document) -> None:
    schemas = document["components"]["schemas"]
    parameters = {
        p["name"]: p["schema"] for p in document["paths"]["/requests"]["get"]["parameters"]
    }
    assert {
        "topic": parameters["topic"]["maxLength"],
        "language": parameters["language"]["maxLength"],
        "cursor": parameters["cursor"]["maxLength"],
        "note": schemas["StatusChange"]["properties"]["note"]["maxLength"],
        "contact": schemas["Contact"]["properties"]["contact"]["maxLength"],
    } == validation.MAX_LENGTH
    limit = parameters["limit"]
    assert (limit["minimum"], limit["maximum"]) == validation.LIMITS
    assert limit["default"] == validation.DEFAULT_LIMIT
    export = {p["name"]: p["schema"] for p in document["paths"]["/export"]["get"]["parameters"]}
    assert tuple(export["format"]["enum"]) == validation.FORMATS


def test_every_route_documents_the_errors_it_can_give(document: Document) -> None:
    for route in ROUTES:
        documented = set(operation(document, route)["responses"])
        assert {"200", "201"} & documented, route
        assert {"401", "403", "503"} <= documented, route
        if route.startswith("POST"):
            assert {"400", "413", "415", "422"} <= documented, route
        if "{id}" in route:
            assert "404" in documented, route


@pytest.mark.dynamodb
def test_live_responses_match_the_document(
    document: Document, admin: Call, seed: Seed, ttl_paused: None
) -> None:
    first, second = seed(), seed(contact="+48 600 700 800", name=None)
    unknown = str(uuid.uuid4())
    outsider = {**MODERATOR, "cognito:groups": "[editors]"}
    json_only = {"Content-Type": "application/json"}
    exchanges: list[tuple[str, httpx.Response]] = [
        ("GET /requests", admin("GET", "/api/admin/requests", params={"limit": "1"})),
        ("GET /requests", admin("GET", "/api/admin/requests", params={"status": "spam"})),
        ("GET /requests", admin("GET", "/api/admin/requests", params={"limit": "0"})),
        ("GET /requests", admin("GET", "/api/admin/requests", claims=None)),
        ("GET /requests", admin("GET", "/api/admin/requests", claims=outsider)),
        ("GET /summary", admin("GET", "/api/admin/summary")),
        ("GET /requests/{id}", admin("GET", f"/api/admin/requests/{first}")),
        ("GET /requests/{id}", admin("GET", f"/api/admin/requests/{unknown}")),
        (
            "POST /requests/{id}/assign",
            admin("POST", f"/api/admin/requests/{first}/assign", json={"version": 1}),
        ),
        (
            "POST /requests/{id}/assign",
            admin("POST", f"/api/admin/requests/{first}/assign", json={"version": 1}),
        ),
        (
            "POST /requests/{id}/assign",
            admin("POST", f"/api/admin/requests/{first}/assign", content=b"{", headers=json_only),
        ),
        (
            "POST /requests/{id}/assign",
            admin(
                "POST",
                f"/api/admin/requests/{first}/assign",
                content=b"x",
                headers={"Content-Type": "text/plain"},
            ),
        ),
        (
            "POST /requests/{id}/assign",
            admin(
                "POST",
                f"/api/admin/requests/{first}/assign",
                content=b" " * 17_000,
                headers=json_only,
            ),
        ),
        (
            "POST /requests/{id}/status",
            admin(
                "POST",
                f"/api/admin/requests/{first}/status",
                json={"status": "answered", "note": "Called.", "version": 2},
            ),
        ),
        (
            "POST /requests/{id}/status",
            admin(
                "POST", f"/api/admin/requests/{first}/status", json={"status": "done", "version": 3}
            ),
        ),
        ("GET /export", admin("GET", "/api/admin/export", params={"format": "csv"})),
        (
            "GET /export",
            admin("GET", "/api/admin/export", params={"format": "json", "status": "answered"}),
        ),
        ("GET /export", admin("GET", "/api/admin/export")),
        (
            "POST /contacts/access",
            admin("POST", "/api/admin/contacts/access", json={"contact": "ALICJA@example.org"}),
        ),
        ("POST /contacts/access", admin("POST", "/api/admin/contacts/access", json={})),
        (
            "POST /requests/{id}/erase",
            admin("POST", f"/api/admin/requests/{second}/erase", json={"confirm": True}),
        ),
        (
            "POST /requests/{id}/erase",
            admin("POST", f"/api/admin/requests/{second}/erase", json={"confirm": True}),
        ),
        (
            "POST /contacts/erase",
            admin(
                "POST",
                "/api/admin/contacts/erase",
                json={"contact": "alicja@example.org", "confirm": True},
            ),
        ),
        (
            "POST /contacts/erase",
            admin("POST", "/api/admin/contacts/erase", json={"contact": "alicja@example.org"}),
        ),
    ]
    statuses = [response.status_code for _, response in exchanges]
    assert statuses == [
        200,
        200,
        422,
        401,
        403,
        200,
        200,
        404,
        200,
        409,
        400,
        415,
        413,
        200,
        422,
        200,
        200,
        422,
        200,
        422,
        200,
        404,
        200,
        422,
    ]
    for route, response in exchanges:
        check(document, route, response)
    assert exchanges[0][1].json()["cursor"] is not None
    assert exchanges[16][1].json()["requests"][0]["history"][1]["note"] == "Called."


@pytest.mark.dynamodb
def test_helpers_routes_answer_as_documented(
    document: Document, admin: Call, seed: Seed, offer: Offer, ttl_paused: None
) -> None:
    request_id, other = seed(), seed(language="de")
    helper = offer()
    base = f"/api/admin/requests/{request_id}"
    exchanges: list[tuple[str, httpx.Response]] = [
        ("GET /requests/{id}/suggestions", admin("GET", f"{base}/suggestions")),
        (
            "GET /requests/{id}/suggestions",
            admin("GET", f"/api/admin/requests/{uuid.uuid4()}/suggestions"),
        ),
        (
            "POST /requests/{id}/introductions",
            admin(
                "POST",
                f"/api/admin/requests/{other}/introductions",
                json={"helper": helper, "version": 1},
            ),
        ),
        (
            "POST /requests/{id}/introductions",
            admin("POST", f"{base}/introductions", json={"helper": helper}),
        ),
        (
            "POST /requests/{id}/introductions",
            admin(
                "POST",
                f"{base}/introductions",
                json={"helper": helper, "version": 1, "note": "Hello"},
            ),
        ),
        (
            "POST /requests/{id}/introductions",
            admin("POST", f"{base}/introductions", json={"helper": helper, "version": 1}),
        ),
        ("GET /requests/{id}/introductions", admin("GET", f"{base}/introductions")),
        ("GET /helpers/{id}", admin("GET", f"/api/admin/helpers/{helper}")),
        ("GET /helpers/{id}", admin("GET", f"/api/admin/helpers/{uuid.uuid4()}")),
        ("GET /figures", admin("GET", "/api/admin/figures")),
        (
            "POST /contacts/access",
            admin("POST", "/api/admin/contacts/access", json={"contact": "jan@example.org"}),
        ),
        (
            "POST /contacts/erase",
            admin(
                "POST",
                "/api/admin/contacts/erase",
                json={"contact": "jan@example.org", "confirm": True},
            ),
        ),
    ]

    statuses = [response.status_code for _, response in exchanges]
    assert statuses == [200, 404, 409, 422, 201, 409, 200, 200, 404, 200, 200, 200]
    for route, response in exchanges:
        check(document, route, response)


@pytest.mark.dynamodb
def test_a_request_with_an_introduction_and_an_answer_is_as_documented(
    document: Document,
    admin: Call,
    seed: Seed,
    offer: Offer,
    dynamodb_client: Any,
    dynamodb_table: str,
) -> None:
    request_id = seed()
    path = f"/api/admin/requests/{request_id}"
    admin("POST", f"{path}/introductions", json={"helper": offer(), "version": 1})
    dynamodb_client.update_item(
        TableName=dynamodb_table,
        Key={"pk": {"S": f"request#{request_id}"}},
        UpdateExpression="SET #status = :introduced, introduced_at = :at, help_answer = :yes,"
        " help_answered_at = :at",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":introduced": {"S": "introduced"},
            ":at": {"S": "2026-01-02T03:04:05.000Z"},
            ":yes": {"S": "yes"},
        },
    )

    response = admin("GET", path)

    assert (response.json()["status"], response.json()["help_answer"]) == ("introduced", "yes")
    check(document, "GET /requests/{id}", response)
