"""Reading a body whole and bounded, whatever the headers claim."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request
from starlette.types import Message

from functions.shared.errors import PayloadTooLarge, UnsupportedMediaType
from functions.shared.web import MAX_BODY, read_body


def request_with(body: bytes, headers: list[tuple[bytes, bytes]]) -> Request:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    return Request(scope, receive)


@pytest.mark.parametrize("declared", [b"\xb2", b"\xd9\xa1", b"-1", b"12x", b""])
def test_a_content_length_that_is_no_number_is_ignored_and_the_body_read(declared: bytes) -> None:
    request = request_with(b"{}", [(b"content-length", declared)])
    assert asyncio.run(read_body(request)) == b"{}"


def test_a_body_past_the_limit_is_refused_whatever_its_content_length_says() -> None:
    request = request_with(b"x" * (MAX_BODY + 1), [(b"content-length", b"2")])
    with pytest.raises(PayloadTooLarge):
        asyncio.run(read_body(request))


@pytest.mark.parametrize("encoding", [b"gzip", b"br", b"deflate", b"GZIP, identity"])
def test_a_compressed_body_is_refused(encoding: bytes) -> None:
    request = request_with(b"\x1f\x8b", [(b"content-encoding", encoding)])
    with pytest.raises(UnsupportedMediaType, match="uncompressed"):
        asyncio.run(read_body(request))


def test_identity_is_no_compression() -> None:
    request = request_with(b"{}", [(b"content-encoding", b"identity")])
    assert asyncio.run(read_body(request)) == b"{}"
