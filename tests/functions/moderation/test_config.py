"""The moderators' function's configuration: defaults, and errors that name the key."""

from __future__ import annotations

import re

import pytest

from functions.moderation.config import Config
from functions.moderation.errors import ConfigError

KEY = "c0ntact-c0ntact-c0ntact-c0ntact-c0ntact"
REQUIRED = {"TABLE_NAME": "help-requests", "CONTACT_HASH_KEY": KEY}


def test_defaults_and_every_setting() -> None:
    assert Config.from_env(REQUIRED) == Config(
        table_name="help-requests", contact_hash_key=KEY.encode()
    )
    config = Config.from_env(
        {
            **REQUIRED,
            "RETENTION_DAYS": "90",
            "DYNAMODB_ENDPOINT": "http://127.0.0.1:8001",
            "AWS_REGION": "eu-central-1",
        }
    )
    assert (config.retention_days, config.dynamodb_endpoint, config.region) == (
        90,
        "http://127.0.0.1:8001",
        "eu-central-1",
    )
    assert Config.from_env(REQUIRED).retention_days == 180
    assert KEY not in repr(config)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"TABLE_NAME": " "}, "TABLE_NAME: missing; set this environment variable"),
        ({"CONTACT_HASH_KEY": ""}, "CONTACT_HASH_KEY: missing; set this environment variable"),
        (
            {"CONTACT_HASH_KEY": "short"},
            "CONTACT_HASH_KEY: must be a secret of at least 32 characters",
        ),
        (
            {"RETENTION_DAYS": "half a year"},
            "RETENTION_DAYS: expected a whole number, got 'half a year'",
        ),
        ({"RETENTION_DAYS": "0"}, "RETENTION_DAYS: must be at least 1"),
        (
            {"DYNAMODB_ENDPOINT": "localhost:8000"},
            "DYNAMODB_ENDPOINT: expected a URL like http://127.0.0.1:8000, got 'localhost:8000'",
        ),
    ],
)
def test_a_bad_value_is_an_error_naming_the_key(change: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        Config.from_env({**REQUIRED, **change})
