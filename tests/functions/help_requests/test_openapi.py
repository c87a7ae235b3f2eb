"""The OpenAPI 3.1 document is valid and says what the app does, status by status and field by
field: the app validates by the contract read from it, and this checks it does so."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import validate

from functions.help_requests import responses, validation
from functions.help_requests.app import HelpRequestsApp
from functions.help_requests.contract import CONTRACT_PATH, FormContract, load_contract
from functions.help_requests.validation import FieldError, HelpRequest

Call = Callable[..., httpx.Response]
BASE: dict[str, Any] = {
    "id": "3b0f8a52-9d1e-4c77-8f35-6a2b1c0d9e84",
    "contact": "someone@example.org",
    "topic": "other",
    "message": "A long enough message.",
    "language": "en",
    "consent": True,
}
# A change to BASE for each code a failing field can get.
FAILING: dict[str, dict[str, Any]] = {
    "required": {"contact": ""},
    "too_short": {"message": "short"},
    "too_long": {"name": "n" * 10_000},
    "invalid": {"contact": "nobody"},
    "invalid_choice": {"topic": "lottery"},
    "must_accept": {"consent": False},
    "unknown_field": {"extra": 1},
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def contract() -> FormContract:
    return load_contract()


def checked(contract: FormContract, change: dict[str, Any]) -> HelpRequest | list[FieldError]:
    """What validation makes of BASE with `change`, by the contract."""
    return validation.validate({**BASE, **change}, contract, default_id=None)


def text_of(field: str, length: int) -> str:
    """A valid value of `field` that is `length` characters long."""
    if field == "contact":
        return "a@" + "b" * (length - 6) + ".org"
    return "x" * length


def schema_validator(document: dict[str, Any], name: str) -> OAS31Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return OAS31Validator(schema, format_checker=oas31_format_checker)


def operation(document: dict[str, Any], method: str = "post") -> dict[str, Any]:
    found: dict[str, Any] = document["paths"]["/api/help-requests"][method]
    return found


def resolved(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = document["components"][kind][name]
    return node


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_the_request_schemas_have_the_fields_validation_reads(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("HelpRequest", "HelpRequestForm"):
        assert set(schemas[name]["properties"]) == set(validation.FIELDS)
    consent = re.compile(schemas["Consent"]["pattern"])
    assert all(consent.search(value) for value in validation.ACCEPTED)
    assert all(consent.search(value.upper()) for value in validation.ACCEPTED)
    assert not consent.search("yes")


def test_the_plain_form_has_the_limits_the_contract_reads(
    document: dict[str, Any], contract: FormContract
) -> None:
    # The contract reads HelpRequest; the same rules validate the plain form's body.
    schemas = document["components"]["schemas"]
    properties = {
        field: schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema
        for field, schema in schemas["HelpRequestForm"]["properties"].items()
    }
    for limit, found in (("maxLength", contract.max_length), ("minLength", contract.min_length)):
        limited = {field: schema[limit] for field, schema in properties.items() if limit in schema}
        assert {field: value for field, value in limited.items() if field in found} == found


@pytest.mark.parametrize("field", ["name", "contact", "message"])
def test_validation_takes_a_field_up_to_the_contracts_limits(
    contract: FormContract, field: str
) -> None:
    longest = contract.max_length[field]
    assert isinstance(checked(contract, {field: text_of(field, longest)}), HelpRequest)
    too_long = checked(contract, {field: text_of(field, longest + 1)})
    assert too_long == [FieldError(field, "too_long")]
    shortest = contract.min_length.get(field, 0)
    # An empty field is `required` (or absent), not too short.
    if shortest > 1:
        assert isinstance(checked(contract, {field: text_of(field, shortest)}), HelpRequest)
        too_short = checked(contract, {field: text_of(field, shortest - 1)})
        assert too_short == [FieldError(field, "too_short")]


def test_every_text_field_the_contract_limits_is_checked(contract: FormContract) -> None:
    assert set(contract.max_length) == {"name", "contact", "message"}
    assert contract.min_length["message"] > 1


def test_validation_takes_exactly_the_contracts_topics_and_languages(
    contract: FormContract,
) -> None:
    for topic in contract.topics:
        assert isinstance(checked(contract, {"topic": topic}), HelpRequest), topic
    for language in contract.languages:
        assert isinstance(checked(contract, {"language": language}), HelpRequest), language
    assert checked(contract, {"topic": "lottery"}) == [FieldError("topic", "invalid_choice")]
    assert checked(contract, {"language": "fr"}) == [FieldError("language", "invalid_choice")]


def test_the_field_error_codes_are_those_validation_gives(contract: FormContract) -> None:
    given: dict[str, list[str]] = {}
    for code, change in FAILING.items():
        errors = checked(contract, change)
        assert isinstance(errors, list), code
        given[code] = [error.code for error in errors]
    assert given == {code: [code] for code in FAILING}
    assert set(contract.error_codes) == set(FAILING)


def test_the_error_codes_match_the_app(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    app_codes = [code for _, code in responses.ERRORS.values()]
    assert schemas["Error"]["properties"]["error"]["enum"] == app_codes


def test_every_error_the_post_can_raise_is_documented(document: dict[str, Any]) -> None:
    documented = {int(status) for status in operation(document)["responses"]}
    routing = {404, 405}
    raised = {status for status, _ in responses.ERRORS.values()} - routing
    assert documented == raised | {200, 201, 303, 422}


def documented_response(document: dict[str, Any], status: int, method: str = "post") -> Any:
    return resolved(document, operation(document, method)["responses"][str(status)])


def check(document: dict[str, Any], response: httpx.Response, method: str = "post") -> None:
    """The response's status, headers and body are the ones the document gives."""
    spec = documented_response(document, response.status_code, method)
    for header, header_spec in spec.get("headers", {}).items():
        header_spec = resolved(document, header_spec)
        assert header in response.headers or not header_spec.get("required")
    content = spec.get("content", {}).get("application/json")
    if content is None:
        assert not response.content
        return
    assert response.headers["content-type"] == "application/json"
    name = content["schema"]["$ref"].rsplit("/", 1)[-1]
    schema_validator(document, name).validate(response.json())


@pytest.mark.dynamodb
def test_live_responses_match_the_document(
    document: dict[str, Any],
    post: Call,
    call_app: Call,
    help_app: HelpRequestsApp,
    valid_request: dict[str, Any],
) -> None:
    schema_validator(document, "HelpRequest").validate(valid_request)
    form = {"contact": "+48 600 700 800", "topic": "other", "message": "x" * 20, "language": "de"}
    schema_validator(document, "HelpRequestForm").validate({**form, "consent": "on"})
    json_only = {"Content-Type": "application/json"}
    exchanges = {
        201: post(json=valid_request),
        200: post(json=valid_request),
        409: post(json={**valid_request, "message": "A different message, please."}),
        303: post(data={**form, "consent": "on"}),
        422: post(json={"message": "short"}),
        400: post(content=b"{", headers=json_only),
        403: post(json=valid_request, headers={"Origin": "https://elsewhere.example"}),
        413: post(content=b" " * 17_000, headers=json_only),
        415: post(content=b"x", headers={"Content-Type": "text/plain"}),
    }
    for status, response in exchanges.items():
        assert response.status_code == status
        check(document, response)
    preflight = {"Origin": "https://ask.example.org", "Access-Control-Request-Method": "POST"}
    check(document, call_app(help_app, "OPTIONS", headers=preflight), "options")


@pytest.mark.dynamodb
def test_rate_limited_responses_match_the_document(
    document: dict[str, Any], post: Call, valid_request: dict[str, Any]
) -> None:
    statuses = [post(json={**valid_request, "id": str(uuid.uuid4())}) for _ in range(6)]
    assert statuses[-1].status_code == 429
    check(document, statuses[-1])


def test_what_the_document_refuses_the_app_refuses_too(
    document: dict[str, Any], contract: FormContract
) -> None:
    cases: list[dict[str, Any]] = [
        {"message": "short"},
        {"topic": "lottery"},
        {"consent": False},
        {"id": "nope"},
        {"extra": 1},
        {"sent_at": -1},
        {"sent_at": "soon"},
    ]
    base = {
        "id": str(uuid.uuid4()),
        "contact": "someone@example.org",
        "topic": "other",
        "message": "A long enough message.",
        "language": "en",
        "consent": True,
    }
    checker = schema_validator(document, "HelpRequest")
    assert checker.is_valid(base)
    assert not isinstance(validation.validate(base, contract, default_id=None), list)
    timed = {**base, "started_at": 1_764_093_312_345, "sent_at": 1_764_093_342_345}
    assert checker.is_valid(timed)
    assert not isinstance(validation.validate(timed, contract, default_id=None), list)
    for change in cases:
        body = json.loads(json.dumps({**base, **change}))
        assert not checker.is_valid(body), change
        assert isinstance(validation.validate(body, contract, default_id=None), list), change
