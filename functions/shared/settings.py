"""A function's settings read from its environment; every error names the variable."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import ConfigError

ENDPOINT = re.compile(r"https?://[^\s/]+.*")
WHOLE = re.compile(r"\d{1,9}")
MIN_KEY_LENGTH = 32


def require(condition: bool, key: str, message: str) -> None:
    """ConfigError naming `key` unless `condition` holds."""
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


def endpoint(env: Mapping[str, str], key: str) -> str | None:
    """An http(s) address to send an AWS client to instead of AWS's own, if set."""
    value = optional(env, key)
    if value is not None and not ENDPOINT.fullmatch(value):
        raise ConfigError(f"{key}: expected a URL like http://127.0.0.1:8000, got {value!r}")
    return value


def whole(env: Mapping[str, str], key: str, default: int) -> int:
    """A whole number, or `default` when unset."""
    value = optional(env, key)
    if value is None:
        return default
    if not WHOLE.fullmatch(value):
        raise ConfigError(f"{key}: expected a whole number, got {value!r}")
    return int(value)


def region(env: Mapping[str, str]) -> str | None:
    """The AWS region Lambda names, if any."""
    return optional(env, "AWS_REGION") or optional(env, "AWS_DEFAULT_REGION")


def require_key(secret: bytes, key: str) -> None:
    """ConfigError unless `secret` is long enough to key an HMAC."""
    require(
        len(secret) >= MIN_KEY_LENGTH,
        key,
        f"must be a secret of at least {MIN_KEY_LENGTH} characters",
    )
