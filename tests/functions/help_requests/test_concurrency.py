"""Parallel submissions, with retries racing their originals, store each request exactly once."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import uuid
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.help_requests import Config, create_app
from functions.help_requests.app import HelpRequestsApp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ItemsOf = Callable[[str], list[dict[str, Any]]]
Submission = tuple[str, dict[str, Any]]

pytestmark = pytest.mark.dynamodb


def submissions(valid_request: dict[str, Any], *, unique: int, repeated: int) -> list[Submission]:
    """`unique` requests from their own senders, `repeated` of them sent a second time."""
    originals = [
        (
            f"198.51.100.{n + 1}",
            {**valid_request, "id": str(uuid.uuid4()), "message": f"Please help, {n:04d}"},
        )
        for n in range(unique)
    ]
    batch = originals + random.sample(originals, repeated)
    random.shuffle(batch)
    return batch


async def send_all(app: HelpRequestsApp, batch: list[Submission]) -> list[int]:
    async def send(ip: str, body: dict[str, Any]) -> int:
        transport = httpx.ASGITransport(app=app, client=(ip, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="https://api.example.org") as c:
            return (await c.post("/api/help-requests", json=body)).status_code

    return await asyncio.gather(*(send(ip, body) for ip, body in batch))


def test_50_parallel_submissions_with_10_duplicates_store_exactly_40(
    help_app: HelpRequestsApp, valid_request: dict[str, Any], table_items: ItemsOf
) -> None:
    batch = submissions(valid_request, unique=40, repeated=10)
    statuses = asyncio.run(send_all(help_app, batch))

    assert Counter(statuses) == {201: 40, 200: 10}
    stored = table_items("request#")
    assert len(stored) == 40
    assert {item["id"]["S"] for item in stored} == {body["id"] for _, body in batch}


def test_parallel_submissions_from_one_sender_share_its_counter_correctly(
    help_config: Config,
    dynamodb_client: DynamoDBClient,
    valid_request: dict[str, Any],
    table_items: ItemsOf,
) -> None:
    config = dataclasses.replace(help_config, rate_limit_per_hour=25, rate_limit_per_day=25)
    app = create_app(config, dynamodb_client)
    batch = [("203.0.113.9", body) for _, body in submissions(valid_request, unique=30, repeated=0)]
    statuses = asyncio.run(send_all(app, batch))

    stored = len(table_items("request#"))
    [counter] = table_items("rate#")
    assert statuses.count(201) == stored == int(counter["day_count"]["N"])
    assert stored <= 25
    # Contention may turn some into 503 (the form retries those); none is lost or stored twice.
    assert set(statuses) <= {201, 429, 503}
    assert statuses.count(429) >= 5
