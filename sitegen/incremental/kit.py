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
from typing import BinaryIO

from sitegen.content.config import SiteConfig
from sitegen.content.i18n import StringsFile
from sitegen.content.schema import Document
from sitegen.markdown.texts import DOCUMENT_TYPES
from sitegen.render.assets import Assets
from sitegen.render.form import Form
from sitegen.render.images import ImageSet
from sitegen.site.listing import Entry
from sitegen.site.model import Chrome, Page

KIT_FORMAT = 4
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
    URLs of its own pages, and those of every page that shows it (its own among them)."""

    document: Document
    body: str
    own: tuple[str, ...]
    shown_on: tuple[str, ...]


# While a part is pickled: the documents it names, by path. While one is read: where the
# documents it names are found.
_named: dict[str, Document] = {}
_finding: list[Callable[[str], Document]] = []


def _named_document(path: str) -> Document:
    """A document a saved part names, as the reader finds it (see `KitReader.document`)."""
    return _finding[-1](path)


def _by_name(document: Document) -> tuple[Callable[[str], Document], tuple[str]]:
    # Each document is saved once, on its own; the parts that show it name it.
    path = str(document.path)
    _named[path] = document
    return _named_document, (path,)


# How pages and the shared parts are pickled: documents by name (`_by_name`).
_BY_NAME_TABLE = {**copyreg.dispatch_table, **dict.fromkeys(DOCUMENT_TYPES, _by_name)}
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
    documents: dict[str, Document] = {}
    own: dict[str, list[str]] = {}
    shown_on: dict[str, list[str]] = {}
    spans = array("q")
    offset = 0

    def put(part: object, file: BinaryIO, *, by_name: bool = True) -> None:
        nonlocal offset
        buffer.seek(0)
        buffer.truncate()
        # A new pickler for each part: clearing one's memo takes longer once it has grown.
        pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
        if by_name:
            pickler.dispatch_table = _BY_NAME_TABLE
        pickler.dump(part)
        file.write(buffer.getbuffer())
        spans.extend((offset, buffer.tell()))
        offset += buffer.tell()

    try:
        with os.fdopen(handle, "wb") as file:
            file.write(bytes(_LENGTH))  # the header's place, known at the end
            try:
                put(kit.shared, file)
                documents.update(_named)
                _named.clear()
                for page in kit.pages:
                    put(page, file)
                    if page.document is not None:
                        own.setdefault(str(page.document.path), []).append(page.url)
                    for named in _named:
                        shown_on.setdefault(named, []).append(page.url)
                    documents.update(_named)
                    _named.clear()
            finally:
                _named.clear()
            names = list(documents)
            for start in range(0, len(names), DOCUMENTS_A_PART):
                part = tuple(
                    Saved(
                        documents[name],
                        kit.bodies[name],
                        tuple(own.get(name, ())),
                        tuple(shown_on.get(name, ())),
                    )
                    for name in names[start : start + DOCUMENTS_A_PART]
                )
                put(part, file, by_name=False)
            shared = (spans[0], spans[1])
            pages = (_NUL + _NUL.join(urls) + _NUL, spans[2 : 2 + 2 * len(urls)].tobytes())
            # Each document's place is its part's: the nth document is the part's n % 64th.
            parts = spans[2 + 2 * len(urls) :]
            places = array("q")
            for number in range(len(names)):
                chunk = number // DOCUMENTS_A_PART
                places.extend(parts[2 * chunk : 2 * chunk + 2])
            saved_documents = (_NUL + _NUL.join(names) + _NUL, places.tobytes())
            header = (KIT_FORMAT, version, token, shared, pages, saved_documents)
            file.write(marshal.dumps(header))
            file.seek(0)
            file.write((_LENGTH + offset).to_bytes(_LENGTH, "little"))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class _Names:
    """Names listed between NULs, and the place of the nth at 2n and 2n + 1."""

    def __init__(self, listed: str, places: bytes) -> None:
        self.listed, self.places = listed, memoryview(places).cast("q")
        self.searched = 0
        self.numbers: dict[str, int] | None = None

    def span(self, name: str) -> tuple[int, int] | None:
        """Where the part of `name` is, or None when it is not listed."""
        number = self.number(name)
        if number is None:
            return None
        return self.places[2 * number], self.places[2 * number + 1]

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
    """A saved kit, read part by part. The documents its pages and shared parts show are
    found as `now` has them, else as saved: pages whose own document is given anew are read
    with its title and summary."""

    def __init__(
        self, path: Path, start: int, shared: tuple[int, int], pages: _Names, documents: _Names
    ) -> None:
        self.path, self.start, self.span = path, start, shared
        self._pages, self._documents = pages, documents
        self.now: dict[str, Document] = {}
        # Parts of saved documents read, by place.
        self._parts: dict[int, tuple[Saved, ...]] = {}

    def shared(self) -> Shared:
        """The site-wide parts."""
        found = self._load(self.span)
        if not isinstance(found, Shared):
            raise TypeError(f"{self.path}: not a kit")
        return found

    def saved(self, document: str) -> Saved | None:
        """A document as saved, with its text's key and the pages that show it; None when it
        has no page."""
        number = self._documents.number(document)
        if number is None:
            return None
        start, length = self._documents.places[2 * number : 2 * number + 2]
        if start not in self._parts:
            part = self._load((start, length), by_name=False)
            if not isinstance(part, tuple):
                raise TypeError(f"{self.path}: not a kit")
            self._parts[start] = part
        saved = self._parts[start][number % DOCUMENTS_A_PART]
        if not isinstance(saved, Saved):
            raise TypeError(f"{self.path}: not a kit")
        return saved

    def document(self, path: str) -> Document:
        """A document a page shows: as given in `now`, else as saved."""
        if path in self.now:
            return self.now[path]
        saved = self.saved(path)
        if saved is None:
            raise TypeError(f"{self.path}: a page shows a document the kit lacks")
        return saved.document

    def page(self, url: str) -> Page | None:
        """A page, showing the documents as they are now; None when there is no such page."""
        span = self._pages.span(url)
        if span is None:
            return None
        page = self._load(span)
        if not isinstance(page, Page):
            raise TypeError(f"{self.path}: not a kit")
        doc = page.document
        if doc is not None and (page.title, page.description) != (doc.title, doc.summary):
            # As the model makes a document's pages: their title and description are its own.
            page = dataclasses.replace(page, title=doc.title, description=doc.summary)
        return page

    def pages(self, document: str) -> tuple[Page, ...]:
        """The pages of one document (none when it has no page)."""
        saved = self.saved(document)
        found = () if saved is None else tuple(self.page(url) for url in saved.own)
        return tuple(page for page in found if page is not None)

    def _load(self, span: tuple[int, int], *, by_name: bool = True) -> object:
        with self.path.open("rb") as file:
            file.seek(self.start + span[0])
            data = file.read(span[1])
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
        with path.open("rb") as file:
            file.seek(int.from_bytes(file.read(_LENGTH), "little"))
            header = marshal.loads(file.read())  # noqa: S302 - our own cache file
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if type(header) is not tuple or len(header) != 6 or header[:3] != (KIT_FORMAT, version, token):
        return None
    _, _, _, shared, *lists = header
    named = []
    for listed in lists:
        if type(listed) is not tuple or len(listed) != 2:
            return None
        names, places = listed
        if type(names) is not str or type(places) is not bytes or len(places) % 16:
            return None
        if names.count(_NUL) != len(places) // 16 + 1:
            return None
        named.append(_Names(names, places))
    return KitReader(path, _LENGTH, shared, *named)
