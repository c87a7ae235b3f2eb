"""What the cache keeps for builds: removed when no build has used it for a while."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path


def remove_unused(
    folder: Path,
    keep: set[Path],
    max_age: float,
    now: float | None = None,
    *,
    folders: bool = False,
) -> list[Path]:
    """Remove the files in `folder` (with `folders`, its folders instead) other than those in
    `keep` that were not modified for `max_age` seconds; the removed, in order."""
    cutoff = (time.time() if now is None else now) - max_age
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            path = Path(entry.path)
            with contextlib.suppress(FileNotFoundError):
                kind = entry.is_dir(follow_symlinks=False) if folders else entry.is_file()
                if path in keep or not kind or entry.stat().st_mtime >= cutoff:
                    continue
                if folders:
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink()
                removed.append(path)
    return sorted(removed)
