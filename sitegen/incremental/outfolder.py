"""The output folder of an incremental build: what is current, what is staged, what goes."""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path

from sitegen.digest import digest
from sitegen.errors import ContentError
from sitegen.incremental.noop import Listed, scan_inputs
from sitegen.incremental.pagework import Rendered, Staged, stage
from sitegen.incremental.state import BuildState, FileRecord, PageRecord
from sitegen.incremental.write import (
    MARKER,
    default_acl,
    make_folder,
    modes_kept,
    remove_files,
    remove_stale,
)
from sitegen.markdown.texts import with_text
from sitegen.options import BuildResult
from sitegen.parallel import aside
from sitegen.site.links import link_problems
from sitegen.site.links import output_path as _output_path
from sitegen.site.model import Page

Stat = tuple[int, int]
__all__ = [
    "AsLeft",
    "Outputs",
    "check_links",
    "intact_files",
    "rescan",
    "same_bytes",
    "scan_inputs",
]
# Every build asks for the file of every page; the answer never changes.
output_path = cache(_output_path)


def rescan(inputs: dict[str, Stat], changed: Iterable[str]) -> dict[str, Stat]:
    """`inputs` with the named files stat'ed again (gone when they no longer exist)."""
    fresh = dict(inputs)
    for path in changed:
        try:
            info = os.stat(path)
        except OSError:
            fresh.pop(path, None)
            continue
        if os.path.isfile(path):
            fresh[path] = (info.st_mtime_ns, info.st_size)
    return fresh


class AsLeft(Mapping[str, str]):
    """The digests of the files a build wrote, as it left them: a view of its file list,
    which a rebuild takes whole, rather than a copy (made in 6 ms at 10,000 stories)."""

    __slots__ = ("_files",)

    def __init__(self, files: Mapping[str, FileRecord]) -> None:
        self._files = files

    def __getitem__(self, name: str) -> str:
        return self._files[name][0]

    def __contains__(self, name: object) -> bool:
        return name in self._files

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        record = self._files.get(name)
        return default if record is None else record[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def intact_files(
    output: Path, files: dict[str, FileRecord], seen: Mapping[str, Listed] | None = None
) -> Mapping[str, str]:
    """Digests of the files the last build wrote that are still exactly as it left them;
    `seen`: files just found as they are listed here, digest, size and time."""
    # All of them, as the no-change check found: its list is the state's own (`noop.seen`),
    # else compared in C, at once.
    if seen is files or seen == files:
        return AsLeft(files)
    intact = {}
    base = str(output)
    seen = seen or {}
    for name, record in files.items():
        if seen.get(name) != record:
            try:
                info = os.stat(os.path.join(base, name))
            except OSError:
                continue
            if (info.st_size, info.st_mtime_ns) != record[1:]:
                continue
        intact[name] = record[0]
    return intact


class Outputs:
    """The files of the build in progress; nothing replaces an output file before `commit`."""

    def __init__(
        self,
        output: Path,
        staging: Path,
        previous: BuildState,
        intact: Mapping[str, str],
        *,
        sweep: bool = False,
    ) -> None:
        # sweep: remove every file the build does not have, as a first build does (another
        # build wrote the folder since `previous`, and may have left files it does not name).
        self.output, self.staging = output, staging
        self.previous, self.intact, self.sweep = previous, intact, sweep
        # Into a folder that does not exist yet, files are staged as the folder will hold them,
        # and the whole staged folder becomes the output folder in one rename.
        self.laid_out = not os.path.lexists(output) and _made_alike(output.parent, staging)
        self.files_at = staging / "site" if self.laid_out else staging
        self.chmod = not modes_kept(staging)
        self.state = BuildState()
        self.staged: dict[str, Staged] = {}
        self.planned: set[str] = set()
        self.digests: dict[str, str] = {}
        self.removed = self.written = 0
        # The files of pages of the last build the site no longer has (`drop_page`).
        self.dropped: set[str] = set()
        self._folders_made: Callable[[], None] = lambda: None

    def page_is_current(self, url: str, key: str) -> bool:
        """The page's inputs are unchanged and its file is as the last build wrote it."""
        record = self.previous.pages.get(url)
        return record is not None and record.key == key and output_path(url) in self.intact

    def previous_digests(self) -> Mapping[str, str]:
        """Digests of intact output files, so unchanged bytes are not written again."""
        return self.intact

    def keep_page(self, url: str, record: PageRecord) -> None:
        """A page reused as it is."""
        self.state.pages[url] = record
        self._keep(output_path(url))

    def keep_all(self) -> None:
        """Every file and page of the last build reused as it is, unless added again."""
        self.state.files.update(self.previous.files)
        for url, record in self.previous.pages.items():
            self.state.pages.setdefault(url, record)

    def drop_page(self, url: str) -> None:
        """A page of the last build the site no longer has: its file goes at `commit`, and
        the state notes it gone (`BuildState.journal`)."""
        self.state.pages.pop(url, None)
        self.state.files.pop(output_path(url), None)
        self.state.journal[1].add(url)
        self.dropped.add(output_path(url))

    def add_page(self, url: str, record: PageRecord, rendered: Rendered) -> None:
        """A page rendered in this build."""
        self.state.pages[url] = record
        name = output_path(url)
        if rendered.staged is None:
            self._keep(name)
        else:
            self.staged[name], self.digests[name] = rendered.staged, rendered.digest

    def add_files(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Files made in memory: staged unless the output already holds these bytes."""
        for name, data in items:
            self._add(name, digest(data), data)

    def add_copies(self, items: Iterable[tuple[str, Path]]) -> None:
        """Files copied from the cache; their names carry a hash of their content."""
        for name, source in items:
            self._add(name, digest(name, str(source)), source)

    def plan(self, names: Iterable[str]) -> None:
        """Files a check counts as there for links (images it did not make); never written."""
        self.planned.update(names)

    def _add(self, name: str, file_digest: str, data: bytes | Path) -> None:
        if self.intact.get(name) == file_digest:
            self._keep(name)
            return
        content = data.read_bytes() if isinstance(data, Path) else data
        self.staged[name] = stage(
            self.files_at, name, content, laid_out=self.laid_out, chmod=self.chmod
        )
        self.digests[name] = file_digest

    def _keep(self, name: str) -> None:
        self.state.files[name] = self.previous.files[name]

    def names(self) -> set[str]:
        """Every file the output folder will hold."""
        return set(self.state.files) | set(self.staged) | self.planned

    def holds_all(self, names: Iterable[str]) -> bool:
        """Whether the output folder will hold every file named: looked up where the build
        keeps them, rather than in a set of all of them (`names`) made first, which took 2 ms
        of a rebuild after an edit at 10,000 stories."""
        files, staged, planned = self.state.files, self.staged, self.planned
        return all(name in files or name in staged or name in planned for name in names)

    def pages(self) -> Iterable[tuple[str, PageRecord]]:
        """Every page with its record."""
        return self.state.pages.items()

    def text_of(self, url: str) -> str:
        """The HTML of a page, staged or already written."""
        name = output_path(url)
        staged = self.staged.get(name)
        return (Path(staged[0]) if staged else self.output / name).read_text("utf-8")

    def discard(self) -> None:
        """Remove every staged file: the build failed."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staged.clear()

    def make_folders(self, urls: Iterable[str]) -> None:
        """Start making the folders the pages' files will be staged in, when they are laid
        out: on a waiting worker if there is one, while this process goes on (the file
        system, not a core, is then what takes the time), and the workers that render are
        forked once it is done. `commit` raises why they could not be made, if they could not."""
        if not self.laid_out:
            return
        folders = sorted({os.path.dirname(output_path(url)) for url in urls})
        self._folders_made = aside(make_folders_in, str(self.files_at), folders, self.chmod)

    def commit(self) -> None:
        """Move staged files into place and remove what the site no longer has."""
        self._folders_made()
        if self.laid_out and self._rename_whole():
            return
        # A folder that was new or empty holds nothing stale: no need to sweep every file.
        fresh = not self.output.is_dir() or not any(self.output.iterdir())
        # Folders made here are looked at for missing bits: this one and its parent were not
        # asked about default ACLs, as the staging folder was (`modes_kept`).
        make_folder(str(self.output))
        # Marked again as the builder's once its state is saved: meanwhile, as no build's.
        (self.output / MARKER).write_bytes(b"")
        for name, (temporary, _, _) in sorted(self.staged.items()):
            target = self.output / name
            if not fresh and not self._make_room(name, temporary, target):
                continue
            make_folder(str(target.parent))
            # shutil.move renames when it can and copies across file systems.
            shutil.move(temporary, target)
            self._record(name, target)
            self.written += 1
        gone = set(self.previous.files) - set(self.state.files)
        if gone:
            self.state.edits = None  # the file list is saved whole: edits only add records
        if gone and gone <= self.dropped and not self.sweep and not fresh:
            # Only pages dropped after an edit: their files alone.
            self.removed = remove_files(self.output, gone)
        elif (not self.previous.files or gone or self.sweep) and not fresh:
            # A first build, files gone, or another build's since: sweep the folder, as a
            # full build would.
            self.removed = remove_stale(self.output, {*self.state.files, MARKER})
        shutil.rmtree(self.staging, ignore_errors=True)

    def _rename_whole(self) -> bool:
        """Make the staged folder the output folder, if it still does not exist; or False."""
        site = self.files_at
        make_folder(str(site), chmod=self.chmod)
        (site / MARKER).touch()
        make_folder(str(self.output.parent))
        if os.path.lexists(self.output):
            return False  # made meanwhile: the files go in one by one
        try:
            os.rename(site, self.output)  # fails across file systems
        except OSError:
            return False
        # As plain strings: 13,500 paths made and looked at through pathlib took three times
        # as long, with every core but this one idle.
        # Each with its size and time as written: a rename keeps both.
        for name, (_, size, written) in sorted(self.staged.items()):
            self._record(name, (size, written))
        self.written = len(self.staged)
        shutil.rmtree(self.staging, ignore_errors=True)
        return True

    def _make_room(self, name: str, temporary: str, target: Path) -> bool:
        """Whether to move the staged file to `target`: not when the bytes are already there."""
        if name not in self.previous.files and same_bytes(Path(temporary), target):
            # Made by a build whose state is gone: leave it, with its time, as it is.
            os.unlink(temporary)
            self._record(name, target)
            return False
        if target.is_dir():
            shutil.rmtree(target)
        return True

    def _record(self, name: str, target: Path | tuple[int, int]) -> None:
        """Record an output file as it is at `target`, or with this size and time."""
        if isinstance(target, Path):
            info = os.stat(target)
            target = (info.st_size, info.st_mtime_ns)
        record = self.state.files[name] = (self.digests[name], *target)
        if self.state.edits is not None:
            self.state.edits[1][name] = record

    def result(self, seconds: float) -> BuildResult:
        """The build's summary."""
        written = self.written
        files = len(self.state.files)
        # After text edits, the state holds only the pages that changed.
        pages, removed = self.state.page_count or len(self.state.pages), self.removed
        return BuildResult(pages, files, written, files - written, removed, seconds)


def make_folders_in(base: str, folders: list[str], chmod: bool = True) -> None:
    """Make every folder below `base`, in order (so that parents come first); `chmod` as
    for `make_folder`."""
    for folder in folders:
        make_folder(os.path.join(base, folder), chmod=chmod)


def same_bytes(staged: Path, target: Path) -> bool:
    """Whether `target` is a file holding exactly the bytes of `staged`."""
    try:
        if target.stat().st_size != staged.stat().st_size:
            return False
        return target.read_bytes() == staged.read_bytes()
    except OSError:
        return False


def _made_alike(parent: Path, staging: Path) -> bool:
    """Whether folders made in `staging` and renamed into `parent` get what folders made in
    `parent` would: the same file system, and no group or default ACL passed down by either."""
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    try:
        where, there = parent.stat(), staging.stat()
    except OSError:
        return False
    if where.st_dev != there.st_dev or (where.st_mode | there.st_mode) & stat.S_ISGID:
        return False
    return not (default_acl(parent) or default_acl(staging))


def _none_gone(outputs: Outputs) -> bool:
    """Whether every file of the last build is one of this one's (as a rebuild after an edit
    keeps them all): the names it lacks of the state's files found in C, with no set made
    of every file."""
    gone = outputs.previous.files.keys() - outputs.state.files.keys()
    return outputs.holds_all(gone)


def check_links(
    outputs: Outputs,
    pages: Mapping[str, Page],
    templates: Path,
    only: Iterable[str] | None = None,
) -> None:
    """Every internal link of every page (or of the pages `only` names, when no file has gone
    since the last build) must lead to a file of this build."""
    records = outputs.state.pages
    checked: Iterable[tuple[str, PageRecord]]
    if only is not None and _none_gone(outputs):
        # After an edit: a few pages, each link looked up where the build keeps its files.
        holds: Callable[[Iterable[str]], bool] = outputs.holds_all
        checked = ((url, records[url]) for url in only)
    else:
        holds, checked = outputs.names().issuperset, outputs.pages()
    broken = [url for url, record in checked if not holds(record.links)]
    if not broken:
        return
    existing = outputs.names()
    quoted = {}
    for url in broken:
        doc = pages[url].document
        # The error names the line of the link, so documents need their text back.
        quoted[url] = dataclasses.replace(pages[url], document=doc and with_text(doc))
    texts = {url: outputs.text_of(url) for url in broken}
    raise ContentError(link_problems(quoted, texts, existing, templates))
