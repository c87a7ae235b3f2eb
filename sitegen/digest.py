"""Short stable digests of text: cache keys."""

from __future__ import annotations

import hashlib


def digest(*parts: str | bytes) -> str:
    """A short stable hex digest of some text."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(part.encode() if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()
