"""A rebuild with nothing to do, told apart before the generator is even imported.

Every build leaves a manifest: the generator's own code, the folders it read, and where the
build's state lists the files it read (size and modification time) and the files it left in
the output folder. When all of them are still as listed, the output folder is the build of
these inputs and nothing needs doing. A build that follows in the same process takes the
state's list as read here (`listing`), rather than reading it again. Only the standard
library is used here, so that this check costs no more than the look at the files.

On a large site the output files are looked at by a forked process. Given work to do
meanwhile (`unchanged`), as the command line is (it loads the generator, which a build after
an edit needs next), this one reads the list and does it, while that process looks at the
inputs first and tells what it found; else this one looks at the inputs itself.

When a few texts were edited, a forked process converts their Markdown into the cache while
the build loads the generator, which then need not load Python-Markdown. When nothing was
built with the cache yet, the processes that convert every text start then too."""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from stat import S_ISDIR, S_ISLNK

from sitegen.packages import installed

# Marks a folder as made by this generator, so a wrong --output never deletes someone's files.
MARKER = ".sitegen-output"
MANIFEST_FORMAT = 2
_CODE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The form's contract as the command line builds with it (functions.help_requests.contract).
CONTRACT = os.path.join(os.path.dirname(_CODE), "functions", "help_requests", "openapi.yaml")

Stat = tuple[int, int]
# An output file as the state lists it: digest, size and modification time.
Listed = tuple[str, int, int]
# A saved state's file list (`sitegen.incremental.state` writes it): the generator's version,
# the model's token, the inputs, the output files, the journal, the page count, the format;
# as read, with the edits saved since it was written whole applied, and then those edits.
Edits = tuple[dict[str, Stat], dict[str, Listed]]
Listing = tuple[str, str, dict[str, Stat], dict[str, Listed], bytes, int, int, Edits]
Folder = str | os.PathLike[str]
# The output folder resolved, the input folders as given and resolved, then the settings.
Key = tuple[str | bool, ...]
_snapshot: tuple[object, ...] | None = None
# The generator's version (`fingerprint.code_version`) as a manifest recorded it for the code
# this process runs, once a check has read one.
_version: str | None = None
# What the check saw when it found changes, for the build that follows in this process.
_seen: dict[str, object] = {}
# The processes converting edited texts into the Markdown cache, until a build waits for them.
_converting: list[int] = []
_answers: dict[tuple[str, Key], tuple[int, int] | None] = {}
# The cache's folder of saved builds: their manifests, and their states (`state_path`).
BUILDS = "builds"
# At most this many edited texts are converted ahead in another process (see `_convert_aside`).
ASIDE_AT_MOST = 16
# Files of this size and more are mapped into memory to be loaded, not read (`loaded_file`).
MAP_FROM = 1 << 16


def build_key(
    content: Folder, templates: Folder, contract: Folder, output: Folder, settings: Key
) -> Key:
    """What a build is asked for: its folders as given and as they resolve, and its settings."""
    folders = [os.fspath(folder) for folder in (content, templates, contract)]
    resolved = [os.path.realpath(folder) for folder in folders]
    return (os.path.realpath(output), *folders, *resolved, *settings)


def today() -> str:
    """Today's date as `datetime.date.today().isoformat()` gives it, without importing datetime."""
    return time.strftime("%Y-%m-%d")


def manifest_path(cache: Folder, key: Key) -> str:
    """Where the manifest of builds asked for as `key` is kept."""
    name = f"{zlib.crc32(repr(key).encode()):08x}.noop"
    return os.path.join(cache, BUILDS, name)


def scan_inputs(*folders: Folder) -> dict[str, Stat]:
    """Modification time and size of every file below `folders` (or named), by path."""
    found: dict[str, Stat] = {}
    for folder in folders:
        top = os.fspath(folder)
        if os.path.isfile(top):
            info = os.stat(top)
            found[top] = (info.st_mtime_ns, info.st_size)
        else:
            _scan(top, found, follow=True)
    return found


def _scan(folder: str, found: dict[str, Stat], *, follow: bool = False) -> None:
    """Every file below `folder` into `found`, as os.walk would see them: links to folders are
    not followed, other entries are stat'ed through their links, and what cannot be read is
    left out. But with `follow`, links to folders in `folder` itself are: the content is read
    through them at its top level alone (`content/stories` may be a link; its subfolders are
    read as Path.rglob reads them).

    Depth first, each folder's entries in the order listed; by a list of what waits rather
    than by recursion, so that no depth of folders is too deep."""
    waiting: list[tuple[str, Stat | None]] = []
    list_folder: _Lister = _list_open if _BY_DESCRIPTOR else _list_entries
    list_folder(folder, found, waiting, follow)
    while waiting:
        path, stat = waiting.pop()
        if stat is None:
            list_folder(path, found, waiting, False)
        else:
            found[path] = stat


# What lists one folder for `_scan`: its files go into `found` until its first subfolder; from
# there on its entries go onto `waiting` (last first, to be taken from the end).
_Lister = Callable[[str, dict[str, Stat], list[tuple[str, Stat | None]], bool], None]


def _list_entries(
    folder: str, found: dict[str, Stat], waiting: list[tuple[str, Stat | None]], follow: bool
) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    later: list[tuple[str, Stat | None]] = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if follow or not entry.is_symlink():
                later.append((entry.path, None))
            continue
        try:
            info = entry.stat()
        except OSError:
            continue
        if later:
            later.append((entry.path, (info.st_mtime_ns, info.st_size)))
        else:
            found[entry.path] = (info.st_mtime_ns, info.st_size)
    waiting += reversed(later)


# Where a folder can be listed, and its entries looked at, from a descriptor (Linux, macOS):
# `os.lstat` is `os.stat` with follow_symlinks=False, which is what is asked of the platform.
_BY_DESCRIPTOR = (
    os.listdir in os.supports_fd
    and os.stat in os.supports_dir_fd
    and os.stat in os.supports_follow_symlinks
)


def _list_open(
    folder: str, found: dict[str, Stat], waiting: list[tuple[str, Stat | None]], follow: bool
) -> None:
    """`_list_entries` by names below an open folder: about a tenth less time than from
    `os.scandir`'s entries, with the same result. The folder is closed before any subfolder
    is opened, so a deep tree holds one descriptor at a time."""
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    within = folder if folder.endswith(os.sep) else folder + os.sep
    later: list[tuple[str, Stat | None]] = []
    try:
        for name in os.listdir(handle):
            try:
                info = os.stat(name, dir_fd=handle, follow_symlinks=False)
                if S_ISLNK(info.st_mode):
                    info = os.stat(name, dir_fd=handle)
                    if S_ISDIR(info.st_mode):
                        if follow:
                            later.append((within + name, None))
                        continue
                elif S_ISDIR(info.st_mode):
                    later.append((within + name, None))
                    continue
            except OSError:
                continue
            if later:
                later.append((within + name, (info.st_mtime_ns, info.st_size)))
            else:
                found[within + name] = (info.st_mtime_ns, info.st_size)
    except OSError:
        return
    finally:
        os.close(handle)
    waiting += reversed(later)


def recorded_version() -> str | None:
    """The generator's version for the code this process runs, as the last build of it
    recorded it (the same files, of the same size and time), if a check has read it: what
    `sitegen.incremental.fingerprint.code_version` would find again by reading every source."""
    return _version


def code_snapshot() -> tuple[object, ...]:
    """The generator's sources (size and time), Python's version and the installed packages;
    taken once per process, as the process runs the code it imported when it started."""
    global _snapshot
    if _snapshot is None:
        # Every file, not only *.py: the defaults a bare content folder is built with too.
        sources = sorted(
            (path, stat) for path, stat in scan_inputs(_CODE).items() if "__pycache__" not in path
        )
        packages = tuple(sorted(installed().items()))
        _snapshot = (sys.version, sys.executable, tuple(sources), packages)
    return _snapshot


# Work a build does next, done while another process looks at the files: it asks its
# argument between steps whether to stop (nothing may be left to do after all).
Meanwhile = Callable[[Callable[[], bool]], None]


def unchanged(
    cache: Folder, key: Key, meanwhile: Meanwhile | None = None
) -> tuple[int, int] | None:
    """The last build's page and file counts if nothing it read or wrote has changed since;
    asked again in the same process, the first answer (the command line may ask twice).

    `meanwhile` is called while another process looks at the files, where one does (a site
    of some 1,500 files and more), and told to stop once the inputs are found as they were:
    a build after an edit loads the generator meanwhile (60 ms at 10,000 stories, a third of
    it), and a build with nothing to do stops loading it."""
    asked = (os.fspath(cache), key)
    if asked not in _answers:
        _answers[asked] = _unchanged(cache, key, meanwhile)
    return _answers[asked]


def _unchanged(cache: Folder, key: Key, meanwhile: Meanwhile | None) -> tuple[int, int] | None:
    path = manifest_path(cache, key)
    saved = _marshalled(path)
    if type(saved) is not tuple or len(saved) != 6 or saved[:2] != (MANIFEST_FORMAT, key):
        return None
    _, _, code, roots, states, version = saved
    if code != code_snapshot():
        return None
    global _version
    _version = version if type(version) is str else None
    output = str(key[0])
    # Written last by this build: not by one with other settings or another cache since, which
    # may have left files this one's list does not name.
    if mark_found(output) != output_mark(states[0]):
        return None
    # The output files are looked at by another process where that is worth it, while this
    # one looks at the inputs; or, with work to do `meanwhile`, the inputs first, by it too.
    previous = _seen.get("outputs")
    if isinstance(previous, _Looking):
        previous.intact()  # not asked for: its process is waited for all the same
    looking = _seen["outputs"] = _Looking(output, states[0], version, roots if meanwhile else ())
    listing = looking.listing = read_listing(states[0], version)
    if listing is None:
        return None
    _seen["listing"] = (states[0], listing)
    inputs, outputs, pages = listing[2], listing[3], listing[5]
    # Edited texts are converted aside as soon as they are told of, while the rest is done.
    converting: list[bool] = []

    def stop() -> bool:
        if not looking.heard():
            return False
        found = looking.inputs()
        if found is not None and not looking.as_listed and not converting:
            converting.append(True)
            _convert_aside(cache, inputs, found)
        return looking.as_listed

    if meanwhile is not None and looking.tells():
        meanwhile(stop)
    scanned = looking.inputs()
    if scanned is None:
        scanned = scan_inputs(*roots)
    _seen["inputs"] = (roots, scanned)
    # As listed, as the other process told, they need no comparing again here.
    if not looking.as_listed and scanned != inputs:
        if not converting:
            _convert_aside(cache, inputs, scanned)
        return None
    if not looking.intact():
        return None
    try:
        # The saved states are pruned by their time of last use.
        for used in (*states, path):
            os.utime(used)
    except OSError:
        return None
    with contextlib.suppress(OSError):  # there are edits only after some builds
        os.utime(edits_path(states[0]))
    return pages, len(outputs)


def output_mark(listed: Folder) -> str:
    """What the marker of an output folder holds once a build has written it whose state's
    file list is at `listed`: the state's name (of the output folder and the settings) and a
    checksum of where its cache is. A build that finds another mark, or none, was not the
    last to write the folder."""
    folder, name = os.path.split(os.fspath(listed))
    where = os.path.realpath(folder).encode("utf-8", "surrogatepass")
    return f"{name}:{zlib.crc32(where):08x}"


def mark_found(output: Folder) -> str | None:
    """What an output folder's marker holds; None without one."""
    try:
        with open(os.path.join(output, MARKER), "rb") as file:
            return file.read(4096).decode("utf-8", "replace")
    except OSError:  # none, or a folder of that name
        return None


def mark_output(output: Folder, mark: str) -> None:
    """Mark the output folder as written last by the build of `mark` (`output_mark`), once
    its files are in place and its state saved."""
    with open(os.path.join(output, MARKER), "w", encoding="utf-8") as file:
        file.write(mark)


def read_listing(path: str, version: str) -> Listing | None:
    """The file list of a saved state at `path` (`*.files`), if saved by the generator's
    version `version`, with the edits saved beside it (`*.edits`) since it was written whole:
    a rebuild after an edit writes the few records it changed, not the list of every file.
    Edits saved over another list (its model's token) are not this list's."""
    saved = _marshalled(path)
    if type(saved) is not tuple or len(saved) != 7 or saved[0] != version:
        return None
    if type(saved[2]) is not dict or type(saved[3]) is not dict or type(saved[5]) is not int:
        return None
    edits = _marshalled(edits_path(path))
    if type(edits) is not tuple or len(edits) != 5 or edits[0] != saved[1]:
        return (*saved, ({}, {}))
    _, inputs, files, journal, pages = edits
    if type(inputs) is not dict or type(files) is not dict or type(pages) is not int:
        return (*saved, ({}, {}))
    saved[2].update(inputs)
    saved[3].update(files)
    return (*saved[:4], journal, pages, saved[6], (inputs, files))


def edits_path(listed: str) -> str:
    """Where the edits to the file list at `listed` are saved."""
    return listed.removesuffix(".files") + ".edits"


def _marshalled(path: str) -> object:
    try:
        return loaded_file(path)
    except (OSError, EOFError, ValueError, TypeError):
        return None


def loaded_file(path: Folder) -> object:
    """`loaded` of a file's bytes: of a small file read at once (marshal.load on a file asks
    it for each value, some 4 times slower), of a large one mapped into memory.

    Read, a large file's bytes are copied into memory this process has not used yet, which
    the system must find and clear page by page: at 10,000 stories, the state's file list
    (1.9 MB) took some 450 more page faults read than mapped, and 1.7 times as long to load
    (medians of 6 runs). Only files put in place whole (written aside, then renamed) are to
    be mapped: one cut short while mapped would end the process."""
    with open(path, "rb") as file:
        if os.fstat(file.fileno()).st_size < MAP_FROM:
            return loaded(file.read())
        import mmap  # here: a small site's check maps nothing

        try:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # a file system that maps no files, or one emptied since
            return loaded(file.read())
    try:
        # An mmap reads as bytes do; typed as bytes, since this module loads no `typing`.
        return loaded(mapped)  # type: ignore[arg-type]
    finally:
        # Unmapped once the last view of it is gone, if one still is (an error's traceback
        # may hold one).
        with contextlib.suppress(BufferError):
            mapped.close()


def sealed(data: bytes) -> bytes:
    """Bytes in marshal's format, with their CRC-32 ahead of them. Marshal reads damaged bytes
    as whatever they spell, a tuple holding itself among them, whose hash (as a key) would
    overflow the C stack and end the process, in every build until the cache is removed."""
    return zlib.crc32(data).to_bytes(4, "little") + data


def opened(data: bytes) -> memoryview:
    """What `sealed` sealed; ValueError when the bytes are not as sealed."""
    view = memoryview(data)[4:]
    if len(data) < 4 or zlib.crc32(view) != int.from_bytes(data[:4], "little"):
        raise ValueError("damaged: not as written")
    return view


def dumped(value: object) -> bytes:
    """Plain values in marshal's format, sealed."""
    return sealed(marshal.dumps(value))  # type: ignore[arg-type]


def loaded(data: bytes) -> object:
    """The plain values `dumped` (or `sealed`) gave these bytes of; ValueError when they are
    not as written, as marshal's own errors when the format is not marshal's."""
    return marshal.loads(opened(data))  # noqa: S302 - our own cache file, checked


def listing(path: Folder) -> Listing | None:
    """The state's file list at `path` as the check of this process just read it, once."""
    found = _seen.pop("listing", None)
    if isinstance(found, tuple) and found[0] == os.fspath(path):
        return found[1]  # type: ignore[no-any-return]
    return None


def summary_line(
    output: object, pages: int, files: int, written: int, removed: int, took: float
) -> str:
    """The line a build ends with."""
    return (
        f"built {pages} pages, {files} files ({written} written, {files - written} unchanged,"
        f" {removed} removed) in {took:.2f} s → {output}"
    )


def seen(
    roots: Iterable[Folder], output: Folder
) -> tuple[dict[str, Stat], Callable[[], dict[str, Listed]]]:
    """The inputs, and what gives the output files found as the state lists them, as the
    check of this process just found them (so that the build need not look again); empty if
    it did not. The inputs now; the output files once the other process looking at them is
    done, waited for then: a build after edits goes on meanwhile, and waits only before it
    puts its files in place (some 40 ms of a rebuild at 10,000 stories waited here before)."""
    folders = tuple(os.fspath(root) for root in roots)
    inputs, outputs = _seen.pop("inputs", None), _seen.pop("outputs", None)
    # The Markdown cache is read after this: the texts converted aside must be in it, from
    # every check since the last build.
    while _converting:
        pid = _converting.pop()
        with contextlib.suppress(ChildProcessError):  # reaped already (SIGCHLD ignored)
            os.waitpid(pid, 0)
    # Handed over as they are, not copied: the check keeps neither, and the build only reads
    # the list's files (its state's own, which it then need not compare entry by entry).
    found_inputs: dict[str, Stat] = {}
    if isinstance(inputs, tuple) and inputs[0] == folders:
        found_inputs = inputs[1]

    def found_outputs() -> dict[str, Listed]:
        if not isinstance(outputs, _Looking):
            return {}
        # Waited for whatever folder it looked at: its process is done with here.
        as_left = outputs.intact()
        if as_left and outputs.listing and outputs.output == os.path.realpath(output):
            return outputs.listing[3]
        return {}

    return found_inputs, found_outputs


class _Looking:
    """Whether every output file is as the state's file list (at `listed`) has it, found out
    by a forked process where this one may fork (no threads yet), so that this one is free
    meanwhile. With `roots`, that process first scans the inputs below them (`scan_inputs`)
    and tells this one what it found (`inputs`). It reads the list for itself, while this
    one reads it too: sharing this one's copy would cost each a copy of every memory page
    the other touches.

    When it finds the inputs as listed, there may be nothing to do, and the answer is waited
    for: it then looks at the first half of the output files, and this one at the rest."""

    # Below this size of the list (some 1,500 files), forking costs more than the look.
    FORK_ABOVE = 200_000

    def __init__(
        self, output: str, listed: str, version: str, roots: tuple[Folder, ...] = ()
    ) -> None:
        self.output = output
        # The list as this process reads it, once it has.
        self.listing: Listing | None = None
        self._pid: int | None = None
        self._answer: bool | None = None
        # Where the other process tells of the inputs, until it has told all; what it told,
        # and the inputs made of that once read (`inputs`).
        self._pipe: int | None = None
        self._told = bytearray()
        self._found: tuple[dict[str, Stat] | None] | None = None
        # Whether it told that it found the inputs as listed (once read).
        self.as_listed = False
        if not (_may_fork() and file_size(listed) > self.FORK_ABOVE):
            return
        pipe = os.pipe() if roots else None
        try:
            self._pid = _fork_looking(output, listed, version, pipe, roots)
        finally:
            if pipe is not None:
                os.close(pipe[1])
        if pipe is not None and self._pid is None:
            os.close(pipe[0])
        elif pipe is not None:
            os.set_blocking(pipe[0], False)
            self._pipe = pipe[0]

    def tells(self) -> bool:
        """Whether the other process tells of the inputs (and has not told yet)."""
        return self._pipe is not None

    def heard(self) -> bool:
        """Whether the other process has told all it found of the inputs (or failed to, or
        tells nothing), without waiting for it."""
        while self._pipe is not None:
            try:
                chunk = os.read(self._pipe, 1 << 16)
            except BlockingIOError:
                return False
            except OSError:
                chunk = b""
            if not chunk:
                os.close(self._pipe)
                self._pipe = None
            self._told += chunk
        return True

    def inputs(self) -> dict[str, Stat] | None:
        """The inputs as the other process found them, waiting for it to tell: the listed
        ones, with those it found changed; None when it told nothing."""
        if self._found is None:
            if self._pipe is not None:
                os.set_blocking(self._pipe, True)
                self.heard()
            listed = {} if self.listing is None else self.listing[2]
            found = _told_inputs(bytes(self._told), listed)
            self._found = (None if found is None else found[0],)
            self.as_listed = found is not None and found[1]
            self._told.clear()
        return self._found[0]

    def intact(self) -> bool:
        """The answer, waiting for the other process if it looks."""
        if self._answer is None:
            if self._pipe is not None:
                # Not to be read now: the other process, the one reader left, fails to tell
                # what it has not told yet, and says so (it holds no end of the pipe but the
                # one it writes to).
                os.close(self._pipe)
                self._pipe = None
            if self._pid is None:
                self._answer = self._here()
            else:
                # It looks at the first half of the output files alone when it finds the
                # inputs as listed, and says so: this one looks at the rest, meanwhile when
                # it was told as much.
                half = len(self.listing[3]) // 2 if self.listing is not None else 0
                mine = self._here(half) if self.as_listed else None
                code = self._waited(self._pid)
                if code == FIRST_HALF_INTACT:
                    self._answer = self._here(half) if mine is None else mine
                else:
                    self._answer = code == 0
                self._pid = None
        return self._answer

    def _here(self, start: int = 0) -> bool:
        return self.listing is not None and intact(self.output, self.listing[3], start)

    def _waited(self, pid: int) -> int:
        """The other process's exit code (`_look_and_exit`)."""
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            # Reaped already (SIGCHLD ignored, as a parent may leave it): look here instead.
            return 0 if self._here() else 1
        return os.waitstatus_to_exitcode(status)


def file_size(path: Folder) -> int:
    """A file's size; 0 when it cannot be looked at."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _convert_aside(cache: Folder, before: Mapping[str, Stat], now: Mapping[str, Stat]) -> None:
    """Convert the Markdown of a few edited texts into the cache in a forked process, while
    this one loads the generator (which then need not load Python-Markdown at all). Only
    those that need it (`_to_convert`): a fork, and its process loading the converter
    beside this one, took 10 to 15 ms of a rebuild after an edit that left none to convert,
    at 10,000 stories."""
    edited = [name for name, at in now.items() if before.get(name) != at and name.endswith(".md")]
    if not edited or len(edited) > ASIDE_AT_MOST or not _may_fork():
        return
    edited = _to_convert(cache, edited)
    if not edited:
        return
    try:
        pid = os.fork()
    except OSError:
        return
    if not pid:
        _convert_and_exit(edited, os.fspath(cache))
    _converting.append(pid)


def convert_ahead(roots: tuple[Folder, ...], cache: Folder, jobs: int | None) -> None:
    """When nothing was built with this cache yet, before the build loads the generator,
    start converting every Markdown file of the content folder (`roots[0]`), all of which
    it converts: the build takes over the processes (`sitegen.markdown.preconvert.ahead`),
    and the inputs found below `roots` for them (`seen`)."""
    if os.path.isdir(os.path.join(cache, BUILDS)):
        return
    from pathlib import Path

    from sitegen.markdown.preconvert import ahead

    inputs = scan_inputs(*roots)
    _seen["inputs"] = (tuple(os.fspath(root) for root in roots), inputs)
    ahead(markdown_files(inputs, roots[0]), Path(cache), jobs=jobs, content=Path(roots[0]))


def markdown_files(inputs: Iterable[str], content: Folder) -> list[str]:
    """The Markdown files of the content folder among `inputs`, in their order: the build
    takes converting ahead over only when it converts this very list."""
    folder = os.path.join(content, "")
    return [name for name in inputs if name.endswith(".md") and name.startswith(folder)]


def _to_convert(cache: Folder, edited: list[str]) -> list[str]:
    """The edited texts worth converting aside: those whose HTML is worth caching
    (`cacheable_text`) and not in the cache already, as it is after an edit to the front
    matter alone."""
    import sqlite3
    from pathlib import Path

    from sitegen.markdown.cache import MarkdownCache
    from sitegen.markdown.texts import cacheable_text

    keys = {name: found[1] for name in edited if (found := cacheable_text(Path(name)))}
    if not keys:
        return []
    try:
        # Closed again before any fork: SQLite's connections must not cross one.
        cached = MarkdownCache(Path(cache))
        try:
            known = cached.get_many(keys.values())
        finally:
            cached.close()
    except (OSError, sqlite3.Error):
        return list(keys)
    return [name for name, key in keys.items() if key not in known]


def _convert_and_exit(paths: list[str], cache: str) -> None:
    """In the forked child: put the HTML of the texts into the cache; never returns. Whatever
    it does not convert, the build converts itself."""
    try:
        from pathlib import Path

        from sitegen.markdown.preconvert import convert_into_cache

        convert_into_cache([Path(path) for path in paths], Path(cache))
        code = 0
    except BaseException:  # Ctrl-C among them; the build goes on without these texts
        code = 1
    os._exit(code)


def _may_fork() -> bool:
    """Forking is safe while this process runs one thread (a fork copies only the caller)."""
    if not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


# The exit code of a look at the output files that found the first half of them intact and
# looked at no more (`_look_and_exit`).
FIRST_HALF_INTACT = 3


def _fork_looking(
    output: str,
    listed: str,
    version: str,
    pipe: tuple[int, int] | None = None,
    roots: tuple[Folder, ...] = (),
) -> int | None:
    """The process id of a child that exits 0 when every file of the list is intact, 1 when
    not (or when the list cannot be read). With a `pipe` (its ends to read and to write), it
    first writes what it finds of the inputs below `roots` (`_tell_inputs`) and closes it;
    when they are as listed, it looks at the first half of the files alone, and exits with
    `FIRST_HALF_INTACT` when they are."""
    try:
        pid = os.fork()
    except OSError:
        return None
    if not pid:
        _look_and_exit(output, listed, version, pipe, roots)
    return pid


def _look_and_exit(
    output: str,
    listed: str,
    version: str,
    pipe: tuple[int, int] | None,
    roots: tuple[Folder, ...],
) -> None:
    """In the forked child: look, and end the process with the answer; never returns."""
    try:
        listing = read_listing(listed, version)
        files = {} if listing is None else listing[3]
        end = None
        if pipe is not None:
            # Left to the parent alone: once it stops reading, a write fails, not waits.
            os.close(pipe[0])
            if listing is not None and _tell_inputs(pipe[1], listing[2], scan_inputs(*roots)):
                end = len(files) // 2
            os.close(pipe[1])
        found = listing is not None and intact(output, files, 0, end)
        code = 1 if not found else 0 if end is None else FIRST_HALF_INTACT
    except BaseException:  # Ctrl-C among them: the parent decides what happens
        code = 2
    # Nothing of the parent's (buffers, exit handlers) may run twice.
    os._exit(code)


def _tell_inputs(telling: int, listed: Mapping[str, Stat], found: dict[str, Stat]) -> bool:
    """Write what `_told_inputs` makes the inputs `found` again of, from those `listed`: those
    whose size or time differ, when the same files are there (a dictionary); else all of
    them, in the order found (a tuple holding them). Whether they are all as listed."""
    told: dict[str, Stat] | tuple[dict[str, Stat]] = (found,)
    if found.keys() == listed.keys():
        told = {name: stat for name, stat in found.items() if listed[name] != stat}
    data = memoryview(marshal.dumps(told))
    while data:
        data = data[os.write(telling, data) :]
    return told == {}


def _told_inputs(told: bytes, listed: Mapping[str, Stat]) -> tuple[dict[str, Stat], bool] | None:
    """The inputs as `_tell_inputs` told of them, and whether all were as `listed`; None when
    it told nothing (or not that)."""
    try:
        found = marshal.loads(told) if told else None  # noqa: S302 - from our own child
    except (EOFError, ValueError, TypeError):
        return None
    if type(found) is tuple and len(found) == 1 and type(found[0]) is dict:
        return found[0], False
    if type(found) is not dict:
        return None
    return {**listed, **found}, not found


def intact(
    output: str, files: Mapping[str, Listed], start: int = 0, end: int | None = None
) -> bool:
    """Whether every file is in the output folder with its listed size and time; of the
    files from the `start`th to the `end`th alone, with those."""
    listed = files.items() if (start, end) == (0, None) else islice(files.items(), start, end)
    if os.stat not in os.supports_dir_fd:
        return all(_same(os.path.join(output, name), stat) for name, stat in listed)
    try:
        # Names looked up from the folder's descriptor: a third less time than whole paths.
        folder = os.open(output, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        return all(_same(name, stat, folder) for name, stat in listed)
    finally:
        os.close(folder)


def _same(name: str, listed: Listed, folder: int | None = None) -> bool:
    try:
        info = os.stat(name, dir_fd=folder)
    except OSError:
        return False
    return info.st_size == listed[1] and info.st_mtime_ns == listed[2]


def record(
    path: str, key: Key, roots: Iterable[Folder], states: Iterable[Folder], version: str
) -> None:
    """Write the manifest of a build that just finished (a cache: failing to is no error).

    `states`: the files of its saved state, its file list first; `version`: the generator's
    version that list is saved with."""
    folders = tuple(os.fspath(root) for root in roots)
    saved: object = (
        MANIFEST_FORMAT,
        key,
        code_snapshot(),
        folders,
        tuple(os.fspath(state) for state in states),
        version,
    )
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as file:
            file.write(dumped(saved))
        os.replace(temporary, path)
    except OSError:
        forget(temporary)


def forget(path: str) -> None:
    """Remove a manifest: a build is about to change what it lists."""
    with contextlib.suppress(OSError):
        os.unlink(path)
