"""Build boto3 DynamoDB clients: for the Lambda, the moderators' command line and DynamoDB Local."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Protocol

    from mypy_boto3_dynamodb import DynamoDBClient

    class Deployment(Protocol):
        """Where a function's table is, as its configuration says."""

        @property
        def dynamodb_endpoint(self) -> str | None: ...

        @property
        def region(self) -> str | None: ...


LOCAL_REGION = "eu-central-1"
MAX_ATTEMPTS = 3


def build_client(
    endpoint: str | None = None,
    *,
    region: str | None = None,
    connect_timeout: float = 1,
    read_timeout: float = 2,
    parameter_validation: bool = True,
    max_pool_connections: int = 10,
    credentials: tuple[str, str] | None = None,
) -> DynamoDBClient:
    """A client with standard retries (3 attempts in all); AWS's own unless `endpoint` is given."""
    import boto3
    from botocore.config import Config as BotoConfig

    boto_config = BotoConfig(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        parameter_validation=parameter_validation,
        max_pool_connections=max_pool_connections,
    )
    key_id, secret = credentials or (None, None)
    client: DynamoDBClient = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        # A local endpoint needs some region, and the machine may have none configured.
        region_name=region or (LOCAL_REGION if endpoint is not None else None),
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=boto_config,
    )
    return client


def dynamodb_client(config: Deployment) -> DynamoDBClient:
    """The Lambda's client: timeouts short enough that a slow DynamoDB is a 503 in time."""
    return build_client(
        config.dynamodb_endpoint,
        region=config.region,
        connect_timeout=1,
        read_timeout=2,
        # The store builds every parameter itself; checking them again client-side costs
        # tens of milliseconds on a cold start's first call, and DynamoDB checks them anyway.
        parameter_validation=False,
    )
