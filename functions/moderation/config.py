"""Configuration of the moderators' function, read once from the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import ConfigError

MIN_KEY_LENGTH = 32
DEFAULT_RETENTION_DAYS = 180


@dataclass(frozen=True)
class Config:
    """Where the table is, and the secret its contacts are hashed with."""

    table_name: str
    contact_hash_key: bytes = field(repr=False)
    retention_days: int = DEFAULT_RETENTION_DAYS
    dynamodb_endpoint: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        _require(bool(self.table_name.strip()), "TABLE_NAME", "must not be empty")
        _require(
            len(self.contact_hash_key) >= MIN_KEY_LENGTH,
            "CONTACT_HASH_KEY",
            f"must be a secret of at least {MIN_KEY_LENGTH} characters",
        )
        _require(self.retention_days >= 1, "RETENTION_DAYS", "must be at least 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """Read the configuration from environment variables; every error names its key."""
        return cls(
            table_name=required(env, "TABLE_NAME"),
            contact_hash_key=required(env, "CONTACT_HASH_KEY").encode(),
            retention_days=retention_days(env),
            dynamodb_endpoint=_endpoint(env, "DYNAMODB_ENDPOINT"),
            region=optional(env, "AWS_REGION") or optional(env, "AWS_DEFAULT_REGION"),
        )


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"{key}: {message}")


def optional(env: Mapping[str, str], key: str) -> str | None:
    """The value without surrounding space; None when unset or blank."""
    value = env.get(key, "").strip()
    return value or None


def required(env: Mapping[str, str], key: str) -> str:
    """The value; ConfigError naming the key when it is unset or blank."""
    value = optional(env, key)
    if value is None:
        raise ConfigError(f"{key}: missing; set this environment variable")
    return value


def retention_days(env: Mapping[str, str]) -> int:
    """RETENTION_DAYS, the same number the public function keeps requests for."""
    value = optional(env, "RETENTION_DAYS")
    if value is None:
        return DEFAULT_RETENTION_DAYS
    if not re.fullmatch(r"\d{1,9}", value):
        raise ConfigError(f"RETENTION_DAYS: expected a whole number, got {value!r}")
    return int(value)


def _endpoint(env: Mapping[str, str], key: str) -> str | None:
    value = optional(env, key)
    if value is not None and not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"{key}: expected a URL like http://127.0.0.1:8000, got {value!r}")
    return value
