"""What a fresh interpreter loads to run a snippet of the project's code."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def loaded_after(code: str, packages: Iterable[str]) -> list[str]:
    """Of `packages` (`yaml`, `concurrent.futures`), those a fresh interpreter has loaded,
    itself or a module within, once it has run `code` in the project's folder."""
    wanted = sorted(packages)
    report = (
        "\nimport json as _json, sys as _sys\n"
        f"print(_json.dumps([p for p in {wanted!r} if any(m == p or m.startswith(p + '.')"
        " for m in _sys.modules)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code + report], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))
