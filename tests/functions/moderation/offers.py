"""Helpers' offers for the moderators' tests, stored as the public function stores them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from functions.help_requests.offers import HelperOffer
from functions.help_requests.ratelimit import Limits
from functions.help_requests.storage import RequestStore
from functions.shared.table import iso_utc
from tests.conftest import CONSENT_VERSION, CONTACT_HASH_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Offer = Callable[..., str]


def offer_item(
    table_name: str,
    client: DynamoDBClient,
    *,
    offer_id: str | None = None,
    name: str = "Jan Nowak",
    email: str = "jan@example.org",
    topics: tuple[str, ...] = ("returning-to-work", "job-search"),
    languages: tuple[str, ...] = ("pl", "en"),
    ways: tuple[str, ...] = ("mentoring",),
    capacity: int = 2,
    region: str = "Kraków",
    created: float | None = None,
) -> dict[str, Any]:
    """The item `RequestStore._put_offer` writes for this offer (status `unconfirmed`)."""
    store = RequestStore(
        client,
        table_name,
        limits=Limits(per_hour=100, per_day=100),
        retention_days=180,
        consent_version=CONSENT_VERSION,
        contact_hash_key=CONTACT_HASH_KEY,
    )
    offer = HelperOffer(
        id=offer_id or str(uuid.uuid4()),
        name=name,
        email=email,
        topics=topics,
        languages=languages,
        ways=ways,
        capacity=capacity,
        region=region,
        language=languages[0],
    )
    created = time.time() if created is None else created
    item: dict[str, Any] = dict(store._put_offer(offer, created)["Put"]["Item"])
    return item


def confirmed(item: dict[str, Any], now: float, **numbers: int) -> dict[str, Any]:
    """The item as the helpers' function leaves it once the helper confirmed, with counters."""
    item = {**item, "status": {"S": "confirmed"}, "confirmed_at": {"S": iso_utc(now)}}
    item["expires_at"] = {"N": str(int(now) + 365 * 24 * 3600)}
    item["version"] = {"N": "2"}
    for name, value in numbers.items():
        item[name] = {"N": str(value)}
    return item
