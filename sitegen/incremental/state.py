"""The last build's state in `.cache/builds/`: inputs, output files, page keys; saved, pruned."""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import pickle
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from sitegen.classes import dataclass
from sitegen.content.schema import Document
from sitegen.digest import digest
from sitegen.incremental import noop
from sitegen.incremental.fingerprint import code_version
from sitegen.incremental.kit import DAMAGED, Kit, PageSeen, Staged, StagedFile, write_kit
from sitegen.incremental.plain import document_from, dumps, pickled, plain_document, unpickled
from sitegen.unused import remove_unused

STATE_FORMAT = 8
# The state of builds not made for this long is removed: its date in the key is long past, or
# its output folder is gone.
STATE_MAX_AGE = 7 * 86400
# Past this many inputs and output files changed since the file list was saved whole, it is
# saved whole again: reading it applies every one of them.
EDITS_AT_MOST = 2000


@dataclass(frozen=True)
class PageRecord:
    """What the last build made of one page: its input key, output digest and internal links."""

    key: str
    digest: str
    links: tuple[str, ...]


# A document as the last build read it: the size and time of its file, what else reading it
# depended on (`Builder._context_key`), the document without its text, its text's cache key.
DocumentEntry = tuple[tuple[int, int], str, Document, str]

# A written output file as it was left: content digest, size and modification time. A plain
# tuple, as marshal saves and reads it: no conversion of 10,000s of them either way.
FileRecord = tuple[str, int, int]


@dataclass
class BuildState:
    """Everything a rebuild reuses; one per output folder and set of options.

    Documents are kept without their body text (the digest of the body stands in for it)."""

    version: str = field(default_factory=code_version)
    inputs: dict[str, tuple[int, int]] = field(default_factory=dict)
    files: dict[str, FileRecord] = field(default_factory=dict)
    documents: dict[str, DocumentEntry] = field(default_factory=dict)
    pages: dict[str, PageRecord] = field(default_factory=dict)
    # Pairs the two saved files: the model is used only with the file list saved with it.
    token: str = ""
    # Pairs the kit with the file list likewise: the model's token, or a new one for a kit
    # saved again after an edit moved a story in the lists (`amend_kit`).
    kit_token: str = ""
    # The site model's parts a later process needs to render an edited text's pages again.
    kit: Kit | None = None
    # Documents and pages changed since the model file was written (a page gone since, saved
    # as None); the file list carries them.
    journal: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()))
    # How many pages the saved state has, known before its model file is read.
    page_count: int = 0
    # The journal's entries as read, until the model file they go over is loaded.
    journal_entries: tuple[dict[str, Any], dict[str, PageRecord | None]] = field(
        default_factory=lambda: ({}, {})
    )
    # The inputs and output files changed since the file list was saved whole, which is all
    # a save after an edit writes; None when not known (the list is then saved whole).
    edits: noop.Edits | None = None
    # The kit, saved ahead of the state under a name of its own (`stage_kit`, `amend_kit`).
    staged_kit: Staged | None = None
    # The documents written out ahead of a whole save, with the mapping they were made from
    # (`stage_documents`).
    staged_documents: tuple[Mapping[str, DocumentEntry], bytes] | None = None
    # Whether every document and page is here (`load_model`, or made by a whole build), not
    # only those changed since the model file was saved.
    whole: bool = False


def state_path(cache: Path, output: Path, options: Mapping[str, object]) -> Path:
    """Where the state of builds into `output` with these options is kept."""
    settings = repr(sorted(options.items()))
    return cache / noop.BUILDS / digest(str(output.resolve()), settings)


def load_state(path: Path) -> BuildState:
    """The saved list of inputs and outputs (enough to see that nothing changed)."""
    fresh = BuildState()
    listed = path.with_suffix(".files")
    # Plain values in marshal's format: read in a tenth of the time pickle takes. The
    # no-change check of this process may have just read them.
    saved = noop.listing(listed) or noop.read_listing(os.fspath(listed), fresh.version)
    if saved is None or saved[0] != fresh.version or saved[6] != STATE_FORMAT:
        return fresh
    try:
        documents, pages, kit_token = pickle.loads(saved[4])  # noqa: S301 - our own cache file
    except DAMAGED:
        return fresh
    fresh.token, fresh.inputs, fresh.files = saved[1], saved[2], saved[3]
    fresh.page_count, fresh.edits = saved[5], saved[7]
    fresh.kit_token = kit_token
    journal = fresh.journal_entries = (documents, pages)
    fresh.journal = (set(journal[0]), set(journal[1]))
    _touch(*state_files(path), path.with_suffix(".edits"))
    return fresh


def state_files(path: Path) -> tuple[Path, Path, Path]:
    """The files of one saved state: its file list, its documents and pages, its kit."""
    return path.with_suffix(".files"), path.with_suffix(".model"), path.with_suffix(".kit")


def _touch(*paths: Path) -> None:
    # The modification time says when a state was last used; pruning goes by it.
    for path in paths:
        with contextlib.suppress(OSError):
            os.utime(path)


def load_model(path: Path, state: BuildState) -> None:
    """Add the saved documents and pages to `state`, if they belong to the same build."""
    saved = _load(path.with_suffix(".model"), 5)
    state.whole = True
    model = None
    if saved is not None and (saved[0], saved[1]) == (state.version, state.token):
        model = _model_from(saved[2], saved[3])
    if model is None:
        # Without its model the file list is of no use: build everything.
        state.inputs, state.files = {}, {}
        return
    state.documents, state.pages = model
    state.documents.update(state.journal_entries[0])
    for url, record in state.journal_entries[1].items():
        if record is None:  # gone since (`Outputs.drop_page`)
            state.pages.pop(url, None)
        else:
            state.pages[url] = record


def _model_from(
    documents: object, pages: object
) -> tuple[dict[str, DocumentEntry], dict[str, PageRecord]] | None:
    """The documents and pages of a model file (see `stage_documents`); None when they
    cannot be read."""
    try:
        with no_cycle_collection():
            rows = marshal.loads(documents)  # type: ignore[arg-type]  # noqa: S302 - ours
            if type(rows) is not dict or type(pages) is not dict:
                return None
            found = {}
            for name, row in rows.items():
                if isinstance(row, bytes):
                    found[name] = unpickled(row, tuple)
                else:
                    stat, context, values, body = row
                    found[name] = (stat, context, document_from(values), body)
            return found, {url: PageRecord(*record) for url, record in pages.items()}
    except DAMAGED:
        return None


def _load(path: Path, length: int) -> tuple[Any, ...] | None:
    try:
        saved = noop.loaded_file(path)
    except (OSError, *DAMAGED):
        return None
    if type(saved) is not tuple or len(saved) != length or saved[-1] != STATE_FORMAT:
        return None
    return saved


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cycle collector off meanwhile, for work that makes many objects and no garbage
    (unpickling hundreds of thousands of them; a build): it would look at all of them again
    and again."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def save_state(path: Path, state: BuildState, *, whole: bool = True) -> None:
    """Replace the saved state: the model first, then the list of files that points at it.

    Without `whole`, only the file list is written, carrying the documents and pages changed
    since the model file was (the journal); the model file stays as it is. And of the file
    list, only what changed since it was saved whole, when that is known and not too much.
    A kit saved again meanwhile (`amend_kit`) is put in place once the file list naming it is.
    """
    staged, state.staged_kit = state.staged_kit, None
    written, state.staged_documents = state.staged_documents, None
    try:
        _save_state(path, state, whole, staged, written)
    except BaseException:
        if staged is not None:
            staged.drop()
        raise
    if not whole:
        state.kit = None  # a kit from before the edits: never saved again
    # Saved states (and leftover temporary files) of builds not made for a week.
    remove_unused(path.parent, {*state_files(path), path.with_suffix(".edits")}, STATE_MAX_AGE)


def _save_state(
    path: Path,
    state: BuildState,
    whole: bool,
    staged: Staged | None,
    written: tuple[Mapping[str, DocumentEntry], bytes] | None,
) -> None:
    """`save_state`, with the kit and the documents saved ahead taken from the state."""
    if whole:
        if staged is None:
            state.token = new_token()
        state.kit_token = state.token
        state.journal = (set(), set())
        if written is None or written[0] is not state.documents:
            written = (state.documents, _dumped(state.documents))
        records = {url: (page.key, page.digest, page.links) for url, page in state.pages.items()}
        model = (state.version, state.token, written[1], records)
        _save(path.with_suffix(".model"), (*model, STATE_FORMAT))
        state.page_count = len(state.pages)
        if staged is not None:
            _put_in_place(staged, path.with_suffix(".kit"))
            staged = None
        elif state.kit is None:
            path.with_suffix(".kit").unlink(missing_ok=True)
        else:
            write_kit(path.with_suffix(".kit"), state.version, state.token, state.kit)
        state.kit = None  # saved; all it holds, the whole model among it, can go
    documents, pages = state.journal
    journal = (
        {p: state.documents[p] for p in documents},
        {u: state.pages.get(u) for u in pages},
        state.kit_token,
    )
    entries = pickle.dumps(journal, pickle.HIGHEST_PROTOCOL)
    edits = path.with_suffix(".edits")
    changed = state.edits
    if not whole and changed is not None and len(changed[0]) + len(changed[1]) <= EDITS_AT_MOST:
        _save(edits, (state.token, *changed, entries, state.page_count))
    else:
        saved = (state.version, state.token, state.inputs, state.files, entries, state.page_count)
        # First: edits saved over the list as it was would not be this list's (its token
        # stays the same after an edit).
        edits.unlink(missing_ok=True)
        _save(path.with_suffix(".files"), (*saved, STATE_FORMAT))
        state.edits = ({}, {})
    if staged is not None:
        _put_in_place(staged, path.with_suffix(".kit"))


def _put_in_place(staged: Staged, path: Path) -> None:
    """Put a kit saved ahead in place. One that cannot be is left out: the kit in place then
    lacks the token the state names it by, and the next build needing it builds whole."""
    with contextlib.suppress(OSError):
        staged.put_in_place(path)


def stage_kit(path: Path, state: BuildState, *, seen: PageSeen | None = None) -> None:
    """Save the kit of a state that will be saved whole, before the rest of it is known: under
    a name of its own, with the token the state gets, for `save_state` to put in place.
    `seen` is told of each page as it is saved (`write_kit`)."""
    unstage_kit(state)
    if state.kit is None:
        return
    state.token = new_token()
    # Of this build alone: another one into the same folder may be staging its own.
    staged = path.with_suffix(f".kit-{state.token}")
    write_kit(staged, state.version, state.token, state.kit, seen=seen)
    state.staged_kit = StagedFile(staged)


def stage_documents(state: BuildState) -> None:
    """Write out the documents of a state that will be saved whole, before its pages are
    known: they are most of the model file (some 100 ms at 10,000 stories), which a build then
    makes while its workers render rather than after. The mapping must not change until the
    state is saved; `save_state` writes it out again if it has been replaced."""
    state.staged_documents = (state.documents, _dumped(state.documents))


def _dumped(documents: dict[str, DocumentEntry]) -> bytes:
    """The documents as plain values (`sitegen.incremental.plain`), by path, in marshal's
    format; an entry it cannot hold so, pickled."""
    rows: dict[str, Any] = {}
    for name, entry in documents.items():
        stat, context, doc, body = entry
        values = plain_document(doc)
        rows[name] = pickled(entry) if values is None else (stat, context, values, body)
    return dumps(rows, documents.__getitem__)


def unstage_kit(state: BuildState) -> None:
    """Remove a kit saved ahead of a state that will not be saved."""
    if state.staged_kit is not None:
        state.staged_kit.drop()
        state.staged_kit = None


def new_token() -> str:
    """A token no other saved state has."""
    return digest(str(time.time_ns()), str(os.getpid()))


def _save(path: Path, data: Any) -> None:
    """Save plain values (`noop.dumped`) through a temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(noop.dumped(data))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
