"""The document's offer form says what the app does: the fields, limits, choices and answers of
`POST /api/helper-offers`, which the app validates by the contract read from it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS31Validator, oas31_format_checker

from functions.help_requests import offers, responses
from functions.help_requests.app import HelpRequestsApp
from functions.help_requests.contract import CONTRACT_PATH, FormContract, load_contract
from functions.help_requests.offers import HelperOffer
from functions.help_requests.validation import FieldError

Call = Callable[..., httpx.Response]
PATH = "/api/helper-offers"
BASE: dict[str, Any] = {
    "id": "9a1c3e5f-7b2d-4f60-8e1a-3c5b7d9f1a2c",
    "name": "Piotr",
    "email": "piotr@example.pl",
    "topics": ["business"],
    "languages": ["pl", "en"],
    "ways": ["business-contacts"],
    "capacity": 4,
    "language": "pl",
    "consent": True,
}
Document = dict[str, Any]


@pytest.fixture(scope="module")
def document() -> Document:
    loaded: Document = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def contract() -> FormContract:
    return load_contract()


def checked(contract: FormContract, change: dict[str, Any]) -> HelperOffer | list[FieldError]:
    return offers.validate_offer({**BASE, **change}, contract, default_id=None)


def validator(document: Document, name: str) -> OAS31Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return OAS31Validator(schema, format_checker=oas31_format_checker)


def resolved(document: Document, node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = document["components"][kind][name]
    return node


def test_both_offer_schemas_have_the_fields_validation_reads(document: Document) -> None:
    schemas = document["components"]["schemas"]
    for name in ("HelperOffer", "HelperOfferForm"):
        assert list(schemas[name]["properties"]) == list(offers.FIELDS)
    assert set(schemas["HelperOfferForm"]["required"]) == set(
        schemas["HelperOffer"]["required"]
    ) - {"id"}


def test_topics_and_languages_are_the_help_requests_own_lists(document: Document) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["Topics"]["items"] == {"$ref": "#/components/schemas/Topic"}
    assert schemas["Languages"]["items"] == {"$ref": "#/components/schemas/Language"}
    assert schemas["HelperOffer"]["properties"]["language"]["$ref"].endswith("/Language")


def test_the_email_is_checked_as_a_help_requests_email_contact(
    document: Document, contract: FormContract
) -> None:
    schemas = document["components"]["schemas"]
    [as_contact] = [c for c in schemas["Contact"]["anyOf"] if c["title"] == "e-mail"]
    assert schemas["Email"]["pattern"] == as_contact["pattern"]
    assert schemas["Email"]["maxLength"] == contract.max_length["contact"]
    assert contract.offer.is_email("a.b+c@example.co.uk")
    assert not contract.offer.is_email("+48 600 700 800")


def test_the_forms_capacity_text_is_exactly_the_numbers_json_takes(
    document: Document, contract: FormContract
) -> None:
    schemas = document["components"]["schemas"]
    pattern = re.compile(schemas["CapacityText"]["pattern"])
    fewest, most = contract.offer.capacity
    assert (fewest, most) == (schemas["Capacity"]["minimum"], schemas["Capacity"]["maximum"])
    texts = [str(n) for n in range(-5, 200)] + ["01", "1.0", " 3", "3 ", ""]
    assert [t for t in texts if pattern.search(t)] == [str(n) for n in range(fewest, most + 1)]
    taken = [t for t in texts if isinstance(checked(contract, {"capacity": t}), HelperOffer)]
    # The app cleans first: surrounding blanks do not matter, as for every field.
    assert taken == [*[str(n) for n in range(fewest, most + 1)], " 3", "3 "]


@pytest.mark.parametrize("field", ["name", "email", "region"])
def test_validation_takes_a_text_up_to_the_contracts_limit(
    contract: FormContract, field: str
) -> None:
    longest = contract.offer.max_length[field]

    def text(length: int) -> str:
        return "a@" + "b" * (length - 6) + ".org" if field == "email" else "x" * length

    assert isinstance(checked(contract, {field: text(longest)}), HelperOffer)
    assert checked(contract, {field: text(longest + 1)}) == [FieldError(field, "too_long")]


def test_validation_takes_exactly_the_contracts_choices(contract: FormContract) -> None:
    lists = {
        "topics": contract.topics,
        "languages": contract.languages,
        "ways": contract.offer.ways,
    }
    for field, choices in lists.items():
        everything = checked(contract, {field: list(reversed(choices))})
        assert isinstance(everything, HelperOffer)
        assert getattr(everything, field) == choices
        assert checked(contract, {field: ["lottery"]}) == [FieldError(field, "invalid_choice")]
    assert contract.offer.ways == (
        "conversation",
        "mentoring",
        "job-leads",
        "business-contacts",
        "other",
    )


def test_every_code_an_offer_gets_is_in_the_documents_list(contract: FormContract) -> None:
    changes: list[dict[str, Any]] = [
        {"name": ""},
        {"name": "n" * 101},
        {"email": "x"},
        {"topics": ["x"]},
        {"consent": False},
        {"extra": 1},
        {"capacity": 0},
    ]
    found = [checked(contract, change) for change in changes]
    codes = {error.code for errors in found if isinstance(errors, list) for error in errors}
    assert all(isinstance(errors, list) and len(errors) == 1 for errors in found)
    # A name's least length is 1: an empty one is `required`, never `too_short`.
    assert codes == set(contract.error_codes) - {"too_short"}


def test_what_the_document_refuses_the_app_refuses_too(
    document: Document, contract: FormContract
) -> None:
    cases: list[dict[str, Any]] = [
        {"topics": []},
        {"topics": ["mentoring", "mentoring"]},
        {"ways": "other"},
        {"capacity": 21},
        {"capacity": "21"},
        {"capacity": 1.5},
        {"email": "piotr"},
        {"region": "r" * 101},
        {"id": "nope"},
        {"extra": 1},
        {"started_at": -1},
    ]
    json_validator = validator(document, "HelperOffer")
    assert json_validator.is_valid(BASE)
    assert isinstance(checked(contract, {}), HelperOffer)
    for change in cases:
        assert not json_validator.is_valid({**BASE, **change}), change
        assert isinstance(checked(contract, change), list), change


def test_the_offer_answers_what_a_help_request_does(document: Document) -> None:
    paths = document["paths"]
    asked, offered = paths["/api/help-requests"], paths[PATH]
    assert set(offered) == set(asked) == {"post", "options"}
    assert set(offered["post"]["responses"]) == set(asked["post"]["responses"])
    for status in set(asked["post"]["responses"]) - {"200", "201", "303"}:
        assert offered["post"]["responses"][status] == asked["post"]["responses"][status]
    assert offered["post"]["parameters"] == asked["post"]["parameters"]
    assert offered["options"]["responses"] == asked["options"]["responses"]
    assert {int(status) for status in offered["post"]["responses"]} == {
        status for status, _ in responses.ERRORS.values()
    } - {404, 405} | {200, 201, 303, 422}


def check(document: Document, response: httpx.Response, method: str = "post") -> None:
    """The response's status, headers and body are the ones the document gives."""
    spec = resolved(
        document, document["paths"][PATH][method]["responses"][str(response.status_code)]
    )
    for header, header_spec in spec.get("headers", {}).items():
        assert header in response.headers or not resolved(document, header_spec).get("required")
    content = spec.get("content", {}).get("application/json")
    if content is None:
        assert not response.content
        return
    assert response.headers["content-type"] == "application/json"
    validator(document, content["schema"]["$ref"].rsplit("/", 1)[-1]).validate(response.json())


@pytest.mark.dynamodb
def test_live_offer_responses_match_the_document(
    document: Document, call_app: Call, help_app: HelpRequestsApp
) -> None:
    def offer(**kwargs: Any) -> httpx.Response:
        return call_app(help_app, "POST", PATH, **kwargs)

    form = [(k, v) for k, values in BASE.items() if k != "id" for v in _form_values(values)]
    validator(document, "HelperOfferForm").validate(
        {**BASE, "capacity": "4", "consent": "on"} | {"id": ""}
    )
    json_only = {"Content-Type": "application/json"}
    exchanges = {
        201: offer(json=BASE),
        200: offer(json=BASE),
        409: offer(json={**BASE, "capacity": 5}),
        303: offer(data=dict(form) | {"topics": ["business", "other"]}),
        422: offer(json={"capacity": 0}),
        400: offer(content=b"{", headers=json_only),
        403: offer(json=BASE, headers={"Origin": "https://elsewhere.example"}),
        413: offer(content=b" " * 17_000, headers=json_only),
        415: offer(content=b"x", headers={"Content-Type": "text/plain"}),
    }
    for _ in range(5):
        limited = offer(json={**BASE, "id": str(uuid.uuid4())})
    exchanges[429] = limited
    for status, response in exchanges.items():
        assert response.status_code == status
        check(document, response)
    preflight = {"Origin": "https://ask.example.org", "Access-Control-Request-Method": "POST"}
    check(document, call_app(help_app, "OPTIONS", PATH, headers=preflight), "options")


def _form_values(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return ["on" if value is True else str(value)]
