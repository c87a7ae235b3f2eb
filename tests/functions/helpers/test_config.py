"""The function's configuration: read once from the environment, every error naming its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.helpers.config import Config
from functions.helpers.errors import ConfigError

ENV = {
    "TABLE_NAME": "help-requests",
    "SITE_URL": "https://ask.example.org/",
    "LINK_KEY_SECRET_ARN": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:links-AbC",
    "CONTACT_HASH_KEY": "contact-key-0123456789abcdef-0123456789",
    "MAIL_FROM": "Ask for Help <hello@ask.example.org>",
    "MAIL_CONFIGURATION_SET": "ask-for-help",
}


def test_a_full_environment_is_read_with_defaults() -> None:
    config = Config.from_env({**ENV, "MAIL_ASSETS": "/opt/assets"}, clock=lambda: 5.0)
    assert config.site_url == "https://ask.example.org"
    assert config.mail_assets == Path("/opt/assets")
    assert config.helper_retention_days == 365
    assert config.dynamodb_endpoint is None
    assert config.clock() == 5.0
    assert "contact-key" not in repr(config)


def test_without_a_sender_the_pages_still_work_and_mail_says_why_not() -> None:
    env = {name: value for name, value in ENV.items() if name != "MAIL_FROM"}
    assert Config.from_env(env).mail_from is None


@pytest.mark.parametrize("key", sorted(set(ENV) - {"MAIL_FROM"}))
def test_each_missing_setting_is_named(key: str) -> None:
    env = {name: value for name, value in ENV.items() if name != key}
    with pytest.raises(ConfigError, match=f"^{key}: missing; set this environment variable$"):
        Config.from_env(env)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("SITE_URL", "ask.example.org", "SITE_URL: expected the site's address"),
        ("CONTACT_HASH_KEY", "short", "CONTACT_HASH_KEY: must be a secret of at least 32"),
        ("MAIL_FROM", "nobody", "MAIL_FROM: expected an address like"),
        ("LINK_KEY_SECRET_ARN", "a b", "LINK_KEY_SECRET_ARN: expected a Secrets Manager"),
        ("HELPER_RETENTION_DAYS", "a year", "HELPER_RETENTION_DAYS: expected a whole number"),
        ("HELPER_RETENTION_DAYS", "0", "HELPER_RETENTION_DAYS: must be at least 1"),
        ("DYNAMODB_ENDPOINT", "localhost:8000", "DYNAMODB_ENDPOINT: expected a URL"),
        ("SES_ENDPOINT", "moto", "SES_ENDPOINT: expected a URL"),
    ],
)
def test_each_malformed_setting_is_named(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"^{message}"):
        Config.from_env({**ENV, key: value})
