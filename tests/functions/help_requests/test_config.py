"""Configuration from the environment: defaults, and errors that name the key."""

from __future__ import annotations

import re

import pytest

from functions.help_requests.config import Config
from functions.help_requests.errors import ConfigError

SECRET = "s3cret-s3cret-s3cret-s3cret-s3cret!"
CONTACT_SECRET = "c0ntact-c0ntact-c0ntact-c0ntact-c0ntact"
ORIGIN_SECRET = "Origin0Verify0Secret0With0Forty0Characters"
REQUIRED = {
    "TABLE_NAME": "help-requests",
    "IP_HASH_KEY": SECRET,
    "CONSENT_VERSION": "2019-12-01",
    "CONTACT_HASH_KEY": CONTACT_SECRET,
}


def test_defaults() -> None:
    config = Config.from_env(REQUIRED)

    assert config == Config(
        table_name="help-requests",
        ip_hash_key=SECRET.encode(),
        consent_version="2019-12-01",
        contact_hash_key=CONTACT_SECRET.encode(),
    )
    assert (config.retention_days, config.rate_limit_per_hour, config.rate_limit_per_day) == (
        180,
        5,
        20,
    )
    assert config.min_fill_seconds == 3.0
    assert config.allowed_origins == frozenset()
    assert config.dynamodb_endpoint is None
    assert config.origin_verify_secret is None


def test_every_setting() -> None:
    config = Config.from_env(
        {
            **REQUIRED,
            "DYNAMODB_ENDPOINT": "http://127.0.0.1:8000",
            "ALLOWED_ORIGINS": " https://Preview.example.org/ , http://localhost:8080",
            "SITE_ORIGIN": "https://ask.example.org",
            "RETENTION_DAYS": "90",
            "RATE_LIMIT_PER_HOUR": "3",
            "RATE_LIMIT_PER_DAY": "10",
            "MIN_FILL_SECONDS": "2.5",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "ORIGIN_VERIFY_SECRET": f" {ORIGIN_SECRET} ",
        }
    )

    assert config.dynamodb_endpoint == "http://127.0.0.1:8000"
    assert config.allowed_origins == {
        "https://preview.example.org",
        "http://localhost:8080",
        "https://ask.example.org",
    }
    assert (config.retention_days, config.rate_limit_per_hour, config.rate_limit_per_day) == (
        90,
        3,
        10,
    )
    assert config.min_fill_seconds == 2.5
    assert type(config.retention_days) is int
    whole_seconds = Config.from_env({**REQUIRED, "MIN_FILL_SECONDS": "4"})
    assert type(whole_seconds.min_fill_seconds) is float
    assert config.region == "eu-west-1"
    assert config.origin_verify_secret == ORIGIN_SECRET.encode()


def test_the_secrets_never_show_in_the_repr() -> None:
    shown = repr(Config.from_env({**REQUIRED, "ORIGIN_VERIFY_SECRET": ORIGIN_SECRET}))
    assert SECRET not in shown
    assert ORIGIN_SECRET not in shown
    assert CONTACT_SECRET not in shown


def test_an_empty_origin_secret_is_no_secret() -> None:
    assert Config.from_env({**REQUIRED, "ORIGIN_VERIFY_SECRET": "  "}).origin_verify_secret is None


NOT_AN_ORIGIN = (
    "is not an origin like https://example.org (scheme, host and optional port; no path)"
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"TABLE_NAME": ""}, "TABLE_NAME: missing; set this environment variable"),
        ({"IP_HASH_KEY": "  "}, "IP_HASH_KEY: missing; set this environment variable"),
        ({"IP_HASH_KEY": "short"}, "IP_HASH_KEY: must be a secret of at least 32 characters"),
        ({"CONSENT_VERSION": ""}, "CONSENT_VERSION: missing; set this environment variable"),
        ({"CONTACT_HASH_KEY": ""}, "CONTACT_HASH_KEY: missing; set this environment variable"),
        (
            {"CONTACT_HASH_KEY": "short"},
            "CONTACT_HASH_KEY: must be a secret of at least 32 characters",
        ),
        (
            {"ORIGIN_VERIFY_SECRET": "short"},
            "ORIGIN_VERIFY_SECRET: must be a secret of at least 32 characters, or not set at all",
        ),
        ({"RETENTION_DAYS": "6 months"}, "RETENTION_DAYS: expected a whole number, got '6 months'"),
        ({"RETENTION_DAYS": "0"}, "RETENTION_DAYS: must be at least 1"),
        ({"RATE_LIMIT_PER_HOUR": "-1"}, "RATE_LIMIT_PER_HOUR: expected a whole number, got '-1'"),
        ({"RATE_LIMIT_PER_DAY": "0"}, "RATE_LIMIT_PER_DAY: must be at least 1"),
        (
            {"MIN_FILL_SECONDS": "fast"},
            "MIN_FILL_SECONDS: expected a number like 3 or 2.5, got 'fast'",
        ),
        (
            {"DYNAMODB_ENDPOINT": "localhost:8000"},
            "DYNAMODB_ENDPOINT: expected a URL like http://127.0.0.1:8000, got 'localhost:8000'",
        ),
        (
            {"ALLOWED_ORIGINS": "https://a.example,ftp://b.example"},
            f"ALLOWED_ORIGINS: 'ftp://b.example' {NOT_AN_ORIGIN}",
        ),
        (
            {"SITE_ORIGIN": "https://ask.example.org/de/"},
            f"SITE_ORIGIN: 'https://ask.example.org/de/' {NOT_AN_ORIGIN}",
        ),
    ],
)
def test_a_bad_value_is_an_error_naming_the_key(change: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        Config.from_env({**REQUIRED, **change})


def test_a_config_built_in_code_is_checked_too() -> None:
    with pytest.raises(ConfigError, match=r"^RATE_LIMIT_PER_HOUR: must be at least 1$"):
        Config(
            table_name="t",
            ip_hash_key=SECRET.encode(),
            consent_version="1",
            contact_hash_key=CONTACT_SECRET.encode(),
            rate_limit_per_hour=0,
        )
