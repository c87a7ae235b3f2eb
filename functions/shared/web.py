"""Read a request's body, as both functions do: whole, and never past a limit."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request

from .errors import BadRequest, PayloadTooLarge

MAX_BODY = 16 * 1024


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The whole body, refusing to read past `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"the body is larger than {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise BadRequest("the client went away before sending the whole body") from exc
    return b"".join(chunks)
