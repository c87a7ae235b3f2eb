"""Per-sender limits: 429 with Retry-After, counted in the same write as the request."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.help_requests import Config, create_app

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]
ItemsOf = Callable[[str], list[dict[str, Any]]]
# Tomorrow 10:15:00 UTC: 45 minutes to the next hour, 13 h 45 min to the next day. In the
# future, so DynamoDB Local's TTL sweep never takes what the test stored.
TOMORROW = datetime.now(UTC).date() + timedelta(days=1)
MORNING = datetime(TOMORROW.year, TOMORROW.month, TOMORROW.day, 10, 15, tzinfo=UTC).timestamp()

pytestmark = pytest.mark.dynamodb


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def fresh(request: dict[str, Any]) -> dict[str, Any]:
    return {**request, "id": str(uuid.uuid4())}


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING)


@pytest.fixture
def submit(
    help_config: Config, dynamodb_client: DynamoDBClient, clock: Clock, call_app: Call
) -> Callable[..., Call]:
    """`submit(per_hour=2, per_day=3)` gives a POST function for an app with those limits."""

    def make(per_hour: int = 5, per_day: int = 20) -> Call:
        config = dataclasses.replace(
            help_config, rate_limit_per_hour=per_hour, rate_limit_per_day=per_day
        )
        app = create_app(config, dynamodb_client, clock=clock)
        return lambda **kwargs: call_app(app, "POST", **kwargs)

    return make


def test_the_sixth_request_in_an_hour_is_429_until_the_hour_ends(
    submit: Callable[..., Call], valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    post = submit()
    statuses = [post(json=fresh(valid_request)).status_code for _ in range(6)]

    assert statuses == [201] * 5 + [429]
    refused = post(json=fresh(valid_request))
    assert refused.json() == {"error": "rate_limited"}
    assert refused.headers["retry-after"] == str(45 * 60)
    assert len(table_items("request#")) == 5


def test_the_next_hour_opens_again_until_the_day_is_used_up(
    submit: Callable[..., Call], valid_request: dict[str, Any], clock: Clock
) -> None:
    post = submit(per_hour=2, per_day=3)
    first_hour = [post(json=fresh(valid_request)).status_code for _ in range(3)]
    clock.now += 3600
    second_hour = [post(json=fresh(valid_request)).status_code for _ in range(2)]

    assert first_hour == [201, 201, 429]
    assert second_hour == [201, 429]
    refused = post(json=fresh(valid_request))
    assert refused.headers["retry-after"] == str(12 * 3600 + 45 * 60)


def test_the_next_day_starts_afresh(
    submit: Callable[..., Call], valid_request: dict[str, Any], clock: Clock
) -> None:
    post = submit(per_hour=1, per_day=1)
    assert post(json=fresh(valid_request)).status_code == 201
    clock.now += 24 * 3600
    assert post(json=fresh(valid_request)).status_code == 201


def test_other_senders_have_their_own_budget(
    submit: Callable[..., Call], valid_request: dict[str, Any]
) -> None:
    post = submit(per_hour=1)
    assert post(json=fresh(valid_request), client_ip="203.0.113.1").status_code == 201
    assert post(json=fresh(valid_request), client_ip="203.0.113.1").status_code == 429
    assert post(json=fresh(valid_request), client_ip="203.0.113.2").status_code == 201


def test_addresses_in_one_ipv6_64_share_a_budget(
    submit: Callable[..., Call], valid_request: dict[str, Any]
) -> None:
    post = submit(per_hour=1)
    assert post(json=fresh(valid_request), client_ip="2001:db8:1:2::10").status_code == 201
    assert post(json=fresh(valid_request), client_ip="2001:db8:1:2::99").status_code == 429
    assert post(json=fresh(valid_request), client_ip="2001:db8:1:3::10").status_code == 201


def test_the_viewer_address_from_cloudfront_identifies_the_sender(
    submit: Callable[..., Call], valid_request: dict[str, Any]
) -> None:
    post = submit(per_hour=1)
    edge = "130.176.0.1"
    viewers = ["198.51.100.1:41234", "198.51.100.2:41234", "[2001:db8::1]:443", "198.51.100.1:5"]
    statuses = [
        post(
            json=fresh(valid_request),
            client_ip=edge,
            headers={"CloudFront-Viewer-Address": viewer},
        ).status_code
        for viewer in viewers
    ]
    assert statuses == [201, 201, 201, 429]


def test_retries_of_a_stored_request_use_no_budget_and_pass_the_limit(
    submit: Callable[..., Call], valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    post = submit(per_hour=2)
    assert post(json=valid_request).status_code == 201
    assert [post(json=valid_request).status_code for _ in range(3)] == [200, 200, 200]
    assert post(json=fresh(valid_request)).status_code == 201
    assert post(json=valid_request).status_code == 200
    assert post(json=fresh(valid_request)).status_code == 429
    [counter] = table_items("rate#")
    assert counter["day_count"] == {"N": "2"}


def test_a_refused_request_stores_nothing_and_counts_nothing(
    submit: Callable[..., Call], valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    post = submit(per_hour=1)
    accepted, refused = fresh(valid_request), fresh(valid_request)
    assert [post(json=accepted).status_code, post(json=refused).status_code] == [201, 429]

    assert [item["id"]["S"] for item in table_items("request#")] == [accepted["id"]]
    [counter] = table_items("rate#")
    assert counter["day_count"] == {"N": "1"}
    assert int(counter["expires_at"]["N"]) > MORNING + 24 * 3600


def test_honeypot_hits_and_invalid_requests_use_no_budget(
    submit: Callable[..., Call], valid_request: dict[str, Any]
) -> None:
    post = submit(per_hour=1)
    post(json={**fresh(valid_request), "website": "spam"})
    post(json={**fresh(valid_request), "message": "short"})
    assert post(json=fresh(valid_request)).status_code == 201
