"""Errors of the notifier; the base class is shared with the other functions."""

from __future__ import annotations

from ..shared.errors import HelpRequestError as HelpRequestError


class ConfigError(HelpRequestError):
    """A configuration value is missing or malformed; the message names the key."""


class PublishFailed(HelpRequestError):
    """SNS refused or did not answer; the message is AWS's error code, never the text sent."""
