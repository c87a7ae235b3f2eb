"""Short stable digests of text, and the package versions that go into them: cache keys."""

from __future__ import annotations

import hashlib
from importlib import metadata


def digest(*parts: str | bytes) -> str:
    """A short stable hex digest of some text."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(part.encode() if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()


def package_version(name: str) -> str:
    """An installed distribution's version, or `absent`."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"
