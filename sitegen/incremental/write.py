"""The output folder: which folders a build may write into, and removing files no longer made."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from sitegen.errors import OutputError
from sitegen.incremental.noop import MARKER

__all__ = [
    "MARKER",
    "check_output_dir",
    "default_acl",
    "make_folder",
    "modes_kept",
    "remove_stale",
    "write_new",
]
# A new file, written from the start, byte for byte (O_BINARY: Windows would translate).
_NEW = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
# Whatever the umask, the site must be readable, by a web server too: files and folders.
MODE = 0o644
FOLDER_MODE = 0o755


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
    """Delete every file below `output` not named in `keep` (relative, with `/`), then empty
    folders. By plain strings: a site has a folder a page, and paths made and looked at
    through pathlib took near a second at 10,000 stories."""
    removed = 0
    top = os.fspath(output)
    for folder, dirs, names in os.walk(top, topdown=False):
        within = folder[len(top) :].lstrip(os.sep).replace(os.sep, "/")
        prefix = f"{within}/" if within else ""
        for name in names:
            if prefix + name not in keep:
                os.unlink(os.path.join(folder, name))
                removed += 1
        for name in dirs:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            try:
                os.rmdir(path)
            except OSError as error:
                # Not empty, or in use (a mount point) or in a folder this user may not
                # change: left as it is, unless it is an empty folder that cannot go.
                if error.errno not in (errno.ENOTEMPTY, errno.EEXIST) and not os.listdir(path):
                    raise
    return removed


def remove_files(output: Path, names: Iterable[str]) -> int:
    """Delete these files below `output` (relative, with `/`), and the folders they leave
    empty: what `remove_stale` would, when they are all it would find, without looking at
    every file (0.2 s at 10,000 stories)."""
    removed = 0
    top = os.fspath(output)
    for name in sorted(names):
        path = os.path.join(top, *name.split("/"))
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        removed += 1
        folder = os.path.dirname(path)
        while folder != top and folder.startswith(top):
            try:
                os.rmdir(folder)
            except OSError:
                break  # not empty, or not ours to remove: left, as `remove_stale` leaves it
            folder = os.path.dirname(folder)
    return removed


def modes_kept(folder: Path, mode: int = MODE | FOLDER_MODE) -> bool:
    """Whether files and folders created below `folder` get their mode whole (`MODE`,
    `FOLDER_MODE`): the umask takes none of their bits, and no default ACL (which would take
    the umask's place) is on the folder."""
    return not default_acl(folder) and not _umask() & mode


def default_acl(folder: Path) -> bool:
    """Whether `folder` passes a default ACL down to what is made in it."""
    try:
        os.getxattr(folder, "system.posix_acl_default")
    except (OSError, AttributeError):  # none, or no such thing here
        return False
    return True


def _umask() -> int:
    """The process's umask; read from `/proc` where there is one: setting the umask to
    learn it changes it for every thread for a moment."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_new(path: str, data: bytes, *, chmod: bool = True) -> int:
    """Write `data` to `path`, a file this build just named in a folder of its own making;
    its modification time (in nanoseconds), which the build records without asking again.

    Through the descriptor alone: Python's `open` asks about the file three more times (its
    size, a terminal, its position), and thousands of pages make that a noticeable part of a
    build. `chmod=False` when files are known to get `MODE` whole (`modes_kept`): a
    mode set again dirties the file's inode once more, a fifth of the time of making a page's
    file on a journalling file system."""
    descriptor = os.open(path, _NEW, MODE)
    try:
        if chmod:
            os.fchmod(descriptor, MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        return os.fstat(descriptor).st_mtime_ns
    finally:
        os.close(descriptor)


def make_folder(path: str, *, chmod: bool = True) -> None:
    """Make a folder and any missing above it, with at least `FOLDER_MODE` (its bits added
    again unless `chmod=False`, as for `write_new`; a group bit passed down by the parent
    stays); one that exists is fine, as it is. Tries the folder first: a build makes folders
    in order, so its parent is nearly always there."""
    try:
        os.mkdir(path, FOLDER_MODE)
    except FileExistsError:
        if not os.path.isdir(path):
            raise
        return
    except FileNotFoundError:
        parent = os.path.dirname(path.rstrip(os.sep))
        if not parent or parent == path:
            raise
        make_folder(parent, chmod=chmod)
        try:
            os.mkdir(path, FOLDER_MODE)
        except FileExistsError:  # made meanwhile, by another process of this build
            if not os.path.isdir(path):
                raise
            return
    if chmod:
        # Only when bits are missing: set by one outside the folder's group, the mode would
        # lose the group bit passed down from the parent.
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & FOLDER_MODE != FOLDER_MODE:
            os.chmod(path, mode | FOLDER_MODE)
