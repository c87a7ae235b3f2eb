"""The app validates by the form's contract, read from `openapi.yaml` once, when it is made."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import yaml

from functions.help_requests import Config, create_app
from functions.help_requests.contract import CONTRACT_PATH, load_contract

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]
ItemsOf = Callable[[str], list[dict[str, Any]]]

pytestmark = pytest.mark.dynamodb


def with_topic(path: Path, topic: str) -> Path:
    """A copy of `openapi.yaml` at `path` whose `Topic.enum` ends with `topic`."""
    document = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    document["components"]["schemas"]["Topic"]["enum"].append(topic)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def test_a_topic_added_to_the_document_is_accepted_by_an_app_made_with_it(
    tmp_path: Path,
    help_config: Config,
    dynamodb_client: DynamoDBClient,
    call_app: Call,
    valid_request: dict[str, Any],
    table_items: ItemsOf,
) -> None:
    copy = with_topic(tmp_path / "openapi.yaml", "housing")
    widened = create_app(help_config, dynamodb_client, contract=load_contract(copy))
    copy.unlink()  # read once, when the app was made
    body = {**valid_request, "topic": "housing"}

    accepted = call_app(widened, "POST", json=body)
    refused = call_app(
        create_app(help_config, dynamodb_client), "POST", json={**body, "id": str(uuid.uuid4())}
    )

    assert accepted.status_code == 201
    [item] = table_items("request#")
    assert (item["id"], item["topic"]) == ({"S": body["id"]}, {"S": "housing"})
    assert refused.status_code == 422
    assert refused.json() == {"errors": [{"field": "topic", "code": "invalid_choice"}]}
    assert len(table_items("request#")) == 1


def test_without_a_contract_the_app_reads_the_document_next_to_its_code(
    help_config: Config, dynamodb_client: DynamoDBClient
) -> None:
    assert create_app(help_config, dynamodb_client).contract == load_contract()
