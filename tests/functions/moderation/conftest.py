"""Fixtures for the moderators' tools: the app on DynamoDB Local, callers with claims, requests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from functions.moderation.app import ModerationApp, create_app
from functions.moderation.config import Config
from functions.shared.contact import contact_hash
from functions.shared.table import iso_utc
from sitegen.serve.dynamodb_local import local_client
from tests.conftest import CONTACT_HASH_KEY, send
from tests.functions.moderation.offers import confirmed, offer_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]
Claims = dict[str, Any]
Seed = Callable[..., str]
Offer = Callable[..., str]
DAY = 24 * 3600
MODERATOR: Claims = {
    "sub": "5f0c6a4e-1b1d-4c1e-9d7a-0a1b2c3d4e5f",
    "cognito:groups": "[moderators]",
    "iss": "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbCdEf123",
    "client_id": "3n4b5urk1ft4fl3mg5e62d9ado",
    "token_use": "access",
    "scope": "aws.cognito.signin.user.admin",
    "username": "anna",
    "exp": "1795718400",
}


class WithClaims:
    """Plays API Gateway's part: passes the app the claims of a token it has checked."""

    def __init__(self, app: ASGIApp, claims: Claims | None) -> None:
        self.app = app
        self.claims = claims

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.claims is not None:
            authorizer = {"jwt": {"claims": self.claims, "scopes": None}}
            scope = {**scope, "aws.event": {"requestContext": {"authorizer": authorizer}}}
        await self.app(scope, receive, send)


class Operations:
    """Every DynamoDB operation a client makes, by name, counted by a botocore event hook."""

    def __init__(self, client: DynamoDBClient) -> None:
        self.names: list[str] = []
        client.meta.events.register("before-call.dynamodb.*", self._record)

    def _record(self, model: Any, **kwargs: Any) -> None:
        self.names.append(model.name)

    def clear(self) -> None:
        """Forget what was counted so far."""
        self.names.clear()


@pytest.fixture
def counted_client(dynamodb_endpoint: str) -> DynamoDBClient:
    """A DynamoDB Local client of its own, so that its operations can be counted."""
    return local_client(dynamodb_endpoint)


@pytest.fixture
def operations(counted_client: DynamoDBClient) -> Operations:
    """The operations the moderators' app makes."""
    return Operations(counted_client)


@pytest.fixture
def moderation_config(dynamodb_table: str) -> Config:
    """The moderators' configuration for the test table."""
    return Config(table_name=dynamodb_table, contact_hash_key=CONTACT_HASH_KEY)


@pytest.fixture
def moderation_app(moderation_config: Config, counted_client: DynamoDBClient) -> ModerationApp:
    """The moderators' app on DynamoDB Local."""
    return create_app(moderation_config, counted_client)


@pytest.fixture
def admin(moderation_app: ModerationApp) -> Call:
    """Call the app as moderator anna: `admin("GET", "/api/admin/requests", claims=...)`."""

    def call(method: str, path: str, *, claims: Claims | None = MODERATOR, **kwargs: Any) -> Any:
        return send(WithClaims(moderation_app, claims), method, path, **kwargs)

    return call


@pytest.fixture
def seed(dynamodb_client: DynamoDBClient, dynamodb_table: str, ttl_paused: None) -> Seed:
    """Store a request item as the public function does; returns its id."""

    def put(**fields: Any) -> str:
        request_id = str(fields.pop("id", uuid.uuid4()))
        dynamodb_client.put_item(TableName=dynamodb_table, Item=request_item(request_id, **fields))
        return request_id

    return put


@pytest.fixture
def offer(dynamodb_client: DynamoDBClient, dynamodb_table: str, ttl_paused: None) -> Offer:
    """Store a helper's offer as the public function does, confirmed unless told otherwise."""

    def put(
        *, status: str = "confirmed", counters: dict[str, Any] | None = None, **fields: Any
    ) -> str:
        now = time.time()
        item = offer_item(dynamodb_table, dynamodb_client, **fields)
        if status != "unconfirmed":
            item = confirmed(item, now)
            item["status"] = {"S": status}
        for name, value in (counters or {}).items():
            item[name] = {"S": value} if isinstance(value, str) else {"N": str(value)}
        dynamodb_client.put_item(TableName=dynamodb_table, Item=item)
        return str(item["id"]["S"])

    return put


def request_item(
    request_id: str,
    *,
    contact: str = "alicja@example.org",
    created: float | None = None,
    expires: float | None = None,
    status: str = "new",
    topic: str = "returning-to-work",
    language: str = "pl",
    message: str = "I am back from parental leave and was offered a junior role.",
    name: str | None = "Alicja",
) -> dict[str, Any]:
    """A request item with the attributes the public function writes."""
    created = time.time() if created is None else created
    expires = created + 180 * DAY if expires is None else expires
    item: dict[str, Any] = {
        "pk": {"S": f"request#{request_id}"},
        "id": {"S": request_id},
        "contact": {"S": contact},
        "contact_hash": {"S": contact_hash(contact, CONTACT_HASH_KEY)},
        "topic": {"S": topic},
        "message": {"S": message},
        "language": {"S": language},
        "status": {"S": status},
        "created_at": {"S": iso_utc(created)},
        "consent_version": {"S": "1"},
        "payload_hash": {"S": "0" * 64},
        "expires_at": {"N": str(int(expires))},
        "version": {"N": "1"},
        "history": {"L": []},
    }
    if name:
        item["name"] = {"S": name}
    return item
