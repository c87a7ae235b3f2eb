"""Errors of the moderators' tools; `responses.py` maps each to an HTTP status."""

from __future__ import annotations

from dataclasses import dataclass

# Shared with the public function: the base class, storage and the body's errors.
from ..shared.errors import BadRequest as BadRequest
from ..shared.errors import ConfigError as ConfigError
from ..shared.errors import HelpRequestError as HelpRequestError
from ..shared.errors import PayloadTooLarge as PayloadTooLarge
from ..shared.errors import StorageUnavailable as StorageUnavailable
from ..shared.errors import UnsupportedMediaType as UnsupportedMediaType


class RequestNotFound(HelpRequestError):
    """No stored, unexpired request has this id."""


@dataclass(frozen=True)
class FieldError:
    """One failing field or parameter and its stable error code."""

    field: str
    code: str


class Invalid(HelpRequestError):
    """Some fields or parameters failed validation; each with its code."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__(", ".join(f"{error.field}.{error.code}" for error in errors))
        self.errors = list(errors)


class Unauthorized(HelpRequestError):
    """No claims came with the request: API Gateway's authorizer did not pass it."""


class Forbidden(HelpRequestError):
    """Signed in, but not in the moderators' group."""


class NotFound(HelpRequestError):
    """No route at this path."""


class MethodNotAllowed(HelpRequestError):
    """The route exists, but not for this method."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


class HelperNotFound(HelpRequestError):
    """No stored, unexpired helper's offer has this id."""


class IntroductionRefused(HelpRequestError):
    """The helper cannot be introduced to the request now; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
