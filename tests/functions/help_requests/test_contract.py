"""Without a contract of its own, the app reads the document next to its code (the whole path
of a topic added to it, through the ask pages and the API, is tests/test_form_contract.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.help_requests import Config, create_app
from functions.help_requests.contract import load_contract

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]
ItemsOf = Callable[[str], list[dict[str, Any]]]

pytestmark = pytest.mark.dynamodb


def test_without_a_contract_the_app_reads_the_document_next_to_its_code(
    help_config: Config, dynamodb_client: DynamoDBClient
) -> None:
    assert create_app(help_config, dynamodb_client).contract == load_contract()
