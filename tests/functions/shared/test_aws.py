"""One client factory: the Lambda's, the command line's and DynamoDB Local's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from functions.help_requests import Config
from functions.moderation.cli import _client
from functions.shared.aws import dynamodb_client
from sitegen.serve.dynamodb_local import local_client

UNUSED = "http://127.0.0.1:9"


def lambda_config(endpoint: str | None = None, region: str | None = "eu-west-1") -> Config:
    return Config(
        table_name="help-requests",
        ip_hash_key=b"k" * 32,
        consent_version="1",
        contact_hash_key=b"c" * 32,
        dynamodb_endpoint=endpoint,
        region=region,
    )


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No keys in the environment or in files, as on a machine without AWS set up."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_the_lambdas_client_retries_three_times_with_short_timeouts() -> None:
    client = dynamodb_client(lambda_config())

    config: Any = client.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert (config.connect_timeout, config.read_timeout) == (1, 2)
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"


def test_a_local_endpoint_without_a_region_gets_one() -> None:
    client = dynamodb_client(lambda_config(UNUSED, region=None))
    assert (client.meta.endpoint_url, client.meta.region_name) == (UNUSED, "eu-central-1")


def test_the_command_line_waits_longer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-north-1")
    client = _client(None)

    config: Any = client.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert (config.connect_timeout, config.read_timeout) == (5, 10)
    assert client.meta.region_name == "eu-north-1"


@pytest.mark.dynamodb
def test_only_the_lambda_leaves_checking_parameters_to_dynamodb(
    dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    bad: Any = {"Limit": "many"}
    with pytest.raises(ClientError):
        dynamodb_client(lambda_config(dynamodb_endpoint)).list_tables(**bad)
    with pytest.raises(ParamValidationError):
        _client(dynamodb_endpoint).list_tables(**bad)
    with pytest.raises(ParamValidationError):
        local_client(dynamodb_endpoint).list_tables(**bad)


@pytest.mark.dynamodb
@pytest.mark.usefixtures("no_aws_credentials")
def test_dynamodb_local_needs_no_aws_keys(dynamodb_endpoint: str) -> None:
    client = local_client(dynamodb_endpoint)

    assert "TableNames" in client.list_tables(Limit=1)
    config: Any = client.meta.config
    assert (config.max_pool_connections, config.read_timeout) == (64, 5)
