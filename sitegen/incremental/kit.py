"""What a later process needs to render the pages of an edited text again, saved so that it
reads only those pages: the site model's pages by document, and the few site-wide parts a page
or a feed is rendered with (settings, menus, strings, images, assets, the form, the newest
stories of each feed, the keys' shared parts)."""

from __future__ import annotations

import marshal
import os
import pickle
import tempfile
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sitegen.content.config import SiteConfig
from sitegen.content.i18n import StringsFile
from sitegen.render.assets import Assets
from sitegen.render.form import Form
from sitegen.render.images import ImageSet
from sitegen.site.listing import Entry
from sitegen.site.model import Chrome, Page

KIT_FORMAT = 3
_LENGTH = 8
# Between and around the names of the documents in the header; no path holds it.
_NUL = "\0"


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
    """The shared parts, and the pages of each document (by its path)."""

    shared: Shared
    pages: Mapping[str, tuple[Page, ...]]


def write_kit(path: Path, version: str, token: str, kit: Kit) -> None:
    """Save the kit: the pickled parts one after another, then a header of where each
    document's pages are; the file starts with the header's place.

    Each part is written as soon as it is pickled: a build saves the kit while its workers
    render, and holding every part until the end would add the whole kit to its peak memory.
    The header lists the documents' names in one text and their places in one run of bytes,
    which read in a fraction of a millisecond, where a mapping of 10,000 names took 3 ms."""
    names = list(kit.pages)
    if any(_NUL in name for name in names):
        raise ValueError("a document's path holds a NUL character")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(bytes(_LENGTH))  # the header's place, known at the end
            spans = array("q")
            offset = 0
            for part in (kit.shared, *(kit.pages[name] for name in names)):
                blob = pickle.dumps(part, pickle.HIGHEST_PROTOCOL)
                file.write(blob)
                spans += array("q", (offset, len(blob)))
                offset += len(blob)
            listed = _NUL + _NUL.join(names) + _NUL
            shared = (spans[0], spans[1])
            header = (KIT_FORMAT, version, token, shared, listed, spans[2:].tobytes())
            file.write(marshal.dumps(header))
            file.seek(0)
            file.write((_LENGTH + offset).to_bytes(_LENGTH, "little"))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class KitReader:
    """A saved kit, read part by part."""

    def __init__(
        self, path: Path, start: int, shared: tuple[int, int], listed: str, places: bytes
    ) -> None:
        self.path, self.start, self.span = path, start, shared
        # The documents' names, each between NULs; the offset and length of the pages of the
        # nth name at 2n and 2n + 1.
        self.listed, self.places = listed, memoryview(places).cast("q")

    def _span(self, document: str) -> tuple[int, int] | None:
        found = self.listed.find(f"{_NUL}{document}{_NUL}") if _NUL not in document else -1
        if found < 0:
            return None
        number = self.listed.count(_NUL, 0, found)
        return self.places[2 * number], self.places[2 * number + 1]

    def shared(self) -> Shared:
        """The site-wide parts."""
        found = self._load(self.span)
        if not isinstance(found, Shared):
            raise TypeError(f"{self.path}: not a kit")
        return found

    def pages(self, document: str) -> tuple[Page, ...]:
        """The pages of one document (none when it has no page)."""
        span = self._span(document)
        found = () if span is None else self._load(span)
        if not isinstance(found, tuple):
            raise TypeError(f"{self.path}: not a kit")
        return found

    def _load(self, span: tuple[int, int]) -> object:
        with self.path.open("rb") as file:
            file.seek(self.start + span[0])
            return pickle.loads(file.read(span[1]))  # noqa: S301 - our own cache file


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
    _, _, _, shared, listed, places = header
    if type(listed) is not str or type(places) is not bytes or len(places) % 16:
        return None
    if listed.count(_NUL) != len(places) // 16 + 1:
        return None
    return KitReader(path, _LENGTH, shared, listed, places)
