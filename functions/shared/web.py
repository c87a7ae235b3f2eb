"""Read a request's body, as both functions do: whole, and never past a limit."""

from __future__ import annotations

import re

from starlette.requests import ClientDisconnect, Request

from .errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MAX_BODY = 16 * 1024
DECIMAL = re.compile("[0-9]{1,20}")


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The whole body, refusing to read past `limit` bytes, or a compressed one."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise UnsupportedMediaType("send the body uncompressed")
    declared = request.headers.get("content-length", "")
    if DECIMAL.fullmatch(declared) and int(declared) > limit:
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
