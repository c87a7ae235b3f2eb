"""The installed packages' versions, read without importlib.metadata: part of cache keys and of
the no-change check, which runs before anything heavy is imported."""

from __future__ import annotations

import os
import sys
from functools import cache


def package_version(name: str) -> str:
    """An installed distribution's version, or `absent`: read from the name of its
    `.dist-info` folder, as importlib.metadata finds it, without importing that (and the
    e-mail parser it loads) on every build."""
    return installed().get(_normal(name), "absent")


@cache
def installed() -> dict[str, str]:
    """Every distribution on the import path by its PEP 503 name, with its version."""
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
    # Not the expression [-_.]+: importing `re` would cost the no-change check some 30 ms.
    normal = name.lower().replace("_", "-").replace(".", "-")
    while "--" in normal:
        normal = normal.replace("--", "-")
    return normal
