"""The notifier's configuration: every error names its key."""

from __future__ import annotations

import pytest

from functions.notifier.config import Config
from functions.notifier.errors import ConfigError

TOPIC = "arn:aws:sns:eu-central-1:123456789012:ask-for-help-ModeratorsTopic-1A2B3C"
INBOX = "https://ask.example.org/admin/"


def test_the_settings_are_read_from_the_environment() -> None:
    config = Config.from_env({"TOPIC_ARN": f" {TOPIC} ", "INBOX_URL": INBOX})

    assert config == Config(topic_arn=TOPIC, inbox_url=INBOX)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INBOX_URL": INBOX}, "TOPIC_ARN: missing; set this environment variable"),
        (
            {"TOPIC_ARN": TOPIC, "INBOX_URL": "  "},
            "INBOX_URL: missing; set this environment variable",
        ),
        (
            {"TOPIC_ARN": "moderators", "INBOX_URL": INBOX},
            "TOPIC_ARN: expected an SNS topic ARN like "
            "arn:aws:sns:eu-central-1:123456789012:moderators, got 'moderators'",
        ),
        (
            {"TOPIC_ARN": TOPIC, "INBOX_URL": "https://ask.example.org/admin"},
            "INBOX_URL: expected the inbox's address ending in /, like "
            "https://example.org/admin/, got 'https://ask.example.org/admin'",
        ),
        (
            {"TOPIC_ARN": TOPIC, "INBOX_URL": "ask.example.org/admin/"},
            "INBOX_URL: expected the inbox's address ending in /, like "
            "https://example.org/admin/, got 'ask.example.org/admin/'",
        ),
    ],
)
def test_a_wrong_setting_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_env(env)

    assert str(raised.value) == message
