"""Errors of the help-request handler; `responses.py` maps each to an HTTP status."""

from __future__ import annotations

# Shared with the moderators' tools: the base class, storage and the body's errors.
from ..shared.errors import BadRequest as BadRequest
from ..shared.errors import ConfigError as ConfigError
from ..shared.errors import HelpRequestError as HelpRequestError
from ..shared.errors import PayloadTooLarge as PayloadTooLarge
from ..shared.errors import StorageUnavailable as StorageUnavailable
from ..shared.errors import UnsupportedMediaType as UnsupportedMediaType


class ForbiddenOrigin(HelpRequestError):
    """The `Origin` header names a site that may not post here."""


class NotFromCloudFront(HelpRequestError):
    """The request lacks the secret header CloudFront adds: it did not come through the site."""


class IdConflict(HelpRequestError):
    """The request id is already stored with different content."""


class RateLimited(HelpRequestError):
    """The sender has used up the submissions allowed for now."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited; retry after {retry_after} s")
        self.retry_after = retry_after


class NotFound(HelpRequestError):
    """No endpoint at this path."""


class MethodNotAllowed(HelpRequestError):
    """The endpoint takes POST (and OPTIONS for CORS preflight) only."""
