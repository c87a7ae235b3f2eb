"""Short stable digests of text: cache keys."""

from __future__ import annotations

import hashlib


def digest(*parts: str | bytes) -> str:
    """A short stable hex digest of some text."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        # A file name that is not UTF-8 holds lone surrogates, which plain encoding refuses.
        hasher.update(part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()
