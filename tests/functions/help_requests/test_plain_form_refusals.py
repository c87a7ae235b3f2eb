"""A plain form refused as a whole goes to the error page that says why; scripts keep JSON."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.help_requests import Config, create_app
from functions.help_requests.responses import PAGE_CODES
from sitegen.render import form
from sitegen.serve.dynamodb_local import free_port

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]
ItemsOf = Callable[[str], list[dict[str, Any]]]
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORM = {
    "contact": "+48 600 700 800",
    "topic": "mentoring",
    "message": "Szukam mentora w branży logistycznej.",
    "language": "pl",
    "consent": "on",
}


def refused_to(language: str, code: str) -> str:
    return f"/{language}/ask/error/?errors=request.{code}#error-request-{code}"


def log_records(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_every_page_code_has_its_item_on_the_error_page() -> None:
    assert sorted(set(PAGE_CODES.values())) == sorted(rule.code for rule in form.REQUEST_RULES)
    assert {rule.field for rule in form.REQUEST_RULES} == {"request"}


@pytest.mark.dynamodb
class TestOnTheTable:
    @pytest.fixture
    def strict(self, help_config: Config, dynamodb_client: DynamoDBClient, call_app: Call) -> Call:
        """POST to an app that takes one request per hour from an address."""
        config = dataclasses.replace(help_config, rate_limit_per_hour=1)
        app = create_app(config, dynamodb_client)
        return lambda **kwargs: call_app(app, "POST", **kwargs)

    def test_a_rate_limited_form_goes_to_the_error_page_in_its_language(
        self, strict: Call, table_items: ItemsOf, capsys: pytest.CaptureFixture[str]
    ) -> None:
        first = strict(data=FORM, headers=BROWSER)
        second = strict(data={**FORM, "language": "de"}, headers=BROWSER)

        assert (first.status_code, first.headers["location"]) == (303, "/pl/ask/thanks/")
        assert second.status_code == 303
        assert second.headers["location"] == refused_to("de", "rate_limited")
        assert second.content == b""
        assert len(table_items("request#")) == 1
        refused = log_records(capsys)[-1]
        assert (refused["outcome"], refused["status"], refused["level"]) == (
            "rate_limited",
            303,
            "warning",
        )

    def test_an_allowed_origin_is_sent_to_its_own_error_page(self, strict: Call) -> None:
        origin = {**BROWSER, "Origin": "https://ask.example.org"}
        strict(data=FORM, headers=origin)
        # Another request: the same form again would be a replay, which no limit refuses.
        another = {**FORM, "message": "Jeszcze jedna prośba o pomoc."}
        response = strict(data=another, headers=origin)
        expected = "https://ask.example.org" + refused_to("pl", "rate_limited")
        assert (response.status_code, response.headers["location"]) == (303, expected)

    def test_scripts_still_get_429_json(self, strict: Call, valid_request: dict[str, Any]) -> None:
        strict(json=valid_request)
        for headers in ({}, BROWSER, {"Accept": "application/json"}):
            response = strict(json={**valid_request, "id": str(uuid.uuid4())}, headers=headers)
            assert response.status_code == 429
            assert response.json() == {"error": "rate_limited"}
            assert int(response.headers["retry-after"]) > 0
        asks_json = {"Accept": "application/json"}
        response = strict(data=FORM, headers=asks_json)
        assert (response.status_code, response.json()) == (429, {"error": "rate_limited"})

    def test_a_form_reusing_an_id_with_other_text_goes_to_the_error_page(self, post: Call) -> None:
        with_id = {**FORM, "id": str(uuid.uuid4())}
        assert post(data=with_id, headers=BROWSER).status_code == 303
        response = post(data={**with_id, "message": "Zupełnie inna wiadomość."}, headers=BROWSER)
        assert response.headers["location"] == refused_to("pl", "id_conflict")

    def test_a_body_over_16_kib_from_a_browser_goes_to_the_error_page(
        self, post: Call, table_items: ItemsOf
    ) -> None:
        response = post(data={**FORM, "message": "ł" * 3000}, headers=BROWSER)
        assert (response.status_code, response.headers["location"]) == (
            303,
            refused_to("en", "too_large"),
        )
        assert table_items("") == []

    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            (b"message=a&message=b", "application/x-www-form-urlencoded"),
            (b"message=%ff", "application/x-www-form-urlencoded"),
            (b"contact=x", "text/plain"),
            (b"contact=x", "multipart/form-data; boundary=x"),
        ],
    )
    def test_a_body_a_browser_sent_that_cannot_be_read_goes_to_the_error_page(
        self, post: Call, content: bytes, content_type: str
    ) -> None:
        headers = {**BROWSER, "Content-Type": content_type}
        response = post(content=content, headers=headers)
        assert (response.status_code, response.headers["location"]) == (
            303,
            refused_to("en", "invalid"),
        )

    def test_a_json_body_a_browser_cannot_send_by_form_stays_json(self, post: Call) -> None:
        headers = {**BROWSER, "Content-Type": "application/json"}
        response = post(content=b'{"id": ', headers=headers)
        assert (response.status_code, response.json()["error"]) == (400, "bad_request")

    def test_a_foreign_origin_is_still_a_403(self, post: Call) -> None:
        headers = {**BROWSER, "Origin": "https://elsewhere.example"}
        response = post(data=FORM, headers=headers)
        assert (response.status_code, response.json()) == (403, {"error": "forbidden_origin"})

    def test_an_unexpected_failure_goes_to_the_error_page_and_is_logged_as_ours(
        self,
        help_config: Config,
        dynamodb_client: DynamoDBClient,
        call_app: Call,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        def broken_clock() -> float:
            raise ZeroDivisionError("secret detail")

        app = create_app(help_config, dynamodb_client, clock=broken_clock)
        response = call_app(app, "POST", data=FORM, headers=BROWSER)

        assert response.headers["location"] == refused_to("pl", "unavailable")
        [record] = log_records(capsys)
        assert (record["outcome"], record["level"]) == ("internal_error", "error")


def test_a_form_that_cannot_be_stored_goes_to_the_error_page(
    call_app: Call, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    config = Config(
        table_name="help-requests",
        ip_hash_key=b"k" * 32,
        consent_version="1",
        contact_hash_key=b"c" * 32,
        dynamodb_endpoint=f"http://127.0.0.1:{free_port()}",
    )
    response = call_app(create_app(config), "POST", data={**FORM, "language": "de"})

    assert (response.status_code, response.headers["location"]) == (
        303,
        refused_to("de", "unavailable"),
    )
    # Still our failure, so still an error in the log, though the status is no 5xx.
    [record] = log_records(capsys)
    assert (record["outcome"], record["status"], record["level"]) == ("unavailable", 303, "error")
