"""What a later process needs to render again the pages an edit changes, saved so that it
reads only those pages: every page of the site model, each document once with the pages that
show it, and the few site-wide parts a page or a feed is rendered with (settings, menus,
strings, images, assets, the form, the newest stories of each feed, the keys' shared parts)."""

from __future__ import annotations

import bisect
import contextlib
import copyreg
import dataclasses
import io
import marshal
import operator
import os
import pickle
import sys
import tempfile
from array import array
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sitegen.classes import dataclass
from sitegen.content.config import SiteConfig
from sitegen.content.i18n import StringsFile
from sitegen.content.schema import Document
from sitegen.incremental.noop import dumped, loaded, sealed
from sitegen.incremental.plain import (
    document_from,
    field_names,
    made_again,
    pickled,
    plain_document,
    unpickled,
)
from sitegen.markdown.texts import DOCUMENT_TYPES
from sitegen.render.assets import Assets
from sitegen.render.form import Form
from sitegen.render.images import ImageSet
from sitegen.site.listing import Entry, tag_slug
from sitegen.site.model import Chrome, Page

if TYPE_CHECKING:
    from sitegen.render.outputs import KeptSitemap, SitemapEntry

KIT_FORMAT = 14
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
    # The lists, worked out when the kit is saved (while workers render).
    lists: Callable[[], Lists] | None = None


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


# A story as the lists order it: the number of its day (of `date.min` without a date), its
# slug, path and URL, and the URL name and spelling of each tag it names (one a name, as the
# tag lists count them).
Tags = tuple[str, ...]
Listed = tuple[int, str, str, str, Tags, Tags]


def listed(doc: Document, url: str, alike: dict[Tags, Tags] | None = None) -> Listed:
    """A story's row in the lists, published at `url`. Its tags' URL names and spellings are
    one tuple when alike (most tags are spelt as their URL names). With `alike`, the rows
    made with it hold one tuple for equal tags, which marshal then saves once and reads back
    as one: at 10,000 stories, the lists are read in a sixth fewer page faults (1,265 from
    1,515)."""
    slugs = tuple(tag_slug(name) for name in doc.tags)
    names = tuple(map(sys.intern, doc.tags))
    if alike is not None:
        slugs = alike.setdefault(slugs, slugs)
        names = alike.setdefault(names, names)
    return (
        day_number(doc),
        doc.slug,
        str(doc.path),
        url,
        slugs,
        slugs if names == slugs else names,
    )


def day_number(doc: Document) -> int:
    """The number of a story's day, as `newest_first` orders them."""
    return (doc.date or date.min).toordinal()


# A language's tags by URL name, each with its stories in order and the spelling each names
# it by: once a name, as `group_tags` lists and counts them.
ByTag = dict[str, list[tuple[Listed, str]]]
# Stories moved in the lists since the kit saved them whole: the rows they have now, by
# language and path, and the sitemap's entries of their pages, by URL.
Moved = tuple[Mapping[str, Mapping[str, Listed]], Mapping[str, "SitemapEntry"]]
# Past this many rows moved, or entries of the sitemap, the kit saves the lists or the sitemap
# whole again: a reader puts each in its place (`reordered`, `with_entries`), and one entry
# of a sitemap kept as text costs a search of it.
ROWS_MOVED_AT_MOST = 64
ENTRIES_MOVED_AT_MOST = 8


def newest_first(row: Listed) -> tuple[int, str]:
    """As `sitegen.site.listing.newest_first` orders stories: newest first, then by slug."""
    return -row[0], row[1]


def reordered(before: Sequence[Listed], rows: Iterable[Listed]) -> list[Listed]:
    """The stories `before` (newest first) with these rows in place of those of the same
    paths, each in its place: what sorting them all again gives, in a fraction of its time.
    Rows of one day and slug keep no order of their own here, so then they are sorted."""
    return placed(before, rows)[0]


def placed(
    before: Sequence[Listed], rows: Iterable[Listed], left: Sequence[int] | None = None
) -> tuple[list[Listed], tuple[int, int] | None]:
    """`reordered`, and the first and last place the rows left or took: the lists are alike
    outside them (None: sorted anew, alike nowhere known). `left`: the places of the rows
    of the same paths in `before`, where known; else found by path (a row of a path not in
    `before` is added).

    Most edits move one story: the rows left are found by `places_of`."""
    now = {row[2]: row for row in rows}
    if left is None:
        left = places_of(before, now)  # a path not there: only added
    after = list(before)
    for place in sorted(left, reverse=True):
        del after[place]
    took = []
    for row in sorted(now.values(), key=newest_first):
        key = newest_first(row)
        place = bisect.bisect_left(after, key, key=newest_first)
        if place < len(after) and newest_first(after[place]) == key:
            kept = set(map(_row_path, before))
            added = [row for path, row in now.items() if path not in kept]
            rows_now = [*(now.get(row[2], row) for row in before), *added]
            return sorted(rows_now, key=newest_first), None
        after.insert(place, row)
        took.append(key)
    # Where each row is now: one key a row, found again once all are in (a later one may
    # have moved an earlier one on). A row added moves every one after it.
    places = [*left, *(bisect.bisect_left(after, key, key=newest_first) for key in took)]
    if len(after) != len(before):
        places.append(len(after) - 1)
    return after, (min(places), max(places)) if places else None


def places_of(rows: Sequence[Listed], paths: Iterable[str]) -> list[int]:
    """The places, in order, of the rows of these paths that `rows` holds: found by the C
    loops of `list.index`, not by a Python loop over every row (1 ms at 10,000 stories)."""
    listed_paths = list(map(_row_path, rows))
    found = []
    for path in paths:
        with contextlib.suppress(ValueError):
            found.append(listed_paths.index(path))
    return sorted(found)


# The path of a story's row (`listed`), as a C function: mapped over every row.
_row_path: Callable[[Listed], str] = operator.itemgetter(2)


@dataclass(frozen=True)
class Lists:
    """What rebuilding after stories move in the lists (their dates or tags edited) needs of
    the whole site: each language's stories newest first, the pages showing the newest of them
    (home pages), and the sitemap (`KeptSitemap`); None for it as the kit saved it, which a
    kit reads only when asked (`KitReader.sitemap`): only a new date changes it, and it is
    the larger part.

    `tagged`: each language's stories by tag, where worked out already (not saved): a
    long-lived builder keeps the lists it moved stories in, and need not group them again."""

    stories: Mapping[str, tuple[Listed, ...]]
    homes: Mapping[str, tuple[str, ...]]
    sitemap: KeptSitemap | None
    tagged: Mapping[str, ByTag] = field(default_factory=dict, compare=False, repr=False)


# While a part is read: where the documents it names are found (`KitReader.document`), the
# reader reading last at the end.
_finding: list[Callable[[str], Document]] = []


def _named_document(name: bytes) -> Document:
    """A document a saved part names, as the reader reading it finds it."""
    return _finding[-1](name.decode("utf-8", "surrogatepass"))


# What reading a kit or a saved state damaged on disk, or cut short, raises: among it a
# length too large to hold, nesting too deep to follow, a class of other code or one whose
# name names no module.
DAMAGED = (
    EOFError,
    ValueError,
    TypeError,
    LookupError,
    pickle.UnpicklingError,
    AttributeError,
    ImportError,
    OverflowError,
    MemoryError,
    RecursionError,
    # Marshal reading damaged bytes as a code object.
    SystemError,
)

# Whether a part can be read at its place without moving the file's position (not Windows).
_PREAD = hasattr(os, "pread")
# Saved documents are kept this many to a part: a part each would cost twice the time.
DOCUMENTS_A_PART = 64


# A saved document as plain values (`plain_document`), with its text's key, its own pages,
# those that show it and whether its pages follow it (`Saved`); or, when marshal cannot hold
# it so, the `Saved` pickled.
_Row = tuple[tuple[Any, ...], str, tuple[str, ...], tuple[str, ...], bool] | bytes


def _row(saved: Saved) -> bytes:
    """A saved document as a part of saved documents holds it: its row in marshal's format,
    on its own, so that it is read without the others of its part. A move in a tag's list
    at 10,000 stories reads 300 documents of 60 parts, which took 8 ms read whole."""
    values = plain_document(saved.document)
    if values is not None:
        with contextlib.suppress(ValueError):  # a value marshal cannot hold (a text's subclass)
            return marshal.dumps((values, saved.body, saved.own, saved.shown_on, saved.follows))
    return marshal.dumps(pickled(saved))


def _saved(data: bytes, make: Callable[[tuple[Any, ...]], Document] = document_from) -> Saved:
    """A saved document made again from its row (`_row`); its document by `make`."""
    row: _Row = marshal.loads(data)  # noqa: S302 - of a part of our own kit, checked whole
    if isinstance(row, bytes):
        return unpickled(row, Saved)
    values, body, own, shown_on, follows = row
    return Saved(make(values), body, own, shown_on, follows)


# The fields of a page and of an entry, in order, as `Naming` pickles them: their values
# alone, which pickle writes in a fifth less time than the objects' own state (a mapping of
# every field's name to its value), and in an eighth fewer bytes.
_PAGE_FIELDS = field_names(Page)
_ENTRY_FIELDS = field_names(Entry)
_page_values = operator.attrgetter(*_PAGE_FIELDS)
_entry_values = operator.attrgetter(*_ENTRY_FIELDS)


def _page(*values: Any) -> Page:
    """A page made again from its fields' values."""
    return made_again(Page, _PAGE_FIELDS, values)


def _entry(*values: Any) -> Entry:
    """An entry made again from its fields' values."""
    return made_again(Entry, _ENTRY_FIELDS, values)


def _page_parts(page: Page) -> tuple[Callable[..., Page], tuple[Any, ...]]:
    return _page, _page_values(page)


def _entry_parts(entry: Entry) -> tuple[Callable[..., Entry], tuple[Any, ...]]:
    return _entry, _entry_values(entry)


class Naming:
    """Parts pickled one at a time with the documents they show named by path, as the kit
    saves pages and the shared parts; the documents the last part names are in `named`."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.named: dict[str, Document] = {}
        # Documents by name, pages and entries by their fields' values. Only the classes in
        # this table cost a call here: a `persistent_id` would be called for every object
        # pickled, each string and number too.
        self.table: dict[type, Any] = {
            **copyreg.dispatch_table,
            **dict.fromkeys(DOCUMENT_TYPES, self._by_name),
            Page: _page_parts,
            Entry: _entry_parts,
        }

    def _by_name(self, document: Document) -> tuple[Callable[[bytes], Document], tuple[bytes]]:
        path = str(document.path)
        self.named[path] = document
        # Named by bytes of its own: the path's text, which the page may hold too (as its
        # origin), would be pickled as a reference to it where the page has that very text,
        # and as text where it has an equal one (read back from the kit, showing a document
        # read again), which would give one page two keys.
        return _named_document, (path.encode("utf-8", "surrogatepass"),)

    def pickled(self, part: object) -> memoryview:
        """One part's pickle, valid until the next part is pickled (`named` starts afresh)."""
        self.named.clear()
        buffer = self.buffer
        buffer.seek(0)
        buffer.truncate()
        # A new pickler for each part: clearing one's memo takes longer once it has grown.
        pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = self.table
        pickler.dump(part)
        return buffer.getbuffer()


# Pages pickled already as the kit saves them (`Naming.pickled`), by URL: each page, its
# pickle and the paths of the documents it names.
Pickled = Mapping[str, tuple[Page, bytes, frozenset[str]]]


class _Parts(Naming):
    """Parts pickled into a file one after another, each one's place noted in `spans`; pages
    given as pickled already (`Pickled`) are written as they are (`put_page`)."""

    def __init__(self, file: BinaryIO, offset: int, pages: Pickled | None = None) -> None:
        super().__init__()
        self.file, self.offset = file, offset
        self.spans = array("q")
        self._pages = pages or {}

    def put(self, part: object) -> tuple[int, int]:
        """Write one part; where it is."""
        with self.pickled(part) as data:
            return self.add(data)

    def put_page(self, page: Page) -> tuple[tuple[int, int], set[str]]:
        """Write a page; where it is, and the paths of the documents it names."""
        found = self._pages.get(page.url)
        if found is not None and found[0] is page:
            return self.add(found[1]), set(found[2])
        return self.put(page), set(self.named)

    def put_lists(
        self,
        lists: Lists,
        saved: tuple[tuple[int, int], tuple[int, int] | None] | None = None,
        moved: Moved = ({}, {}),
    ) -> _ListSpans:
        """Write the lists, as plain values in marshal's format (a third of pickle's time to
        read, a sixth to write): the stories and home pages, the sitemap, then what `moved`
        since. Where each is.

        With the lists as saved at `saved`, and the stories `moved` since (theirs, and those
        of the kit saved there), only what moved is written, while there is little of it:
        a story's new date saved the lists and the sitemap again, 2.5 MB at 10,000 stories,
        which took 6 ms and made the kit copy its parts to a new file every seventh edit.
        A sitemap saved at None is written whole (it has pages added or gone)."""
        rows, entries = moved
        if saved is None or sum(map(len, rows.values())) > ROWS_MOVED_AT_MOST:
            stories = self.add(dumped((dict(lists.stories), dict(lists.homes))))
            rows = {}
        else:
            stories = saved[0]
        kept_sitemap = None if saved is None else saved[1]
        if lists.sitemap is not None and (
            kept_sitemap is None or len(entries) > ENTRIES_MOVED_AT_MOST
        ):
            sitemap = self.add(dumped(lists.sitemap))
            entries = {}
        elif kept_sitemap is None:
            raise ValueError("lists without their sitemap, which no kit saved")
        else:
            sitemap = kept_sitemap
        rows = {code: dict(found) for code, found in rows.items()}
        return stories, sitemap, self.add(dumped((rows, dict(entries))))

    def add(self, data: bytes | memoryview) -> tuple[int, int]:
        """Write a part pickled already; where it is."""
        self.file.write(data)
        span = (self.offset, len(data))
        self.spans.extend(span)
        self.offset += span[1]
        return span


# Where the lists are: the stories and home pages, the sitemap, and what moved since.
_ListSpans = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]
# Told of each page as the kit saves it: the page, its pickle, the documents it names.
PageSeen = Callable[[Page, memoryview, Mapping[str, Document]], None]


def write_kit(
    path: Path, version: str, token: str, kit: Kit, *, seen: PageSeen | None = None
) -> None:
    """Save the kit: the pickled parts one after another (the shared parts, each page, each
    document, the lists), then a header of where each is; the file starts with the header's
    place. `seen` is told of each page as it is saved (the pages' keys are made of them).

    Pages and the shared parts name the documents they show rather than holding copies, so
    that a document is saved once however many pages show it, and read back as it is now
    after an edit. Each part is written as soon as it is pickled: a build saves the kit while
    its workers render, and holding every part until the end would add the whole kit to its
    peak memory. The header lists the names in one text and their places in one run of bytes,
    which read in a fraction of a millisecond, where a mapping of 10,000 names took 3 ms."""
    urls = [page.url for page in kit.pages]
    if any(_NUL in name for name in (*urls, *kit.bodies)):
        raise ValueError("a page's URL or a document's path holds a NUL character")

    def write(file: BinaryIO) -> tuple[Any, ...]:
        parts = _Parts(file, 0)
        named = parts.named
        # The documents named so far, by path; those the part last pickled names are in
        # `named` until the next is pickled.
        documents: dict[str, Document] = {}
        own: dict[str, list[str]] = {}
        shown_on: dict[str, list[str]] = {}
        # Documents whose own pages do not all have the document's title and summary.
        departing: set[str] = set()
        shared = parts.put(kit.shared)
        documents.update(named)
        for page in kit.pages:
            with parts.pickled(page) as data:
                parts.add(data)
                if seen is not None:
                    seen(page, data, named)
            doc = page.document
            if doc is not None:
                own.setdefault(str(doc.path), []).append(page.url)
                if (page.title, page.description) != (doc.title, doc.summary):
                    departing.add(str(doc.path))
            for name in named:
                shown_on.setdefault(name, []).append(page.url)
            documents.update(named)
        names = list(documents)
        for start in range(0, len(names), DOCUMENTS_A_PART):
            part = [
                Saved(
                    documents[name],
                    kit.bodies[name],
                    tuple(own.get(name, ())),
                    tuple(shown_on.get(name, ())),
                    name not in departing,
                )
                for name in names[start : start + DOCUMENTS_A_PART]
            ]
            parts.add(sealed(marshal.dumps(tuple(_row(saved) for saved in part))))
        lists = None if kit.lists is None else parts.put_lists(kit.lists())
        spans, first = parts.spans, 2 + 2 * len(urls)
        last = first + 2 * -(-len(names) // DOCUMENTS_A_PART)
        places = spans[2:first].tobytes(), spans[first:last].tobytes()
        pages = (parts.add(dumped(_listed(urls))), places[0])
        saved = (parts.add(dumped(_listed(names))), places[1])
        return (KIT_FORMAT, version, token, shared, pages, saved, lists)

    _write(path, write)


def amend_kit(
    kit: KitReader,
    path: Path,
    token: str,
    pages: Mapping[str, Page],
    *,
    shared: Shared | None = None,
    lists: Lists | None = None,
    moves: Moved = ({}, {}),
    pickled: Pickled | None = None,
    removed: Collection[str] = (),
) -> Staged:
    """Save the kit read (from `path`) with these pages, shared parts and lists in place of
    its own, and with `token`, without the pages `removed` (by URL); every document a page
    shows anew, or no longer, is saved again with the pages that show it. Staged: in use once
    put in place. `moves`: the stories that moved to make these lists of the kit's (see
    `_Parts.put_lists`); `pickled`: pages of these pickled already, which are saved as they
    are.

    While at least half of the file's parts are in use, the new parts are added to the end of
    the file, with a header of their own, which the file points at once put in place: only
    these parts are written, and a reader that opened the file before reads on the parts its
    own header names. Else the parts in use are copied to a new file, and the others left."""
    if 2 * kit.bytes_in_use() >= kit.end - kit.start:
        try:
            file = path.open("r+b")
        except OSError:
            file = None
        if (
            file is not None
            and os.fstat(file.fileno()).st_ino == os.fstat(kit.file.fileno()).st_ino
        ):
            size = file.seek(0, os.SEEK_END)
            try:
                parts = _Parts(file, size - _LENGTH, pickled)
                header = _amended(kit, parts, {}, token, pages, shared, lists, moves, removed)
                place = file.tell()
                file.write(dumped(header))
                file.flush()
            except BaseException:
                file.truncate(size)
                file.close()
                raise
            return StagedHeader(file, place, size)
        if file is not None:
            file.close()
    staged = path.with_name(f"{path.name}-{token}")

    def write(file: BinaryIO) -> tuple[Any, ...]:
        moved = kit.copy_parts(file, kit.in_use())
        parts = _Parts(file, file.tell() - _LENGTH, pickled)
        return _amended(kit, parts, moved, token, pages, shared, lists, moves, removed)

    _write(staged, write)
    return StagedFile(staged)


def _amended(
    kit: KitReader,
    parts: _Parts,
    moved: Mapping[int, int],
    token: str,
    pages: Mapping[str, Page],
    shared: Shared | None,
    lists: Lists | None,
    moves: Moved,
    removed: Collection[str] = (),
) -> tuple[Any, ...]:
    """Write the parts `amend_kit` changes; the header of the kit with them. `moved`: where
    the parts copied already moved, by their old places."""
    changes: dict[str, tuple[set[str], set[str]]] = {}
    page_names = kit.page_names
    places = _moved(page_names.places, moved)
    names_span = _span(page_names.span_of_names, moved)
    # Pages the kit has none of yet (a tag's first story made its list) are listed after its
    # own, pages the site no longer has left out, in a part of names of their own; and the
    # sitemap, which has other pages, is saved whole.
    new_urls = [url for url in pages if page_names.number(url) is None]
    dropped = {url: at for url in removed if (at := page_names.number(url)) is not None}
    if new_urls or dropped:
        names = page_names.listed[1:-1].split(_NUL) if len(page_names.listed) > 1 else []
        for at in sorted(dropped.values(), reverse=True):
            del names[at], places[2 * at : 2 * at + 2]
        names += new_urls
        places.extend(array("q", bytes(16 * len(new_urls))))
        listed_names = _listed(names)
        names_span = parts.add(dumped(listed_names))
        page_names = _Names(listed_names, places.tobytes(), 1, names_span)
    for url in dropped:
        for name in kit.names_on(url):
            changes.setdefault(name, (set(), set()))[0].add(url)
    for url, page in pages.items():
        number = page_names.number(url)
        if number is None:
            raise ValueError(f"the kit has no page {url}")
        before = kit.names_on(url)
        place, after = parts.put_page(page)
        places[2 * number : 2 * number + 2] = array("q", place)
        for name in before - after:
            changes.setdefault(name, (set(), set()))[0].add(url)
        for name in after - before:
            changes.setdefault(name, (set(), set()))[1].add(url)
    documents = kit.document_names
    held = _moved(documents.places, moved)
    by_part: dict[int, dict[int, Saved]] = {}
    for name, (gone, added) in changes.items():
        number = documents.number(name)
        saved = kit.saved(name)
        if number is None or saved is None:
            raise ValueError(f"a page shows a document the kit lacks: {name}")
        shown_on = [url for url in saved.shown_on if url not in gone]
        shown_on += sorted(added - set(shown_on))
        again = dataclasses.replace(saved, shown_on=tuple(shown_on))
        by_part.setdefault(number // DOCUMENTS_A_PART, {})[number % DOCUMENTS_A_PART] = again
    for part, replaced in by_part.items():
        rows = list(kit.part(part))
        for index, saved in replaced.items():
            rows[index] = _row(saved)
        place = parts.add(sealed(marshal.dumps(tuple(rows))))
        held[2 * part : 2 * part + 2] = array("q", place)
    shared_span = _span(kit.span, moved) if shared is None else parts.put(shared)
    spans = None
    if kit.lists_span is not None and kit.sitemap_span is not None and kit.moved_span is not None:
        spans = (
            _span(kit.lists_span, moved),
            _span(kit.sitemap_span, moved),
            _span(kit.moved_span, moved),
        )
    if lists is not None:
        since = moves if spans is None else _joined(kit.moved(), moves)
        kept = None if spans is None else (spans[0], None if new_urls or dropped else spans[1])
        spans = parts.put_lists(lists, kept, since)
    elif new_urls or dropped:
        raise ValueError("pages added or removed without the sitemap that lists them")
    return (
        KIT_FORMAT,
        kit.version,
        token,
        shared_span,
        (names_span, places.tobytes()),
        (_span(documents.span_of_names, moved), held.tobytes()),
        spans,
    )


def _joined(before: Moved, now: Moved) -> Moved:
    """The stories moved before and now, as now where both moved one."""
    rows = {code: {**found, **now[0].get(code, {})} for code, found in before[0].items()}
    rows.update((code, dict(found)) for code, found in now[0].items() if code not in rows)
    return rows, {**before[1], **now[1]}


class StagedFile:
    """A kit saved whole under a name of its own, ahead of the state that names it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def put_in_place(self, path: Path) -> None:
        """Replace the kit at `path` with this one; failing, remove it."""
        try:
            os.replace(self.path, path)
        except BaseException:
            self.drop()
            raise

    def drop(self) -> None:
        """Remove it."""
        self.path.unlink(missing_ok=True)


class StagedHeader:
    """A kit's new parts and header added to the end of its file, ahead of the state that
    names it; the file points at the header it had until put in place."""

    def __init__(self, file: BinaryIO, place: int, size: int) -> None:
        self.file, self.place, self.size = file, place, size

    def put_in_place(self, path: Path) -> None:
        """Point the file (opened from `path`) at the new header; failing, drop the parts."""
        try:
            self.file.seek(0)
            self.file.write(self.place.to_bytes(_LENGTH, "little"))
            self.file.close()
        finally:
            self.drop()

    def drop(self) -> None:
        """Cut the file back to what it was, unless put in place."""
        if self.file.closed:
            return
        try:
            self.file.truncate(self.size)
        finally:
            self.file.close()


Staged = StagedFile | StagedHeader


def _moved(places: memoryview | array[int], moved: Mapping[int, int]) -> array[int]:
    """Places (offset, length, offset, length...) with the offsets in `moved` moved."""
    found = array("q")
    # As bytes: made of the numbers one by one, it took 1 ms at 10,000 stories.
    found.frombytes(memoryview(places).cast("B"))
    if moved:
        found[::2] = array("q", (moved.get(offset, offset) for offset in found[::2]))
    return found


def _span(span: tuple[int, int], moved: Mapping[int, int]) -> tuple[int, int]:
    return moved.get(span[0], span[0]), span[1]


def _write(path: Path, write: Callable[[BinaryIO], tuple[Any, ...]]) -> None:
    """Write a kit's parts with `write`, which gives its header, then the header, through a
    temporary file put in place when whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb", buffering=1 << 20) as file:
            file.write(bytes(_LENGTH))  # the header's place, known at the end
            header = write(file)
            end = file.tell()
            file.write(dumped(header))
            file.seek(0)
            file.write(end.to_bytes(_LENGTH, "little"))
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

    def __init__(self, listed: str, places: bytes, per_part: int, span: tuple[int, int]) -> None:
        self.listed, self.places = listed, memoryview(places).cast("q")
        # Where the names are in the kit: a part of their own, which a header saved after an
        # edit names again rather than holding them (0.8 MB at 10,000 stories).
        self.span_of_names = span
        self.per_part = per_part
        self.searched = 0
        self.numbers: dict[str, int] | None = None

    def fits(self) -> bool:
        """Whether there are as many places as parts of the names."""
        count = self.listed.count(_NUL) - 1
        return len(self.places) // 2 == -(-count // self.per_part)

    def spans(self) -> list[tuple[int, int]]:
        """The place of every part."""
        return list(zip(self.places[::2], self.places[1::2], strict=True))

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


class PartMemo:
    """Parts of saved documents as read before, by their bytes, with the documents made of
    them so far; and documents by their saved values. A long-lived builder reads the kit
    again after each edit: a part that is byte for byte the same holds the same documents,
    and a part saved again (with other pages showing one of its documents) mostly the same
    ones. Decoding them took a third of the rebuild after a story moved in a list of a
    thousand; and the same objects need not be digested again (`PageKeys`).

    At most `parts` parts (each with its documents, some 64) and `documents` documents more are
    kept: past that, all are let go."""

    def __init__(self, parts: int = 1024, documents: int = 65_536) -> None:
        self.parts, self.documents = parts, documents
        self._found: dict[bytes, _Part] = {}
        # By the values and their classes: 1, 1.0 and True are equal, but not shown alike.
        self._documents: dict[tuple[tuple[Any, ...], tuple[type, ...]], Document] = {}
        # The classes of documents' values, one tuple of each (most documents share one).
        self._classes: dict[tuple[type, ...], tuple[type, ...]] = {}

    def get(self, data: bytes) -> _Part | None:
        """The part of these bytes as read before."""
        return self._found.get(data)

    def put(self, data: bytes, part: _Part) -> None:
        """Keep a part read."""
        if len(self._found) >= self.parts:
            self._found.clear()
        self._found[data] = part

    def document(self, values: tuple[Any, ...]) -> Document:
        """The document of these saved values (`plain_document`), as made before."""
        classes = tuple(map(type, values))
        key = (values, self._classes.setdefault(classes, classes))
        try:
            found = self._documents.get(key)
        except TypeError:  # a field that cannot be hashed: made each time
            return document_from(values)
        if found is None:
            if len(self._documents) >= self.documents:
                self._documents.clear()
                self._classes.clear()
            found = self._documents[key] = document_from(values)
        return found


class _Part:
    """A part of saved documents: its rows, and the documents made of them so far, by row."""

    __slots__ = ("rows", "saved")

    def __init__(self, rows: tuple[bytes, ...]) -> None:
        # Each in marshal's format (`_row`), read when its document is asked for.
        self.rows = rows
        self.saved: dict[int, Saved] = {}


class KitReader:
    """A saved kit, read part by part from the file as it was opened (another build may put
    a new one in its place meanwhile); close it when done. The documents its pages and
    shared parts show are found as `now` has them, else as saved. With `memo`, parts of
    saved documents are looked up there by their bytes before they are decoded."""

    def __init__(
        self,
        file: BinaryIO,
        end: int,
        header: tuple[Any, ...],
        names: list[_Names],
        memo: PartMemo | None = None,
    ):
        self.file, self.start, self.end = file, _LENGTH, end
        self.version, self.span = header[1], header[3]
        # Where the lists are: the stories and home pages, the sitemap, and what moved since
        # they were saved (`_Parts.put_lists`).
        self.lists_span: tuple[int, int] | None = None
        self.sitemap_span: tuple[int, int] | None = None
        self.moved_span: tuple[int, int] | None = None
        if header[6] is not None:
            self.lists_span, self.sitemap_span, self.moved_span = header[6]
        self._moved: Moved | None = None
        self.page_names, self.document_names = names
        self.now: dict[str, Document] = {}
        # Parts of saved documents read, by number.
        self._parts: dict[int, _Part] = {}
        self._memo = memo
        # The paths of the documents each page read shows, by URL: a page saved again after
        # an edit is looked at for them, which read it whole again (5 ms of a tags edit).
        self._shown: dict[str, frozenset[str]] = {}

    def close(self) -> None:
        """Close the file."""
        self.file.close()

    def __enter__(self) -> KitReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def shared(self, named: set[str] | None = None) -> Shared:
        """The site-wide parts; the paths of the documents they show are added to `named`."""
        found = self._load(self.span, named)
        if not isinstance(found, Shared):
            raise TypeError(f"{self.file.name}: not a kit")
        return found

    def lists(self) -> Lists | None:
        """The lists, if saved, without the sitemap (`sitemap`)."""
        if self.lists_span is None:
            return None
        found = loaded(self._read(self.lists_span))
        if type(found) is not tuple or len(found) != 2 or type(found[0]) is not dict:
            raise TypeError(f"{self.file.name}: not a kit")
        stories, homes = found
        for code, rows in self.moved()[0].items():
            stories[code] = tuple(reordered(stories[code], rows.values()))
        return Lists(stories, homes, sitemap=None)

    def sitemap(self) -> KeptSitemap:
        """The sitemap as saved with the lists."""
        from sitegen.render.outputs import with_entries  # loaded already where moves are

        found = None if self.sitemap_span is None else loaded(self._read(self.sitemap_span))
        if type(found) is not tuple and type(found) is not str:
            raise TypeError(f"{self.file.name}: not a kit")
        entries = self.moved()[1]
        if entries:
            found = with_entries(found, entries.items())
            if found is None:
                raise TypeError(f"{self.file.name}: not a kit")
        return found

    def moved(self) -> Moved:
        """The stories moved since the lists and the sitemap were saved (`_Parts.put_lists`)."""
        if self._moved is None:
            found = None if self.moved_span is None else loaded(self._read(self.moved_span))
            if (
                type(found) is not tuple
                or len(found) != 2
                or type(found[0]) is not dict
                or type(found[1]) is not dict
                or any(type(rows) is not dict for rows in found[0].values())
            ):
                raise TypeError(f"{self.file.name}: not a kit")
            self._moved = found
        return self._moved

    def saved(self, document: str) -> Saved | None:
        """A document as saved, with its text's key and the pages that show it; None when it
        has no page."""
        number = self.document_names.number(document)
        return None if number is None else self.saved_at(number)

    def saved_at(self, number: int) -> Saved:
        """The nth saved document; made again from its part's row when first asked for."""
        part, row = self._part(number // DOCUMENTS_A_PART), number % DOCUMENTS_A_PART
        found = part.saved.get(row)
        if found is None:
            make = document_from if self._memo is None else self._memo.document
            found = part.saved[row] = _saved(part.rows[row], make)
        return found

    def part(self, number: int) -> tuple[bytes, ...]:
        """The rows of the nth part of the saved documents."""
        return self._part(number).rows

    def _part(self, number: int) -> _Part:
        found = self._parts.get(number)
        if found is None:
            data = self._read(self.document_names.place(number * DOCUMENTS_A_PART))
            found = None if self._memo is None else self._memo.get(data)
            if found is None:
                rows = loaded(data)
                if type(rows) is not tuple or not all(type(row) is bytes for row in rows):
                    raise TypeError(f"{self.file.name}: not a kit")
                found = _Part(rows)
                if self._memo is not None:
                    self._memo.put(data, found)
            self._parts[number] = found
        return found

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
        span = self.page_names.span(url)
        if span is None:
            return None
        names: set[str] = set()
        page = self._load(span, names)
        self._shown[url] = frozenset(names)
        if not isinstance(page, Page):
            raise TypeError(f"{self.file.name}: not a kit")
        doc = page.document
        if doc is not None and (page.title, page.description) != (doc.title, doc.summary):
            saved = self.saved(str(doc.path))
            if saved is not None and saved.follows:
                page = dataclasses.replace(page, title=doc.title, description=doc.summary)
        return page

    def names_on(self, url: str) -> set[str]:
        """The paths of the documents a saved page shows."""
        shown = self._shown.get(url)
        if shown is not None:
            return set(shown)
        span = self.page_names.span(url)
        if span is None:
            return set()
        names: set[str] = set()
        self._load(span, names)
        return names

    def in_use(self) -> list[tuple[int, int]]:
        """The places of the parts the header names: in use. Other bytes before the header
        are of parts and headers replaced since the file was written."""
        spans = [self.span, *self.page_names.spans(), *self.document_names.spans()]
        spans.extend(span for span in self._other_spans() if span is not None)
        return spans

    def bytes_in_use(self) -> int:
        """How many bytes the parts in use (`in_use`) take."""
        names = (self.page_names, self.document_names)
        others = (span[1] for span in self._other_spans() if span is not None)
        spans = sum(int(sum(listed.places[1::2])) for listed in names)
        return int(self.span[1]) + spans + sum(others)

    def _other_spans(self) -> tuple[tuple[int, int] | None, ...]:
        """The places of the lists and of the names of pages and documents."""
        names = (self.page_names.span_of_names, self.document_names.span_of_names)
        return self.lists_span, self.sitemap_span, self.moved_span, *names

    def copy_parts(self, file: BinaryIO, spans: list[tuple[int, int]]) -> dict[int, int]:
        """Write the parts at `spans` to `file`, where it is, in runs of parts that follow
        one another (in the kernel, where it can); where each part (by its old place) now is.
        """
        runs: list[list[int]] = []
        for offset, length in sorted(set(spans)):
            if runs and runs[-1][0] + runs[-1][1] == offset:
                runs[-1][1] += length
            else:
                runs.append([offset, length])
        starts, now, written = [run[0] for run in runs], [], 0
        for offset, length in runs:
            self._copy(file, offset, length)
            now.append(written)
            written += length
        places = {}
        for offset, _ in spans:
            run = bisect.bisect_right(starts, offset) - 1
            places[offset] = now[run] + offset - starts[run]
        return places

    def _copy(self, file: BinaryIO, offset: int, length: int) -> None:
        file.flush()
        source, target = self.file.fileno(), file.fileno()
        at, left = self.start + offset, length
        try:
            while left > 0:
                done = os.copy_file_range(source, target, left, at)
                if done == 0:
                    raise EOFError(f"{self.file.name}: cut short")
                at, left = at + done, left - done
            file.seek(0, os.SEEK_END)
            return
        except (AttributeError, OSError):  # no copy_file_range here (not Linux), or not here
            file.seek(0, os.SEEK_END)
        self.file.seek(at)
        while left > 0:
            chunk = self.file.read(min(left, 1 << 20))
            if not chunk:
                raise EOFError(f"{self.file.name}: cut short")
            file.write(chunk)
            left -= len(chunk)

    def _read(self, span: tuple[int, int]) -> bytes:
        return _read_span(self.file, span)

    def _load(self, span: tuple[int, int], named: set[str] | None = None) -> object:
        """The part at `span`; the paths of the documents it shows are added to `named`."""
        data = self._read(span)
        finding = self.document
        if named is not None:

            def finding(path: str) -> Document:
                named.add(path)
                return self.document(path)

        _finding.append(finding)
        try:
            return pickle.loads(data)  # noqa: S301 - our own cache file
        finally:
            _finding.pop()


def open_kit(
    path: Path, version: str, token: str, memo: PartMemo | None = None
) -> KitReader | None:
    """The kit saved with the state `token` of this code, or None; `memo`: see KitReader."""
    try:
        file = path.open("rb")
    except OSError:
        return None
    try:
        found = _header(file)
    except (OSError, EOFError, ValueError, TypeError):
        found = None
    if found is None or found[1][:3] != (KIT_FORMAT, version, token):
        file.close()
        return None
    end, header = found
    named = []
    for (span, places), per_part in zip(header[4:6], (1, DOCUMENTS_A_PART), strict=True):
        names = None
        if type(span) is tuple and len(span) == 2 and all(type(n) is int for n in span):
            with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
                names = loaded(_read_span(file, span))
        if type(names) is not str or type(places) is not bytes or len(places) % 16:
            file.close()
            return None
        listed = _Names(names, places, per_part, span)
        if not listed.fits():
            file.close()
            return None
        named.append(listed)
    return KitReader(file, end, header, named, memo)


def _read_span(file: BinaryIO, span: tuple[int, int]) -> bytes:
    """The bytes of the part at `span` of a kit's file."""
    if _PREAD:
        data = os.pread(file.fileno(), span[1], _LENGTH + span[0])
    else:  # Windows
        file.seek(_LENGTH + span[0])
        data = file.read(span[1])
    if len(data) != span[1]:
        raise EOFError(f"{file.name}: cut short")
    return data


def _header(file: BinaryIO) -> tuple[int, tuple[Any, ...]] | None:
    """Where the header is, and the header."""
    end = int.from_bytes(file.read(_LENGTH), "little")
    file.seek(end)
    header = loaded(file.read())
    if type(header) is not tuple or len(header) != 7:
        return None
    if any(type(listed) is not tuple or len(listed) != 2 for listed in header[4:6]):
        return None
    if header[6] is not None and (type(header[6]) is not tuple or len(header[6]) != 3):
        return None
    return end, header
