"""Stories whose date was edited, moved in the lists: the pages that then show other stories
(list and tag pages, home pages, related stories), the feeds and the sitemap, worked out from
the kit's lists and saved pages alone."""

from __future__ import annotations

import bisect
import dataclasses
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sitegen.content.schema import Document
from sitegen.incremental.kit import KitReader, Listed, Lists, Shared
from sitegen.render.outputs import SitemapEntry, sitemap_entry
from sitegen.site.listing import RELATED_WINDOW, Entry, page_url, related_places
from sitegen.site.model import HOME_STORIES, Page


@dataclass(frozen=True)
class Moves:
    """What moving stories in the lists changes beyond the pages that show them."""

    # The pages whose lists changed, as they are now.
    pages: dict[str, Page]
    # The shared parts with the feeds as they are now, and the languages whose feed changed.
    shared: Shared
    feeds: frozenset[str]
    lists: Lists


def moved(
    kit: KitReader,
    shared: Shared,
    lists: Lists,
    stories: Mapping[str, Document],
    bodies: Mapping[str, str],
) -> Moves | None:
    """The pages, feeds and lists after the `stories` (by path, as they are now, and in
    `kit.now`) got their dates; `bodies` holds their texts' cache keys. None when the kit
    lacks one of them or a page."""
    config = shared.config
    entries: dict[str, Entry] = {}

    def entry(row: Listed) -> Entry:
        found = entries.get(row[2])
        if found is None:
            found = entries[row[2]] = Entry(kit.document(row[2]), row[3])
        return found

    ordered = dict(lists.stories)
    pages: dict[str, Page] = {}

    def again(url: str, key: str, value: object) -> bool:
        page = pages.get(url) or kit.page(url)
        if page is None:
            return False
        pages[url] = dataclasses.replace(page, data={**page.data, key: value})
        return True

    feeds = dict(shared.feeds)
    per_page = config.stories_per_page
    for code in sorted({doc.lang for doc in stories.values()}):
        before = ordered[code]
        after = sorted((_dated(row, stories.get(row[2])) for row in before), key=_newest_first)
        if sum(row[2] in stories for row in before) != sum(
            d.lang == code for d in stories.values()
        ):
            return None
        ordered[code] = tuple(after)
        span = _differ(before, after)
        if span is None:
            continue
        first, last = span
        chrome, language = shared.chrome[code], config.language(code)
        for url, chunk in _pages_between(chrome.stories_url, after, span, per_page):
            if not again(url, "entries", [entry(row) for row in chunk]):
                return None
        if first < HOME_STORIES:
            newest = [entry(row) for row in after[:HOME_STORIES]]
            if not all(again(url, "stories", newest) for url in lists.homes[code]):
                return None
        if first < config.feed_entries:
            feeds[code] = tuple(entry(row) for row in after[: config.feed_entries])
        tags = {slug for row in before if row[2] in stories for slug in row[4]}
        for slug in sorted(tags):
            tagged = _tagged(before, slug), _tagged(after, slug)
            span = _differ(*tagged)
            if span is None:
                continue
            base = f"/{code}/{language.sections['tags']}/{slug}/"
            for url, chunk in _pages_between(base, tagged[1], span, per_page):
                if not again(url, "entries", tuple(entry(row) for row in chunk)):
                    return None
        for url, rows in _related_changes(before, after, first, last).items():
            if not again(url, "related", tuple(entry(row) for row in rows)):
                return None
    sitemap = _sitemap(kit, shared, lists, stories)
    if sitemap is None:
        return None
    changed = frozenset(code for code in feeds if feeds[code] != shared.feeds[code])
    if changed:
        known = dict(shared.feed_bodies)
        feed_bodies = {}
        for entries_of in feeds.values():
            for found in entries_of:
                path = str(found.doc.path)
                body = bodies.get(path) or known.get(path) or _body(kit, path)
                if body is None:
                    return None
                feed_bodies[path] = body
        shared = dataclasses.replace(shared, feeds=feeds, feed_bodies=feed_bodies)
    new_lists = Lists(ordered, lists.homes, sitemap)
    return Moves(pages, shared, changed, new_lists)


def _dated(row: Listed, doc: Document | None) -> Listed:
    if doc is None:
        return row
    return (_day(doc), *row[1:])


def _day(doc: Document) -> int:
    """The number of a story's day, as `newest_first` orders them."""
    return (doc.date or date.min).toordinal()


def _newest_first(row: Listed) -> tuple[int, str]:
    """As `newest_first` orders stories: newest first, then by slug."""
    return -row[0], row[1]


def _differ(before: Sequence[Listed], after: Sequence[Listed]) -> tuple[int, int] | None:
    """The first and last place at which two orders of the same stories differ; None if
    nowhere."""
    pairs = enumerate(zip(before, after, strict=True))
    places = [i for i, (one, other) in pairs if one[2] != other[2]]
    return (places[0], places[-1]) if places else None


def _tagged(rows: Sequence[Listed], slug: str) -> list[Listed]:
    """The stories of one tag in order, as `group_tags` lists them (once a name)."""
    return [row for row in rows for tag in row[4] if tag == slug]


def _pages_between(
    base: str, rows: Sequence[Listed], span: tuple[int, int], per_page: int
) -> Iterator[tuple[str, Sequence[Listed]]]:
    """The URL and stories of each page of a list from the one holding place `span[0]` to the
    one holding `span[1]`."""
    for index in range(span[0] // per_page, span[1] // per_page + 1):
        yield page_url(base, index + 1), rows[index * per_page : (index + 1) * per_page]


def _related_changes(
    before: Sequence[Listed], after: Sequence[Listed], first: int, last: int
) -> dict[str, list[Listed]]:
    """The stories whose related stories differ after the move, by URL, with the new ones.

    Only stories near one that moved are looked at: a story's related ones come from its
    neighbours in each of its tags and their places, and those change only for a story that
    moved or that has one within `RELATED_WINDOW` of it in a tag, before or after."""
    moving = {row[3] for row in before[first : last + 1]}
    near = set(moving)
    orders = []
    for rows in (before, after):
        tagged: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            for slug in row[4]:
                tagged[slug].append(row[3])
        for members in tagged.values():
            for i, url in enumerate(members):
                if url in moving:
                    near.update(members[max(0, i - RELATED_WINDOW) : i + RELATED_WINDOW + 1])
        urls = [row[3] for row in rows]
        orders.append((urls, related_places(urls, list(tagged.values()), near)))
    (old_urls, old), (new_urls, new) = orders
    changes = {}
    for url in near:
        was = [old_urls[place] for place in old.get(url, ())]
        now = new.get(url, ())
        if was != [new_urls[place] for place in now]:
            changes[url] = [after[place] for place in now]
    return changes


def _sitemap(
    kit: KitReader, shared: Shared, lists: Lists, stories: Mapping[str, Document]
) -> tuple[tuple[str, SitemapEntry], ...] | None:
    """The sitemap's entries with those of the stories' own pages as they are now."""
    entries = list(lists.sitemap)
    for path in stories:
        saved = kit.saved(path)
        if saved is None:
            return None
        for url in saved.own:
            page = kit.page(url)
            if page is None:
                return None
            place = bisect.bisect_left(entries, url, key=lambda item: item[0])
            if page.indexable and place < len(entries) and entries[place][0] == url:
                entries[place] = (url, sitemap_entry(shared.config, page))
    return tuple(entries)


def _body(kit: KitReader, path: str) -> str | None:
    saved = kit.saved(path)
    return None if saved is None else saved.body
