"""Configuration, read once from the environment into one frozen object."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..shared.settings import required
from .errors import ConfigError

TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")
INBOX_URL = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?/")


@dataclass(frozen=True)
class Config:
    """Where notifications go, and where their links point."""

    topic_arn: str
    inbox_url: str

    def __post_init__(self) -> None:
        if not TOPIC_ARN.fullmatch(self.topic_arn):
            raise ConfigError(
                "TOPIC_ARN: expected an SNS topic ARN like "
                f"arn:aws:sns:eu-central-1:123456789012:moderators, got {self.topic_arn!r}"
            )
        if not INBOX_URL.fullmatch(self.inbox_url):
            raise ConfigError(
                "INBOX_URL: expected the inbox's address ending in /, like "
                f"https://example.org/admin/, got {self.inbox_url!r}"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """Read the configuration from environment variables; every error names its key."""
        return cls(topic_arn=required(env, "TOPIC_ARN"), inbox_url=required(env, "INBOX_URL"))
