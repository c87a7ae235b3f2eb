"""Configuration, read once from the environment into one frozen object."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from ..shared import settings
from ..shared.settings import (
    MIN_KEY_LENGTH,
    endpoint,
    optional,
    region,
    require,
    require_key,
    required,
)
from .errors import ConfigError

ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$|^https?://\[[0-9a-f:.]+\](:\d{1,5})?$")
WHOLE = (settings.WHOLE, "a whole number")
DECIMAL = (re.compile(r"\d{1,6}(\.\d+)?"), "a number like 3 or 2.5")
Number = TypeVar("Number", int, float)


@dataclass(frozen=True)
class Config:
    """Everything the handler needs to know about its deployment."""

    table_name: str
    ip_hash_key: bytes = field(repr=False)
    consent_version: str
    contact_hash_key: bytes = field(repr=False)
    dynamodb_endpoint: str | None = None
    allowed_origins: frozenset[str] = frozenset()
    retention_days: int = 180
    rate_limit_per_hour: int = 5
    rate_limit_per_day: int = 20
    min_fill_seconds: float = 3.0
    region: str | None = None
    origin_verify_secret: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        require(bool(self.table_name.strip()), "TABLE_NAME", "must not be empty")
        require_key(self.ip_hash_key, "IP_HASH_KEY")
        require_key(self.contact_hash_key, "CONTACT_HASH_KEY")
        require(
            self.origin_verify_secret is None or len(self.origin_verify_secret) >= MIN_KEY_LENGTH,
            "ORIGIN_VERIFY_SECRET",
            f"must be a secret of at least {MIN_KEY_LENGTH} characters, or not set at all",
        )
        require(bool(self.consent_version.strip()), "CONSENT_VERSION", "must not be empty")
        require(self.retention_days >= 1, "RETENTION_DAYS", "must be at least 1")
        require(self.rate_limit_per_hour >= 1, "RATE_LIMIT_PER_HOUR", "must be at least 1")
        require(self.rate_limit_per_day >= 1, "RATE_LIMIT_PER_DAY", "must be at least 1")
        require(
            math.isfinite(self.min_fill_seconds) and self.min_fill_seconds >= 0,
            "MIN_FILL_SECONDS",
            "must be a number of seconds, 0 or more",
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """Read the configuration from environment variables; every error names its key."""
        return cls(
            table_name=required(env, "TABLE_NAME"),
            ip_hash_key=required(env, "IP_HASH_KEY").encode(),
            consent_version=required(env, "CONSENT_VERSION"),
            contact_hash_key=required(env, "CONTACT_HASH_KEY").encode(),
            dynamodb_endpoint=endpoint(env, "DYNAMODB_ENDPOINT"),
            allowed_origins=_origins(env, "ALLOWED_ORIGINS") | _origins(env, "SITE_ORIGIN"),
            retention_days=_number(env, "RETENTION_DAYS", 180),
            rate_limit_per_hour=_number(env, "RATE_LIMIT_PER_HOUR", 5),
            rate_limit_per_day=_number(env, "RATE_LIMIT_PER_DAY", 20),
            min_fill_seconds=_number(env, "MIN_FILL_SECONDS", 3.0),
            region=region(env),
            origin_verify_secret=_secret(env, "ORIGIN_VERIFY_SECRET"),
        )


def _secret(env: Mapping[str, str], key: str) -> bytes | None:
    value = optional(env, key)
    return None if value is None else value.encode()


def _number(env: Mapping[str, str], key: str, default: Number) -> Number:
    """The value as the type of `default`: a whole number for an int, else a decimal one."""
    value = optional(env, key)
    if value is None:
        return default
    pattern, expected = WHOLE if isinstance(default, int) else DECIMAL
    if not pattern.fullmatch(value):
        raise ConfigError(f"{key}: expected {expected}, got {value!r}")
    return type(default)(value)


def _origins(env: Mapping[str, str], key: str) -> frozenset[str]:
    origins = set()
    for item in (env.get(key) or "").split(","):
        origin = item.strip().rstrip("/").lower()
        if not origin:
            continue
        if not ORIGIN.match(origin):
            raise ConfigError(
                f"{key}: {item.strip()!r} is not an origin like https://example.org "
                "(scheme, host and optional port; no path)"
            )
        origins.add(origin)
    return frozenset(origins)
