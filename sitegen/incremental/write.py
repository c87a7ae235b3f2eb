"""The output folder: which folders a build may write into, and removing files no longer made."""

from __future__ import annotations

import os
from pathlib import Path

from sitegen.errors import OutputError
from sitegen.incremental.noop import MARKER

__all__ = ["MARKER", "check_output_dir", "remove_stale"]


def check_output_dir(output: Path, *protected: Path) -> None:
    """Refuse a folder that holds files not made by us, or that holds the sources."""
    resolved = output.resolve()
    for source in protected:
        if resolved == source.resolve() or source.resolve().is_relative_to(resolved):
            raise OutputError(f"{output}: the output folder must not contain {source}")
    if output.is_file():
        raise OutputError(f"{output}: the output path is a file, not a folder")
    if output.is_dir() and any(output.iterdir()) and not (output / MARKER).is_file():
        raise OutputError(
            f"{output}: the folder is not empty and was not made by build.py;"
            " choose an empty or new folder, or empty this one"
        )


def remove_stale(output: Path, keep: set[str]) -> int:
    """Delete every file below `output` not named in `keep`, then empty folders."""
    removed = 0
    for folder, dirs, names in os.walk(output, topdown=False):
        base = Path(folder)
        for name in names:
            if (base / name).relative_to(output).as_posix() not in keep:
                (base / name).unlink()
                removed += 1
        for name in dirs:
            if (base / name).is_symlink():
                continue
            if not any((base / name).iterdir()):
                (base / name).rmdir()
    return removed
