"""What a later process needs to render again the pages an edit changes, saved so that it
reads only those pages: every page of the site model, each document once with the pages that
show it, and the few site-wide parts a page or a feed is rendered with (settings, menus,
strings, images, assets, the form, the newest stories of each feed, the keys' shared parts)."""

from __future__ import annotations

import copyreg
import dataclasses
import io
import marshal
import os
import pickle
import tempfile
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sitegen.content.config import SiteConfig
from sitegen.content.i18n import StringsFile
from sitegen.content.schema import Document
from sitegen.markdown.texts import DOCUMENT_TYPES
from sitegen.render.assets import Assets
from sitegen.render.form import Form
from sitegen.render.images import ImageSet
from sitegen.site.listing import Entry
from sitegen.site.model import Chrome, Page

KIT_FORMAT = 5
_LENGTH = 8
# Between and around the names in the header; no path or URL holds it.
_NUL = "\0"
# Past this many names looked up in one kit, a mapping of all of them costs less than
# searching the header's text for each.
_SEARCHED_AT_MOST = 8


@dataclass(frozen=True)
class Shared:
    """The site-wide parts of the model that rendering one page or a feed uses."""

    config: SiteConfig
    chrome: Mapping[str, Chrome]
    # The stories each feed shows, by language, and the cache keys of their texts.
    feeds: Mapping[str, tuple[Entry, ...]]
    feed_bodies: Mapping[str, str]
    strings: tuple[StringsFile, ...]
    # The files of images/, by name, as the content was read with them.
    content_images: dict[str, Path]
    images: dict[str, ImageSet]
    assets: Assets
    form: Form
    shared: dict[str, str]
    templates: dict[str, str]


@dataclass(frozen=True)
class Kit:
    """The shared parts, every page, and the cache key of each document's text (by path)."""

    shared: Shared
    pages: Sequence[Page]
    bodies: Mapping[str, str]


@dataclass(frozen=True)
class Saved:
    """One document as the kit has it: itself (without its text), its text's cache key, the
    URLs of its own pages, those of every page that shows it (its own among them), and
    whether its own pages have its title and summary as theirs (`KitReader.page`)."""

    document: Document
    body: str
    own: tuple[str, ...]
    shown_on: tuple[str, ...]
    follows: bool


# While a part is read: where the documents it names are found (`KitReader.document`), the
# reader reading last at the end.
_finding: list[Callable[[str], Document]] = []


def _named_document(path: str) -> Document:
    """A document a saved part names, as the reader reading it finds it."""
    return _finding[-1](path)


# Whether a part can be read at its place without moving the file's position (not Windows).
_PREAD = hasattr(os, "pread")
# Saved documents are pickled this many to a part: a part each would cost twice the time.
DOCUMENTS_A_PART = 64


def write_kit(path: Path, version: str, token: str, kit: Kit) -> None:
    """Save the kit: the pickled parts one after another (the shared parts, each page, each
    document), then a header of where each page and document is; the file starts with the
    header's place.

    Pages and the shared parts name the documents they show rather than holding copies, so
    that a document is saved once however many pages show it, and read back as it is now
    after an edit. Each part is written as soon as it is pickled: a build saves the kit while
    its workers render, and holding every part until the end would add the whole kit to its
    peak memory. The header lists the names in one text and their places in one run of bytes,
    which read in a fraction of a millisecond, where a mapping of 10,000 names took 3 ms."""
    urls = [page.url for page in kit.pages]
    if any(_NUL in name for name in (*urls, *kit.bodies)):
        raise ValueError("a page's URL or a document's path holds a NUL character")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    buffer = io.BytesIO()
    # The documents the part being pickled names, by path; then all those named so far.
    named: dict[str, Document] = {}
    documents: dict[str, Document] = {}
    own: dict[str, list[str]] = {}
    shown_on: dict[str, list[str]] = {}
    # Documents whose own pages do not all have the document's title and summary.
    departing: set[str] = set()
    spans = array("q")
    offset = 0

    def by_name(document: Document) -> tuple[Callable[[str], Document], tuple[str]]:
        path = str(document.path)
        named[path] = document
        return _named_document, (path,)

    # Documents by name. Only the classes in this table cost a call here: a `persistent_id`
    # would be called for every object pickled, each string and number too.
    table = {**copyreg.dispatch_table, **dict.fromkeys(DOCUMENT_TYPES, by_name)}

    def put(part: object, file: BinaryIO, *, naming: bool = True) -> None:
        nonlocal offset
        buffer.seek(0)
        buffer.truncate()
        # A new pickler for each part: clearing one's memo takes longer once it has grown.
        pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
        if naming:
            pickler.dispatch_table = table
        pickler.dump(part)
        file.write(buffer.getbuffer())
        spans.extend((offset, buffer.tell()))
        offset += buffer.tell()

    try:
        with os.fdopen(handle, "wb") as file:
            file.write(bytes(_LENGTH))  # the header's place, known at the end
            put(kit.shared, file)
            documents.update(named)
            named.clear()
            for page in kit.pages:
                put(page, file)
                doc = page.document
                if doc is not None:
                    own.setdefault(str(doc.path), []).append(page.url)
                    if (page.title, page.description) != (doc.title, doc.summary):
                        departing.add(str(doc.path))
                for name in named:
                    shown_on.setdefault(name, []).append(page.url)
                documents.update(named)
                named.clear()
            names = list(documents)
            for start in range(0, len(names), DOCUMENTS_A_PART):
                part = tuple(
                    Saved(
                        documents[name],
                        kit.bodies[name],
                        tuple(own.get(name, ())),
                        tuple(shown_on.get(name, ())),
                        name not in departing,
                    )
                    for name in names[start : start + DOCUMENTS_A_PART]
                )
                put(part, file, naming=False)
            shared = (spans[0], spans[1])
            pages = (_listed(urls), spans[2 : 2 + 2 * len(urls)].tobytes())
            saved_documents = (_listed(names), spans[2 + 2 * len(urls) :].tobytes())
            header = (KIT_FORMAT, version, token, shared, pages, saved_documents)
            file.write(marshal.dumps(header))
            file.seek(0)
            file.write((_LENGTH + offset).to_bytes(_LENGTH, "little"))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _listed(names: list[str]) -> str:
    """Names between and around NULs: one NUL when there are none."""
    return _NUL + "".join(name + _NUL for name in names)


class _Names:
    """Names listed between NULs, `per_part` to a part, and the place of the nth part at 2n
    and 2n + 1."""

    def __init__(self, listed: str, places: bytes, per_part: int) -> None:
        self.listed, self.places = listed, memoryview(places).cast("q")
        self.per_part = per_part
        self.searched = 0
        self.numbers: dict[str, int] | None = None

    def fits(self) -> bool:
        """Whether there are as many places as parts of the names."""
        count = self.listed.count(_NUL) - 1
        return len(self.places) // 2 == -(-count // self.per_part)

    def span(self, name: str) -> tuple[int, int] | None:
        """Where the part of `name` is, or None when it is not listed."""
        number = self.number(name)
        return None if number is None else self.place(number)

    def place(self, number: int) -> tuple[int, int]:
        """Where the part of the nth name is."""
        part = number // self.per_part
        return self.places[2 * part], self.places[2 * part + 1]

    def number(self, name: str) -> int | None:
        """Where `name` is listed, counted from 0; None when it is not."""
        if _NUL in name:
            return None
        if self.numbers is None and self.searched < _SEARCHED_AT_MOST:
            self.searched += 1
            found = self.listed.find(f"{_NUL}{name}{_NUL}")
            return None if found < 0 else self.listed.count(_NUL, 0, found)
        if self.numbers is None:
            names = self.listed[1:-1].split(_NUL) if len(self.listed) > 1 else []
            self.numbers = {name: number for number, name in enumerate(names)}
        return self.numbers.get(name)


class KitReader:
    """A saved kit, read part by part from the file as it was opened (another build may put
    a new one in its place meanwhile); close it when done. The documents its pages and
    shared parts show are found as `now` has them, else as saved."""

    def __init__(
        self, file: BinaryIO, start: int, shared: tuple[int, int], pages: _Names, documents: _Names
    ) -> None:
        self.file, self.start, self.span = file, start, shared
        self._pages, self._documents = pages, documents
        self.now: dict[str, Document] = {}
        # Parts of saved documents read, by place.
        self._parts: dict[int, tuple[Saved, ...]] = {}

    def close(self) -> None:
        """Close the file."""
        self.file.close()

    def __enter__(self) -> KitReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def shared(self) -> Shared:
        """The site-wide parts."""
        found = self._load(self.span)
        if not isinstance(found, Shared):
            raise TypeError(f"{self.file.name}: not a kit")
        return found

    def saved(self, document: str) -> Saved | None:
        """A document as saved, with its text's key and the pages that show it; None when it
        has no page."""
        number = self._documents.number(document)
        if number is None:
            return None
        place = self._documents.place(number)
        if place[0] not in self._parts:
            part = self._load(place, by_name=False)
            if not isinstance(part, tuple):
                raise TypeError(f"{self.file.name}: not a kit")
            self._parts[place[0]] = part
        saved = self._parts[place[0]][number % DOCUMENTS_A_PART]
        if not isinstance(saved, Saved):
            raise TypeError(f"{self.file.name}: not a kit")
        return saved

    def document(self, path: str) -> Document:
        """A document a page shows: as given in `now`, else as saved."""
        if path in self.now:
            return self.now[path]
        saved = self.saved(path)
        if saved is None:
            raise TypeError(f"{self.file.name}: a page shows a document the kit lacks")
        return saved.document

    def page(self, url: str) -> Page | None:
        """A page, showing the documents as they are now; None when there is no such page.
        A document's own page takes its title and summary anew, where it had them as its own
        when saved (`Saved.follows`), as the model makes it."""
        span = self._pages.span(url)
        if span is None:
            return None
        page = self._load(span)
        if not isinstance(page, Page):
            raise TypeError(f"{self.file.name}: not a kit")
        doc = page.document
        if doc is not None and (page.title, page.description) != (doc.title, doc.summary):
            saved = self.saved(str(doc.path))
            if saved is not None and saved.follows:
                page = dataclasses.replace(page, title=doc.title, description=doc.summary)
        return page

    def _load(self, span: tuple[int, int], *, by_name: bool = True) -> object:
        if _PREAD:
            data = os.pread(self.file.fileno(), span[1], self.start + span[0])
        else:  # Windows
            self.file.seek(self.start + span[0])
            data = self.file.read(span[1])
        if len(data) != span[1]:
            raise EOFError(f"{self.file.name}: cut short")
        if not by_name:
            return pickle.loads(data)  # noqa: S301 - our own cache file
        _finding.append(self.document)
        try:
            return pickle.loads(data)  # noqa: S301 - our own cache file
        finally:
            _finding.pop()


def open_kit(path: Path, version: str, token: str) -> KitReader | None:
    """The kit saved with the state `token` of this code, or None."""
    try:
        file = path.open("rb")
    except OSError:
        return None
    try:
        header = _header(file)
    except (OSError, EOFError, ValueError, TypeError):
        header = None
    if header is None or header[:3] != (KIT_FORMAT, version, token):
        file.close()
        return None
    _, _, _, shared, *lists = header
    named = []
    for (names, places), per_part in zip(lists, (1, DOCUMENTS_A_PART), strict=True):
        if type(names) is not str or type(places) is not bytes or len(places) % 16:
            file.close()
            return None
        found = _Names(names, places, per_part)
        if not found.fits():
            file.close()
            return None
        named.append(found)
    return KitReader(file, _LENGTH, shared, *named)


def _header(file: BinaryIO) -> tuple[Any, ...] | None:
    file.seek(int.from_bytes(file.read(_LENGTH), "little"))
    header = marshal.loads(file.read())  # noqa: S302 - our own cache file
    if type(header) is not tuple or len(header) != 6:
        return None
    if any(type(listed) is not tuple or len(listed) != 2 for listed in header[4:]):
        return None
    return header
