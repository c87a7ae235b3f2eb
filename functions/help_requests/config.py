"""Configuration, read once from the environment into one frozen object."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import ConfigError

ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$|^https?://\[[0-9a-f:.]+\](:\d{1,5})?$")
MIN_KEY_LENGTH = 32
WHOLE = (re.compile(r"\d{1,9}"), "a whole number")
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
        _require(bool(self.table_name.strip()), "TABLE_NAME", "must not be empty")
        _require(
            len(self.ip_hash_key) >= MIN_KEY_LENGTH,
            "IP_HASH_KEY",
            f"must be a secret of at least {MIN_KEY_LENGTH} characters",
        )
        _require(
            len(self.contact_hash_key) >= MIN_KEY_LENGTH,
            "CONTACT_HASH_KEY",
            f"must be a secret of at least {MIN_KEY_LENGTH} characters",
        )
        _require(
            self.origin_verify_secret is None or len(self.origin_verify_secret) >= MIN_KEY_LENGTH,
            "ORIGIN_VERIFY_SECRET",
            f"must be a secret of at least {MIN_KEY_LENGTH} characters, or not set at all",
        )
        _require(bool(self.consent_version.strip()), "CONSENT_VERSION", "must not be empty")
        _require(self.retention_days >= 1, "RETENTION_DAYS", "must be at least 1")
        _require(self.rate_limit_per_hour >= 1, "RATE_LIMIT_PER_HOUR", "must be at least 1")
        _require(self.rate_limit_per_day >= 1, "RATE_LIMIT_PER_DAY", "must be at least 1")
        _require(
            math.isfinite(self.min_fill_seconds) and self.min_fill_seconds >= 0,
            "MIN_FILL_SECONDS",
            "must be a number of seconds, 0 or more",
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """Read the configuration from environment variables; every error names its key."""
        return cls(
            table_name=_required(env, "TABLE_NAME"),
            ip_hash_key=_required(env, "IP_HASH_KEY").encode(),
            consent_version=_required(env, "CONSENT_VERSION"),
            contact_hash_key=_required(env, "CONTACT_HASH_KEY").encode(),
            dynamodb_endpoint=_endpoint(env, "DYNAMODB_ENDPOINT"),
            allowed_origins=_origins(env, "ALLOWED_ORIGINS") | _origins(env, "SITE_ORIGIN"),
            retention_days=_number(env, "RETENTION_DAYS", 180),
            rate_limit_per_hour=_number(env, "RATE_LIMIT_PER_HOUR", 5),
            rate_limit_per_day=_number(env, "RATE_LIMIT_PER_DAY", 20),
            min_fill_seconds=_number(env, "MIN_FILL_SECONDS", 3.0),
            region=_optional(env, "AWS_REGION") or _optional(env, "AWS_DEFAULT_REGION"),
            origin_verify_secret=_secret(env, "ORIGIN_VERIFY_SECRET"),
        )


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"{key}: {message}")


def _optional(env: Mapping[str, str], key: str) -> str | None:
    value = env.get(key, "").strip()
    return value or None


def _required(env: Mapping[str, str], key: str) -> str:
    value = _optional(env, key)
    if value is None:
        raise ConfigError(f"{key}: missing; set this environment variable")
    return value


def _secret(env: Mapping[str, str], key: str) -> bytes | None:
    value = _optional(env, key)
    return None if value is None else value.encode()


def _number(env: Mapping[str, str], key: str, default: Number) -> Number:
    """The value as the type of `default`: a whole number for an int, else a decimal one."""
    value = _optional(env, key)
    if value is None:
        return default
    pattern, expected = WHOLE if isinstance(default, int) else DECIMAL
    if not pattern.fullmatch(value):
        raise ConfigError(f"{key}: expected {expected}, got {value!r}")
    return type(default)(value)


def _endpoint(env: Mapping[str, str], key: str) -> str | None:
    value = _optional(env, key)
    if value is not None and not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"{key}: expected a URL like http://127.0.0.1:8000, got {value!r}")
    return value


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
