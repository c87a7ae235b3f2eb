"""Write the output folder: only files whose bytes changed, and remove files no longer made."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import OutputError

# Marks a folder as made by this generator, so a wrong --output never deletes someone's files.
MARKER = ".sitegen-output"
Output = bytes | Path


@dataclass(frozen=True)
class WriteStats:
    """What writing changed."""

    written: int
    unchanged: int
    removed: int


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


def write_outputs(files: Mapping[str, Output], output: Path) -> WriteStats:
    """Make `output` hold exactly `files` (relative POSIX paths), touching only what changed."""
    output.mkdir(parents=True, exist_ok=True)
    (output / MARKER).write_bytes(b"")
    written = unchanged = 0
    for name, data in sorted(files.items()):
        content = data.read_bytes() if isinstance(data, Path) else data
        if _write_if_changed(output / name, content):
            written += 1
        else:
            unchanged += 1
    removed = remove_stale(output, {*files, MARKER})
    return WriteStats(written, unchanged, removed)


def _write_if_changed(target: Path, content: bytes) -> bool:
    if (
        target.is_file()
        and target.stat().st_size == len(content)
        and target.read_bytes() == content
    ):
        return False
    if target.is_dir():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


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
