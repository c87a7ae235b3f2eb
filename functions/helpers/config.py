"""Configuration, read once from the environment into one frozen object."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..shared.settings import endpoint, optional, region, require, require_key, required, whole

SITE_URL = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*[^\s?#/])?")
SECRET_ID = re.compile(r"[A-Za-z0-9/_+=.@:-]{1,2048}")
MAIL_FROM = re.compile(r"[^\r\n<>]*<?[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>?")
Clock = Callable[[], float]


@dataclass(frozen=True)
class Config:
    """Everything the helpers' function needs to know about its deployment."""

    table_name: str
    site_url: str
    link_key_secret: str
    contact_hash_key: bytes = field(repr=False)
    mail_configuration_set: str
    # None until the deployment has a sending domain: the pages work, sending mail says why not.
    mail_from: str | None = None
    mail_assets: Path | None = None
    helper_retention_days: int = 365
    dynamodb_endpoint: str | None = None
    ses_endpoint: str | None = None
    secrets_endpoint: str | None = None
    region: str | None = None
    clock: Clock = field(default=time.time, compare=False)

    def __post_init__(self) -> None:
        require(bool(self.table_name.strip()), "TABLE_NAME", "must not be empty")
        require(
            SITE_URL.fullmatch(self.site_url) is not None,
            "SITE_URL",
            f"expected the site's address without a trailing /, like https://example.org, "
            f"got {self.site_url!r}",
        )
        require(
            SECRET_ID.fullmatch(self.link_key_secret) is not None,
            "LINK_KEY_SECRET_ARN",
            "expected a Secrets Manager secret's ARN or name",
        )
        require_key(self.contact_hash_key, "CONTACT_HASH_KEY")
        require(
            self.mail_from is None or MAIL_FROM.fullmatch(self.mail_from) is not None,
            "MAIL_FROM",
            f"expected an address like 'Ask for Help <hello@example.org>', got {self.mail_from!r}",
        )
        require(
            bool(self.mail_configuration_set.strip()), "MAIL_CONFIGURATION_SET", "must not be empty"
        )
        require(self.helper_retention_days >= 1, "HELPER_RETENTION_DAYS", "must be at least 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str], clock: Clock = time.time) -> Config:
        """Read the configuration from environment variables; every error names its key."""
        assets = optional(env, "MAIL_ASSETS")
        return cls(
            table_name=required(env, "TABLE_NAME"),
            site_url=required(env, "SITE_URL").rstrip("/"),
            link_key_secret=required(env, "LINK_KEY_SECRET_ARN"),
            contact_hash_key=required(env, "CONTACT_HASH_KEY").encode(),
            mail_from=optional(env, "MAIL_FROM"),
            mail_configuration_set=required(env, "MAIL_CONFIGURATION_SET"),
            mail_assets=None if assets is None else Path(assets),
            helper_retention_days=whole(env, "HELPER_RETENTION_DAYS", 365),
            dynamodb_endpoint=endpoint(env, "DYNAMODB_ENDPOINT"),
            ses_endpoint=endpoint(env, "SES_ENDPOINT"),
            secrets_endpoint=endpoint(env, "SECRETS_ENDPOINT"),
            region=region(env),
            clock=clock,
        )
