"""With an origin secret only requests through CloudFront are served, their viewer trusted."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.help_requests import Config, create_app
from functions.help_requests.ratelimit import sender_hash
from tests.conftest import IP_HASH_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]
ItemsOf = Callable[[str], list[dict[str, Any]]]
SECRET = "cloudfront-only-0123456789abcdef-0123456789abcdef"
VIEWER = "198.51.100.23"

pytestmark = pytest.mark.dynamodb


@pytest.fixture
def guarded(help_config: Config, dynamodb_client: DynamoDBClient, call_app: Call) -> Call:
    """`guarded(method, **kwargs)` sends to an app that requires the origin secret."""
    config = dataclasses.replace(
        help_config, origin_verify_secret=SECRET.encode(), rate_limit_per_hour=1
    )
    app = create_app(config, dynamodb_client)
    return lambda method="POST", path="/api/help-requests", **kwargs: call_app(
        app, method, path, **kwargs
    )


def fresh(request: dict[str, Any]) -> dict[str, Any]:
    return {**request, "id": str(uuid.uuid4())}


def through_cloudfront(viewer: str = f"{VIEWER}:50123") -> dict[str, str]:
    return {"X-Origin-Verify": SECRET, "CloudFront-Viewer-Address": viewer}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Origin-Verify": ""},
        {"X-Origin-Verify": SECRET[:-1]},
        {"X-Origin-Verify": SECRET + "x"},
        {"X-Origin-Verify": SECRET.upper()},
        {"X-Origin-Verify": ("\u00e9" * 48).encode("latin-1")},
    ],
)
def test_a_request_without_the_secret_is_403_and_stores_nothing(
    guarded: Call,
    valid_request: dict[str, Any],
    table_items: ItemsOf,
    headers: dict[str, str | bytes],
) -> None:
    forged = {**headers, "CloudFront-Viewer-Address": "192.0.2.1:443"}
    response = guarded(json=valid_request, headers=forged)

    assert response.status_code == 403
    assert response.json() == {"error": "forbidden"}
    assert table_items("") == []


def test_a_request_through_cloudfront_is_stored(
    guarded: Call, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    assert guarded(json=valid_request, headers=through_cloudfront()).status_code == 201
    [request] = table_items("request#")
    assert request["id"]["S"] == valid_request["id"]


def test_only_the_viewer_address_cloudfront_forwards_counts(
    guarded: Call, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    statuses = [
        guarded(json=fresh(valid_request), headers=through_cloudfront(viewer)).status_code
        for viewer in (f"{VIEWER}:1", f"{VIEWER}:2", "192.0.2.1:3")
    ]
    # Forging another address without the secret gets no fresh budget: it is refused.
    forged = guarded(
        json=fresh(valid_request), headers={"CloudFront-Viewer-Address": "192.0.2.9:4"}
    )

    assert statuses == [201, 429, 201]
    assert forged.status_code == 403
    counters = sorted(str(item["pk"]["S"]) for item in table_items("rate#"))
    senders = [sender_hash(IP_HASH_KEY, ip) for ip in (VIEWER, "192.0.2.1")]
    assert len(counters) == 2
    assert all(any(sender in counter for counter in counters) for sender in senders)


def test_preflights_and_other_paths_need_the_secret_too(guarded: Call) -> None:
    preflight = {"Origin": "https://ask.example.org", "Access-Control-Request-Method": "POST"}
    assert guarded("OPTIONS", headers=preflight).status_code == 403
    assert guarded("OPTIONS", headers={**preflight, "X-Origin-Verify": SECRET}).status_code == 204
    assert guarded("GET", "/elsewhere").status_code == 403
    assert guarded("GET", "/elsewhere", headers={"X-Origin-Verify": SECRET}).status_code == 404


def test_a_plain_form_without_the_secret_is_403_not_a_page(
    guarded: Call, valid_request: dict[str, Any]
) -> None:
    form = {**valid_request, "consent": "on"}
    response = guarded(data=form, headers={"Accept": "text/html"})
    assert (response.status_code, response.json()) == (403, {"error": "forbidden"})


def test_the_secret_is_never_logged(
    guarded: Call, valid_request: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    guarded(json=valid_request, headers={"X-Origin-Verify": SECRET[:-1]})
    guarded(json=fresh(valid_request), headers=through_cloudfront())

    refused, stored = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (refused["outcome"], refused["status"], refused["level"]) == (
        "forbidden",
        403,
        "warning",
    )
    assert (stored["outcome"], stored["status"]) == ("created", 201)
    for record in (refused, stored):
        assert SECRET[:-1] not in json.dumps(record)
        assert VIEWER not in json.dumps(record)
