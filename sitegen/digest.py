"""Short stable digests of text, and the package versions that go into them: cache keys."""

from __future__ import annotations

import hashlib
import os
import re
import sys
from functools import cache


def digest(*parts: str | bytes) -> str:
    """A short stable hex digest of some text."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(part.encode() if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()


def package_version(name: str) -> str:
    """An installed distribution's version, or `absent`: read from the name of its
    `.dist-info` folder, as importlib.metadata finds it, without importing that (and the
    e-mail parser it loads) on every build."""
    return _versions().get(_normal(name), "absent")


@cache
def _versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for entry in names:
            if entry.endswith(".dist-info") and "-" in entry:
                project, _, version = entry.removesuffix(".dist-info").partition("-")
                # The first folder on the path that has it wins, as for an import.
                found.setdefault(_normal(project), version)
    return found


def _normal(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()
