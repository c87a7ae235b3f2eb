"""The boto3 DynamoDB client, built once per container."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LOCAL_REGION = "eu-central-1"


def dynamodb_client(config: Config) -> DynamoDBClient:
    """A client with standard retries (3 attempts in all) and short timeouts."""
    import boto3
    from botocore.config import Config as BotoConfig

    boto_config = BotoConfig(
        retries={"mode": "standard", "total_max_attempts": 3},
        connect_timeout=1,
        read_timeout=2,
        # The store builds every parameter itself; checking them again client-side costs
        # tens of milliseconds on a cold start's first call, and DynamoDB checks them anyway.
        parameter_validation=False,
    )
    if config.dynamodb_endpoint is None:
        client: DynamoDBClient = boto3.client("dynamodb", config=boto_config)
    else:
        client = boto3.client(
            "dynamodb",
            endpoint_url=config.dynamodb_endpoint,
            region_name=config.region or LOCAL_REGION,
            config=boto_config,
        )
    return client
