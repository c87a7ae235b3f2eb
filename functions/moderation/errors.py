"""Errors of the moderators' tools; the base class and the storage error are shared."""

from __future__ import annotations

from ..shared.errors import HelpRequestError as HelpRequestError
from ..shared.errors import StorageUnavailable as StorageUnavailable


class RequestNotFound(HelpRequestError):
    """No stored, unexpired request has this id."""
