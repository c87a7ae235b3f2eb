"""Every HTTP response the endpoint gives, and the one table from errors to status codes."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import JSONResponse, Response

from .errors import (
    BadRequest,
    ForbiddenOrigin,
    HelpRequestError,
    IdConflict,
    MethodNotAllowed,
    NotFound,
    NotFromCloudFront,
    PayloadTooLarge,
    RateLimited,
    StorageUnavailable,
    UnsupportedMediaType,
)
from .validation import FieldError

ERRORS: dict[type[HelpRequestError], tuple[int, str]] = {
    BadRequest: (400, "bad_request"),
    ForbiddenOrigin: (403, "forbidden_origin"),
    NotFromCloudFront: (403, "forbidden"),
    NotFound: (404, "not_found"),
    MethodNotAllowed: (405, "method_not_allowed"),
    IdConflict: (409, "id_conflict"),
    PayloadTooLarge: (413, "payload_too_large"),
    UnsupportedMediaType: (415, "unsupported_media_type"),
    RateLimited: (429, "rate_limited"),
    StorageUnavailable: (503, "unavailable"),
}
# What the plain form's error page calls the errors a person can act on: `request.<code>`.
PAGE_CODES = {
    "bad_request": "invalid",
    "id_conflict": "id_conflict",
    "payload_too_large": "too_large",
    "unsupported_media_type": "invalid",
    "rate_limited": "rate_limited",
    "unavailable": "unavailable",
}
# Details that help a developer and say nothing about the person who wrote the request.
SHOWN_DETAILS = (BadRequest, PayloadTooLarge, UnsupportedMediaType)
UNAVAILABLE_RETRY_AFTER = 5
ALLOWED_METHODS = "POST, OPTIONS"
# The site's pages of each form: `/<language>/<page>/thanks/` and `/<language>/<page>/error/`.
ASK_PAGE = "ask"
OFFER_PAGE = "offer-help"
CORS_MAX_AGE = "600"


def error_code(exc: HelpRequestError) -> tuple[int, str]:
    """The HTTP status and the stable code of an error."""
    for error_type, status_and_code in ERRORS.items():
        if isinstance(exc, error_type):
            return status_and_code
    return 503, "unavailable"


def error_response(exc: HelpRequestError) -> Response:
    """The JSON response for an error: `{"error": code}`, plus headers some codes need."""
    status, code = error_code(exc)
    body: dict[str, str] = {"error": code}
    if isinstance(exc, SHOWN_DETAILS):
        body["detail"] = str(exc)
    response = JSONResponse(body, status_code=status)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    elif status == 503:
        response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    elif isinstance(exc, MethodNotAllowed):
        response.headers["Allow"] = ALLOWED_METHODS
    return response


def received(request_id: str, *, status: int) -> Response:
    """201 for a new request, 200 for the same request sent again."""
    return JSONResponse({"id": request_id, "status": "received"}, status_code=status)


def invalid(errors: list[FieldError]) -> Response:
    """422 listing every failing field with its code."""
    body = {"errors": [{"field": error.field, "code": error.code} for error in errors]}
    return JSONResponse(body, status_code=422)


def see_other(location: str) -> Response:
    """303, so the browser fetches the next page with GET."""
    return Response(status_code=303, headers={"Location": location})


def thanks_location(page: str, language: str, origin: str | None) -> str:
    """The form's thank-you page in the request's language."""
    return f"{origin or ''}/{language}/{page}/thanks/"


def error_location(page: str, language: str, errors: list[FieldError], origin: str | None) -> str:
    """The form's error page, told which fields failed and why."""
    codes = ",".join(error.label() for error in errors)
    return f"{origin or ''}/{language}/{page}/error/?errors={codes}"


def refusal_location(page: str, language: str, code: str, origin: str | None) -> str:
    """The form's error page for a request refused as a whole, its item the URL's target."""
    # The fragment lets the page show only this item even without JavaScript (CSS :target).
    return f"{origin or ''}/{language}/{page}/error/?errors=request.{code}#error-request-{code}"


@dataclass
class Reply:
    """How to answer this client: JSON for a script, a page to go to for the plain form."""

    # Learnt as the request is read: the body's kind and language refine the first guess.
    as_json: bool
    language: str
    origin: str | None = None
    page: str = ASK_PAGE

    def received(self, request_id: str, *, status: int = 201) -> Response:
        """The request is stored (or, for a robot, seems to be)."""
        if self.as_json:
            return received(request_id, status=status)
        return see_other(thanks_location(self.page, self.language, self.origin))

    def invalid(self, errors: list[FieldError]) -> Response:
        """Some fields failed validation."""
        if self.as_json:
            return invalid(errors)
        return see_other(error_location(self.page, self.language, errors, self.origin))

    def refused(self, exc: HelpRequestError) -> Response:
        """The request as a whole was refused: the JSON error, or the error page that says so."""
        page_code = PAGE_CODES.get(error_code(exc)[1])
        if self.as_json or page_code is None:
            return error_response(exc)
        return see_other(refusal_location(self.page, self.language, page_code, self.origin))


def preflight(origin: str | None) -> Response:
    """The answer to an OPTIONS request (a CORS preflight when it has an `Origin`)."""
    headers = {"Allow": ALLOWED_METHODS}
    if origin is not None:
        headers["Access-Control-Allow-Methods"] = "POST"
        headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
        headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    return Response(status_code=204, headers=headers)


def finish(response: Response, *, request_id: str, origin: str | None) -> Response:
    """Headers every response carries: never cached, never sniffed, traceable, CORS."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Request-Id"] = request_id
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response
