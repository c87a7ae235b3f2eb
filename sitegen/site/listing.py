"""Ordering, tags, pagination and related stories: pure functions over lists of entries."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from datetime import date
from functools import cache, cached_property
from typing import TypeVar

from sitegen.classes import dataclass
from sitegen.content.schema import Document
from sitegen.content.slugs import slugify

_T = TypeVar("_T")
RELATED_COUNT = 3
# Related stories come from each tag's neighbours in date order, so the work per story stays
# constant however many stories share a tag.
RELATED_WINDOW = 6


@dataclass(frozen=True)
class Entry:
    """A document and the URL it is published at."""

    doc: Document
    url: str

    def __hash__(self) -> int:
        # Equal entries have one URL, whose hash the string keeps: a list looks its cards up
        # by entry, and hashing the whole document each time was a tenth of rendering a list.
        return hash(self.url)


@dataclass(frozen=True)
class Tag:
    """A tag in one language, with its stories newest first."""

    slug: str
    name: str
    entries: tuple[Entry, ...]

    @cached_property
    def link(self) -> TagLink:
        """The tag without its stories: all a story page shows of it."""
        return TagLink(self.slug, self.name)

    @cached_property
    def counted(self) -> TagCount:
        """The tag and how many stories it has: all the tag list shows of it."""
        return TagCount(self.slug, self.name, len(self.entries))


@dataclass(frozen=True)
class TagLink:
    """A tag as a story page links to it; keeping its stories out means editing one story
    does not change every page that shares a tag with it."""

    slug: str
    name: str


@dataclass(frozen=True)
class TagCount:
    """A tag as the tag list shows it; keeping its stories out means an edit to what a story
    shows (its title, say) does not change the tag list."""

    slug: str
    name: str
    count: int


@dataclass(frozen=True)
class Pager:
    """Where a page sits in a paginated list."""

    number: int
    count: int
    newer_url: str | None
    older_url: str | None


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    """Newest first; same day in slug order so every build is the same."""
    by_slug = sorted(entries, key=lambda e: e.doc.slug)
    return sorted(by_slug, key=lambda e: e.doc.date or date.min, reverse=True)


@cache
def tag_slug(name: str) -> str:
    """The URL name of a tag; tags without Latin letters get a short hash."""
    return slugify(name) or "tag-" + hashlib.sha256(name.encode()).hexdigest()[:8]


def group_tags(entries: Sequence[Entry], labels: Mapping[str, str] | None = None) -> list[Tag]:
    """Tags by URL name ('Jobs' and 'jobs' are one tag), each listing its stories in order.

    A tag is shown under its label from `labels` (by URL name), else its most used spelling.
    """
    labels = labels or {}
    grouped: dict[str, list[Entry]] = defaultdict(list)
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        for name in entry.doc.tags:
            grouped[tag_slug(name)].append(entry)
            names[tag_slug(name)][name] += 1
    return [
        Tag(slug, tag_label(slug, names[slug], labels), tuple(grouped[slug]))
        for slug in sorted(grouped)
    ]


def tag_label(slug: str, names: Counter[str], labels: Mapping[str, str]) -> str:
    """What a tag is called: its label, else its most used spelling (then the first)."""
    return labels.get(slug) or min(names.items(), key=lambda item: (-item[1], item[0]))[0]


def paginate(items: Sequence[_T], per_page: int) -> list[Sequence[_T]]:
    """Split into pages; an empty list is still one (empty) page."""
    return [items[i : i + per_page] for i in range(0, len(items), per_page)] or [items[:0]]


def page_url(base: str, number: int) -> str:
    """The first page lives at the list's URL, the others below `page/`."""
    return base if number == 1 else f"{base}page/{number}/"


def pagers(base: str, count: int) -> list[Pager]:
    """Links to the neighbours of every page of a list."""
    return [
        Pager(
            n,
            count,
            page_url(base, n - 1) if n > 1 else None,
            page_url(base, n + 1) if n < count else None,
        )
        for n in range(1, count + 1)
    ]


def related(entries: Sequence[Entry], tags: Sequence[Tag]) -> dict[str, tuple[Entry, ...]]:
    """For each story URL, the stories sharing most tags with it, nearest in time first."""
    found = related_places([e.url for e in entries], [[e.url for e in tag.entries] for tag in tags])
    return {url: tuple(entries[p] for p in places) for url, places in found.items()}


def related_places(
    urls: Sequence[str], tagged: Iterable[Sequence[str]], only: Container[str] | None = None
) -> dict[str, tuple[int, ...]]:
    """For each story URL (of `only`, if given), where in `urls` (the stories newest first)
    its related stories are; `tagged` lists each tag's stories in the same order."""
    position = {url: i for i, url in enumerate(urls)}
    # Plain dicts: a Counter finds a missing key through a method written in Python, and
    # this counts some 30 neighbours a story.
    scores: dict[str, dict[str, int]] = defaultdict(dict)
    for members in tagged:
        for i, url in enumerate(members):
            if only is not None and url not in only:
                continue
            counter = scores[url]
            get = counter.get
            for other in members[max(0, i - RELATED_WINDOW) : i + RELATED_WINDOW + 1]:
                counter[other] = get(other, 0) + 1
    found = {}
    for url, counter in scores.items():
        if places := ranked_places(url, counter, position):
            found[url] = places
    return found


def ranked_places(
    url: str, counter: dict[str, int], position: Mapping[str, int]
) -> tuple[int, ...]:
    """Where the related stories of the story at `url` are (`position`, by URL): of those
    `counter` counts the tags they share with it in (itself among them, which it drops)."""
    del counter[url]  # counted with its neighbours, for one loop fewer
    if not counter:
        return ()
    here = position[url]
    # Most shared tags, then nearest in time, then newest: compared as tuples, which costs
    # less than calling a key function for each.
    ranked = sorted([(-n, abs(position[o] - here), position[o]) for o, n in counter.items()])
    return tuple(p for _, _, p in ranked[:RELATED_COUNT])
