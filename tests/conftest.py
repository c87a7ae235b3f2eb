"""Fixtures for every test folder: one DynamoDB Local per session, a fresh table per test."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import settings
from starlette.types import ASGIApp

from functions.help_requests import Config, create_app
from functions.help_requests.app import HelpRequestsApp
from sitegen.serve.dynamodb_local import DynamoDBLocal, create_table, local_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Generated cases are not kept between runs (no .hypothesis folder); a failure prints its seed.
settings.register_profile("project", database=None, deadline=None, print_blob=True)
settings.load_profile("project")

API_BASE = "https://api.example.org"
IP_HASH_KEY = b"test-key-0123456789abcdef-0123456789"
CONTACT_HASH_KEY = b"contact-key-0123456789abcdef-0123456789"
CONSENT_VERSION = "2019-12-01"
Call = Callable[..., httpx.Response]
ItemsOf = Callable[[str], list[dict[str, Any]]]


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """The URL of a DynamoDB Local started for this test session."""
    with DynamoDBLocal() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def dynamodb_client(dynamodb_endpoint: str) -> DynamoDBClient:
    """A boto3 client for the session's DynamoDB Local."""
    return local_client(dynamodb_endpoint)


@pytest.fixture
def dynamodb_table(dynamodb_client: DynamoDBClient) -> Iterator[str]:
    """A new table built from `infra/template.yaml`, deleted after the test."""
    name = f"help-requests-{uuid.uuid4().hex[:12]}"
    create_table(dynamodb_client, name)
    yield name
    dynamodb_client.delete_table(TableName=name)


@pytest.fixture
def table_items(dynamodb_client: DynamoDBClient, dynamodb_table: str) -> ItemsOf:
    """Read the test table: `table_items("request#")` lists items whose key starts so."""

    def items(prefix: str = "") -> list[dict[str, Any]]:
        pages = dynamodb_client.get_paginator("scan").paginate(
            TableName=dynamodb_table, ConsistentRead=True
        )
        found = [item for page in pages for item in page["Items"]]
        return [item for item in found if str(item["pk"].get("S", "")).startswith(prefix)]

    return items


@pytest.fixture
def ttl_paused(dynamodb_client: DynamoDBClient, dynamodb_table: str) -> None:
    """Stop DynamoDB Local deleting expired items, as TTL in AWS may for up to two days."""
    dynamodb_client.update_time_to_live(
        TableName=dynamodb_table,
        TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires_at"},
    )


@pytest.fixture
def help_config(dynamodb_table: str) -> Config:
    """The handler's configuration for a test table, with the production defaults."""
    return Config(
        table_name=dynamodb_table,
        ip_hash_key=IP_HASH_KEY,
        consent_version=CONSENT_VERSION,
        contact_hash_key=CONTACT_HASH_KEY,
        allowed_origins=frozenset({"https://ask.example.org"}),
    )


@pytest.fixture
def help_app(help_config: Config, dynamodb_client: DynamoDBClient) -> HelpRequestsApp:
    """The help-request app on DynamoDB Local."""
    return create_app(help_config, dynamodb_client)


@pytest.fixture
def valid_request() -> dict[str, Any]:
    """A JSON body the API accepts, with a fresh id."""
    return {
        "id": str(uuid.uuid4()),
        "name": "Alicja",
        "contact": "alicja@example.org",
        "topic": "returning-to-work",
        "message": "I am back from parental leave and was offered a junior role.",
        "language": "pl",
        "consent": True,
        "website": "",
        "started_at": 1_500_000_000_000,
    }


@pytest.fixture
def post(help_app: HelpRequestsApp) -> Call:
    """POST to the help-request app: `post(json=..., headers=...)` or `post(path, data=...)`."""
    return lambda *args, **kwargs: send(help_app, "POST", *args, **kwargs)


@pytest.fixture
def call_app() -> Call:
    """Send any request to any app: `call_app(app, "GET", path, headers=...)`."""
    return send


def send(
    app: ASGIApp,
    method: str,
    path: str = "/api/help-requests",
    *,
    client_ip: str = "203.0.113.7",
    **kwargs: Any,
) -> httpx.Response:
    """One request through a real ASGI transport; redirects are returned, not followed."""

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(client_ip, 50000))
        async with httpx.AsyncClient(transport=transport, base_url=API_BASE) as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(call())
