"""Short stable digests of text: cache keys."""

from __future__ import annotations

import hashlib


def digest(*parts: str | bytes | memoryview) -> str:
    """A short stable hex digest of some text (and bytes)."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        data: bytes | memoryview
        if isinstance(part, str):
            try:
                data = part.encode()
            except UnicodeEncodeError:  # lone surrogates: a file name that is not UTF-8
                data = part.encode("utf-8", "surrogatepass")
        else:
            data = part
        hasher.update(data)
        hasher.update(b"\0")
    return hasher.hexdigest()
