"""The errors both functions raise; each function's `errors.py` adds its own."""

from __future__ import annotations


class HelpRequestError(Exception):
    """Base class of every error the functions raise on purpose."""


class BadRequest(HelpRequestError):
    """The body is not well-formed JSON or form data."""


class PayloadTooLarge(HelpRequestError):
    """The body is larger than the limit."""


class UnsupportedMediaType(HelpRequestError):
    """The body is of a type the function does not take."""


class StorageUnavailable(HelpRequestError):
    """DynamoDB failed or timed out; nothing was stored or changed."""


class ConfigError(HelpRequestError):
    """A configuration value is missing or malformed; the message names the key."""
