"""What the function asks of DynamoDB: writes, and of a stored request its hash alone."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.help_requests import Config, create_app
from functions.shared.table import stats_key
from sitegen.serve.dynamodb_local import local_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]
Sent = list[tuple[str, dict[str, Any]]]

pytestmark = pytest.mark.dynamodb


@pytest.fixture
def sent(dynamodb_endpoint: str) -> tuple[DynamoDBClient, Sent]:
    """A client of its own for DynamoDB Local, and every call made through it, as sent."""
    client = local_client(dynamodb_endpoint)
    calls: Sent = []

    def record(params: dict[str, Any], model: Any, **kwargs: Any) -> None:
        calls.append((model.name, params))

    client.meta.events.register("provide-client-params.dynamodb.*", record)
    return client, calls


def test_a_repeated_id_is_told_apart_by_reading_its_hash_only(
    help_config: Config, sent: tuple[DynamoDBClient, Sent], call_app: Call, valid_request: Any
) -> None:
    client, calls = sent
    app = create_app(help_config, client)
    conflicting = {**valid_request, "message": "The same id with another message."}

    statuses = [
        call_app(app, "POST", json=body).status_code
        for body in (valid_request, valid_request, conflicting)
    ]

    assert statuses == [201, 200, 409]
    writes = ["TransactWriteItems"]
    assert [name for name, _ in calls] == [*writes, *writes, "GetItem", *writes, "GetItem"]
    key = {"pk": {"S": f"request#{valid_request['id']}"}}
    read = {
        "TableName": help_config.table_name,
        "Key": key,
        "ProjectionExpression": "payload_hash",
        "ConsistentRead": True,
    }
    assert [params for name, params in calls if name == "GetItem"] == [read, read]
    # The stored request never comes back; the rate counter's counts may.
    for put, count, *_ in (params["TransactItems"] for name, params in calls if name in writes):
        assert "ReturnValuesOnConditionCheckFailure" not in put["Put"]
        assert count["Update"]["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
        assert "ReturnValues" not in put["Put"].keys() | count["Update"].keys()


def test_a_rate_limited_sender_is_told_when_to_retry_without_a_read(
    help_config: Config, sent: tuple[DynamoDBClient, Sent], call_app: Call, valid_request: Any
) -> None:
    client, calls = sent
    app = create_app(help_config, client)
    responses = [
        call_app(app, "POST", json={**valid_request, "id": str(uuid.uuid4())}) for _ in range(6)
    ]

    assert [response.status_code for response in responses] == [201] * 5 + [429]
    assert int(responses[-1].headers["Retry-After"]) >= 1
    assert {name for name, _ in calls} == {"TransactWriteItems"}


def test_the_months_figures_count_each_stored_request_once(
    help_config: Config, sent: tuple[DynamoDBClient, Sent], call_app: Call, valid_request: Any
) -> None:
    client, _ = sent
    app = create_app(help_config, client)
    other = {**valid_request, "id": str(uuid.uuid4())}
    for body in (valid_request, valid_request, other, {**other, "message": "A different text."}):
        call_app(app, "POST", json=body)

    month = stats_key(time.time())
    item = client.get_item(TableName=help_config.table_name, Key={"pk": {"S": month}})["Item"]
    # Two stored; the retry and the conflicting id are not counted; no personal data is kept.
    assert item == {"pk": {"S": month}, "received": {"N": "2"}}
