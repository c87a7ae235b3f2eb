"""Requests the endpoint refuses, each with its status code and stable error code."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from functions.help_requests.app import HelpRequestsApp

Call = Callable[..., httpx.Response]
ItemsOf = Callable[[str], list[dict[str, Any]]]

pytestmark = pytest.mark.dynamodb


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"contact": None}, "contact", "required"),
        ({"contact": "   "}, "contact", "required"),
        ({"contact": "not an address"}, "contact", "invalid"),
        ({"contact": "a@b"}, "contact", "invalid"),
        ({"contact": "+48 12"}, "contact", "invalid"),
        ({"contact": "x" * 190 + "@example.org"}, "contact", "too_long"),
        ({"contact": 48600700800}, "contact", "invalid"),
        ({"name": "N" * 101}, "name", "too_long"),
        ({"topic": None}, "topic", "required"),
        ({"topic": "money"}, "topic", "invalid_choice"),
        ({"message": None}, "message", "required"),
        ({"message": "Help me"}, "message", "too_short"),
        ({"message": " \u0007 short \u202e "}, "message", "too_short"),
        ({"message": "x" * 5001}, "message", "too_long"),
        ({"language": "fr"}, "language", "invalid_choice"),
        ({"language": None}, "language", "required"),
        ({"consent": False}, "consent", "must_accept"),
        ({"consent": None}, "consent", "must_accept"),
        ({"consent": "no"}, "consent", "must_accept"),
        ({"id": "not-a-uuid"}, "id", "invalid"),
        ({"id": "00000000-0000-0000-0000-000000000000"}, "id", "invalid"),
        ({"id": None}, "id", "required"),
        ({"started_at": "yesterday"}, "started_at", "invalid"),
        ({"started_at": True}, "started_at", "invalid"),
        ({"sent_at": "now"}, "sent_at", "invalid"),
        ({"sent_at": -1}, "sent_at", "invalid"),
        ({"favourite_colour": "blue"}, "favourite_colour", "unknown_field"),
    ],
)
def test_one_bad_field_is_a_422_naming_it(
    post: Call,
    valid_request: dict[str, Any],
    table_items: ItemsOf,
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    body = {key: value for key, value in {**valid_request, **change}.items() if value is not None}
    response = post(json=body)

    assert response.status_code == 422
    assert response.json() == {"errors": [{"field": field, "code": code}]}
    assert table_items("") == []


def test_every_failing_field_is_listed_in_field_order(post: Call) -> None:
    response = post(json={"colour": 1, "message": "short", "topic": "x", "consent": False})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "colour", "code": "unknown_field"},
        {"field": "id", "code": "required"},
        {"field": "contact", "code": "required"},
        {"field": "topic", "code": "invalid_choice"},
        {"field": "message", "code": "too_short"},
        {"field": "language", "code": "required"},
        {"field": "consent", "code": "must_accept"},
    ]


def test_the_plain_form_is_sent_to_the_error_page_with_the_codes(
    post: Call, table_items: ItemsOf
) -> None:
    form = {"contact": "nobody", "topic": "money", "message": "short", "language": "de"}
    response = post(data=form, headers={"Accept": "text/html,application/xhtml+xml"})

    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/de/ask/error/"
    assert parse_qs(location.query) == {
        "errors": ["contact.invalid,topic.invalid_choice,message.too_short,consent.must_accept"]
    }
    assert table_items("") == []


def test_the_error_page_falls_back_to_english_and_escapes_field_names(post: Call) -> None:
    response = post(data={"language": "xx", "a,b&c": "1"})

    location = urlsplit(response.headers["location"])
    assert location.path == "/en/ask/error/"
    errors = parse_qs(location.query)["errors"][0].split(",")
    assert errors[0] == "abc.unknown_field"
    assert "language.invalid_choice" in errors


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"id": ', "application/json"),
        (b'["a", "list"]', "application/json"),
        (b'{"started_at": NaN}', "application/json"),
        (b'{"message": "\xff\xfe"}', "application/json"),
        (b"[" * 5000 + b"]" * 5000, "application/json"),
        (b"message=a&message=b", "application/x-www-form-urlencoded"),
        (b"message=%ff", "application/x-www-form-urlencoded"),
        (b"no-equals-sign", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_bodies_are_400(
    post: Call, table_items: ItemsOf, content: bytes, content_type: str
) -> None:
    response = post(content=content, headers={"Content-Type": content_type})

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert table_items("") == []


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/json; charset=latin-1",
        None,
    ],
)
def test_other_content_types_are_415(post: Call, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = post(content=b"{}", headers=headers)

    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


def test_json_with_a_utf8_charset_is_fine(post: Call, valid_request: dict[str, Any]) -> None:
    content = json.dumps(valid_request).encode()
    headers = {"Content-Type": "application/json; charset=UTF-8"}
    assert post(content=content, headers=headers).status_code == 201


def test_a_body_over_16_kib_is_413(post: Call, valid_request: dict[str, Any]) -> None:
    content = json.dumps({**valid_request, "name": "x" * 16 * 1024}).encode()
    response = post(content=content, headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_a_streamed_body_is_cut_off_at_16_kib(post: Call) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 1024

    response = post(content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_body_of_exactly_16_kib_is_read(post: Call, valid_request: dict[str, Any]) -> None:
    content = json.dumps(valid_request).encode()
    content += b" " * (16 * 1024 - len(content))
    assert post(content=content, headers={"Content-Type": "application/json"}).status_code == 201


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "HEAD"])
def test_other_methods_are_405(call_app: Call, help_app: HelpRequestsApp, method: str) -> None:
    response = call_app(help_app, method)

    assert response.status_code == 405
    assert response.headers["allow"] == "POST, OPTIONS"


def test_other_paths_are_404(call_app: Call, help_app: HelpRequestsApp) -> None:
    for path in ("/", "/api/help-requests/extra", "/a/b/api/help-requests", "/api/other"):
        assert call_app(help_app, "POST", path, json={}).status_code == 404


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://ask.example.org"])
def test_a_foreign_origin_is_403(
    post: Call, valid_request: dict[str, Any], table_items: ItemsOf, origin: str
) -> None:
    response = post(json=valid_request, headers={"Origin": origin})

    assert response.status_code == 403
    assert response.json() == {"error": "forbidden_origin"}
    assert "access-control-allow-origin" not in response.headers
    assert table_items("") == []


@pytest.mark.parametrize("origin", ["https://ask.example.org", "https://api.example.org", None])
def test_the_sites_own_or_an_allowed_origin_or_none_may_post(
    post: Call, valid_request: dict[str, Any], origin: str | None
) -> None:
    headers = {"Origin": origin} if origin else {}
    assert post(json=valid_request, headers=headers).status_code == 201


def test_a_preflight_from_an_allowed_origin_is_answered(
    call_app: Call, help_app: HelpRequestsApp
) -> None:
    headers = {"Origin": "https://ask.example.org", "Access-Control-Request-Method": "POST"}
    response = call_app(help_app, "OPTIONS", headers=headers)

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://ask.example.org"
    assert response.headers["access-control-allow-methods"] == "POST"
    assert "content-type" in response.headers["access-control-allow-headers"].lower()


def test_a_preflight_from_a_foreign_origin_is_403(
    call_app: Call, help_app: HelpRequestsApp
) -> None:
    headers = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    assert call_app(help_app, "OPTIONS", headers=headers).status_code == 403


def test_rejections_are_logged_as_warnings_without_the_body(
    post: Call, capsys: pytest.CaptureFixture[str]
) -> None:
    post(json={"contact": "secret@example.org", "message": "short"})

    record = json.loads(capsys.readouterr().out)
    assert record["level"] == "warning"
    assert record["outcome"] == "invalid"
    assert "contact.required" not in record["errors"]
    assert "message.too_short" in record["errors"]
    assert "secret" not in json.dumps(record)
