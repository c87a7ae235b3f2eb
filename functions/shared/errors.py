"""The errors both functions raise; each function's `errors.py` adds its own."""

from __future__ import annotations


class HelpRequestError(Exception):
    """Base class of every error the functions raise on purpose."""


class StorageUnavailable(HelpRequestError):
    """DynamoDB failed or timed out; nothing was stored or changed."""
