"""Errors of the helpers' function; the base class and storage's are shared."""

from __future__ import annotations

from ..shared.errors import ConfigError as ConfigError
from ..shared.errors import HelpRequestError as HelpRequestError
from ..shared.errors import StorageUnavailable as StorageUnavailable


class Gone(HelpRequestError):
    """The item a link names is not there any more (erased, withdrawn or expired)."""


class Stale(HelpRequestError):
    """The item changed since the link was made: the link was used, or overtaken."""
