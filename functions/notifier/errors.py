"""Errors of the notifier; the base class is shared with the other functions."""

from __future__ import annotations

from ..shared.errors import ConfigError as ConfigError
from ..shared.errors import HelpRequestError as HelpRequestError


class PublishFailed(HelpRequestError):
    """SNS refused or did not answer; the message is AWS's error code, never the text sent."""
