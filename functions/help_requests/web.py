"""Read what the handler needs from an HTTP request: origin, sender, preferences."""

from __future__ import annotations

import hmac
import re

from starlette.datastructures import Headers

from .errors import ForbiddenOrigin

# CloudFront adds this header, with a secret value, to every request it sends the API.
ORIGIN_VERIFY_HEADER = "x-origin-verify"
ENDPOINT = re.compile(r"^(/[^/]+)?/api/(help-requests|helper-offers)/?$")


def endpoint(path: str) -> str | None:
    """`help-requests` or `helper-offers`, also behind an API Gateway stage or a mount prefix."""
    match = ENDPOINT.match(path)
    return match.group(2) if match else None


def own_origin(headers: Headers, scheme: str) -> str:
    """The origin the request was sent to, from `Host` and the forwarded scheme."""
    proto = headers.get("x-forwarded-proto", scheme).split(",")[0].strip()
    return f"{proto}://{headers.get('host', '')}".lower()


def checked_origin(headers: Headers, scheme: str, allowed: frozenset[str]) -> str | None:
    """The request's `Origin` if it may post here, None if it has none; else ForbiddenOrigin."""
    origin = headers.get("origin")
    if origin is None:
        return None
    origin = origin.strip().lower()
    if origin in allowed or origin == own_origin(headers, scheme):
        return origin
    raise ForbiddenOrigin(origin)


def from_cloudfront(headers: Headers, secret: bytes) -> bool:
    """Whether the request carries CloudFront's secret origin header, compared in constant time."""
    given = headers.get(ORIGIN_VERIFY_HEADER, "").encode("latin-1")
    return hmac.compare_digest(given, secret)


def wants_json(headers: Headers) -> bool:
    """Whether the client asked for JSON rather than a page to go to."""
    return "json" in headers.get("accept", "").lower()


def wants_page(headers: Headers) -> bool:
    """Whether a browser is navigating: it asks for HTML and not for JSON."""
    accept = headers.get("accept", "").lower()
    return "text/html" in accept and "json" not in accept


def sender_address(headers: Headers, client_host: str | None) -> str | None:
    """The viewer's IP: CloudFront's `CloudFront-Viewer-Address` when it forwards one."""
    # Trusted because CloudFront replaces any such header a viewer sends, and a deployment
    # refuses requests that bypass CloudFront (see `from_cloudfront`).
    viewer = headers.get("cloudfront-viewer-address")
    if viewer:
        # "198.51.100.10:46532" or "2001:db8::1:46532": the port follows the last colon.
        return viewer.rsplit(":", 1)[0].strip("[]")
    return client_host
