"""Every HTTP response of the moderators' API, and the one table from errors to status codes."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from .errors import (
    BadRequest,
    Forbidden,
    HelperNotFound,
    HelpRequestError,
    IntroductionRefused,
    Invalid,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RequestNotFound,
    StorageUnavailable,
    Unauthorized,
    UnsupportedMediaType,
)
from .records import VersionConflict

ERRORS: dict[type[HelpRequestError], tuple[int, str]] = {
    BadRequest: (400, "bad_request"),
    Unauthorized: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    NotFound: (404, "not_found"),
    RequestNotFound: (404, "not_found"),
    HelperNotFound: (404, "not_found"),
    MethodNotAllowed: (405, "method_not_allowed"),
    VersionConflict: (409, "version_conflict"),
    PayloadTooLarge: (413, "payload_too_large"),
    UnsupportedMediaType: (415, "unsupported_media_type"),
    Invalid: (422, "invalid"),
    StorageUnavailable: (503, "unavailable"),
}
UNAVAILABLE_RETRY_AFTER = 5


def error_code(exc: HelpRequestError) -> tuple[int, str]:
    """The HTTP status and the stable code of an error; anything unforeseen is a 503."""
    if isinstance(exc, IntroductionRefused):
        return 409, exc.code
    for error_type, status_and_code in ERRORS.items():
        if isinstance(exc, error_type):
            return status_and_code
    return 503, "unavailable"


def error_response(exc: HelpRequestError) -> Response:
    """The JSON answer to an error, with the headers its status needs."""
    status, code = error_code(exc)
    body: dict[str, Any] = {"error": code}
    if isinstance(exc, Invalid):
        body = {"errors": [{"field": e.field, "code": e.code} for e in exc.errors]}
    elif isinstance(exc, VersionConflict):
        body["request"] = exc.current.record()
    response = JSONResponse(body, status_code=status)
    if status == 503:
        response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    elif isinstance(exc, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(exc.allowed)
    return response


def json_data(data: Any, status: int = 200) -> Response:
    """200 (or `status`) with a JSON body."""
    return JSONResponse(data, status_code=status)


def download(content: bytes, media_type: str, filename: str) -> Response:
    """200 with a file the browser saves instead of showing."""
    disposition = f'attachment; filename="{filename}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def finish(response: Response, *, request_id: str) -> Response:
    """Headers every answer carries: never cached, never sniffed, traceable."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Request-Id"] = request_id
    return response
