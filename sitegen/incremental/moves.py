"""Stories whose date or tags were edited, moved in the lists: the pages that then show other
stories (list and tag pages, the tag list, home pages, related stories), the feeds and the
sitemap, worked out from the kit's lists and saved pages alone."""

from __future__ import annotations

import bisect
import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence

from sitegen.classes import dataclass
from sitegen.content import i18n
from sitegen.content.config import SiteConfig
from sitegen.content.schema import Document
from sitegen.incremental.kit import (
    ByTag,
    KitReader,
    Listed,
    Lists,
    Moved,
    Shared,
    day_number,
    listed,
    newest_first,
    placed,
    places_of,
)
from sitegen.render.outputs import (
    KeptSitemap,
    SitemapEntry,
    sitemap_entry,
    with_entries,
    with_pages_added,
    without_pages,
)
from sitegen.site.listing import (
    RELATED_WINDOW,
    Entry,
    TagCount,
    TagLink,
    page_url,
    ranked_places,
    tag_label,
)
from sitegen.site.model import HOME_STORIES, Page, list_pages

# A tag's stories, newest first, each with the name it gives the tag (`ByTag`).
Tagged = Sequence[tuple[Listed, str]]


@dataclass(frozen=True)
class Moves:
    """What moving stories in the lists changes beyond the pages that show them."""

    # The pages whose lists changed, as they are now.
    pages: dict[str, Page]
    # The shared parts with the feeds as they are now, and the languages whose feed changed.
    shared: Shared
    feeds: frozenset[str]
    # With the sitemap only if it changed (a story's date did): else None, as the kit keeps
    # it.
    lists: Lists
    # The moved stories' rows, and their pages' new entries of the sitemap, for the kit.
    moved: Moved
    # The URLs of pages the kit has none of: of a tag a story is the first to have, or whose
    # list it makes a page longer; and of pages the site no longer has (a tag's last story
    # gone, or its list a page shorter).
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


def moved(
    kit: KitReader,
    shared: Shared,
    lists: Lists,
    stories: Mapping[str, Document],
    bodies: Mapping[str, str],
) -> Moves | None:
    """The pages, feeds and lists after the `stories` (by path, as they are now, and in
    `kit.now`) got their dates and tags; `bodies` holds their texts' cache keys. None when
    the kit lacks one of them or a page, or when pages would be removed (a tag's last story
    gone, a tag list a page shorter) or added where another language's list of the tag would
    link to them, or a tag renamed (its most used spelling changed): pages that show no
    edited story would change."""
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
    translators: dict[str, i18n.Translator] | None = None
    # The edited stories' days as saved, by path.
    days: dict[str, int] = {}
    # The stories of each language by tag, as the lists now are, where known.
    by_tag = dict(lists.tagged)
    # The edited stories' rows as they are now, by language and path.
    moved_rows: dict[str, dict[str, Listed]] = {}
    # The pages the kit has none of (`Moves.added`), and the pages gone (`Moves.removed`).
    added: dict[str, Page] = {}
    removed: list[str] = []
    for code in sorted({doc.lang for doc in stories.values()}):
        before = ordered[code]
        # The edited stories' places, and their rows as they were, in the list's order.
        edited = [path for path, doc in stories.items() if doc.lang == code]
        left = places_of(before, edited)
        if len(left) != len(edited):
            return None
        was = {before[place][2]: before[place] for place in left}
        # The edited stories' rows as they are now, in the order they take in the list (of
        # one day and slug, in the order they had: as `reordered` places them).
        now = sorted((listed(stories[path], row[3]) for path, row in was.items()), key=newest_first)
        after, near = placed(before, now, left)
        moved_rows[code] = {row[2]: row for row in now}
        ordered[code] = tuple(after)
        chrome, language = shared.chrome[code], config.language(code)
        span = _differ(before, after) if near is None else _differ_between(before, after, *near)
        # The stories whose place or tags changed: those near them in a tag may have other
        # related stories now.
        moving = {row[3] for row in before[span[0] : span[1] + 1]} if span else set()
        days.update((path, row[0]) for path, row in was.items())
        retagged = [row for row in now if row[4:] != was[row[2]][4:]]
        moving.update(row[3] for row in retagged)
        if span is not None:
            first = span[0]
            for url, chunk in _pages_between(chrome.stories_url, after, span, per_page):
                if not again(url, "entries", [entry(row) for row in chunk]):
                    return None
            if first < HOME_STORIES:
                newest = [entry(row) for row in after[:HOME_STORIES]]
                if not all(again(url, "stories", newest) for url in lists.homes[code]):
                    return None
            if first < config.feed_entries:
                feeds[code] = tuple(entry(row) for row in after[: config.feed_entries])
        if not moving:
            # No story changed its place or tags, but one may hold a new day, which the rows
            # grouped by tag do not: grouped again when next needed.
            by_tag.pop(code, None)
            continue
        tags = {slug for row in (*was.values(), *now) for slug in row[4]}
        tagged_before = lists.tagged.get(code) or _by_tag(before)
        tagged = tagged_before, _moved_in_tags(tagged_before, after, was, now, tags)
        by_tag[code] = tagged[1]
        base = f"/{code}/{language.sections['tags']}/"
        shown_tags: list[TagCount] | None = None
        # The tags a story is the first to have, with their names, and those none has now.
        new_tags: dict[str, str] = {}
        gone_tags: set[str] = set()
        if retagged:
            translators = translators or i18n.translators(shared.strings)
            named = translators[code].prefixed("tag_names.")
            if any(
                _label(tagged[0], s, named) != _label(tagged[1], s, named)
                for s in tags
                if s in tagged[0] and s in tagged[1]
            ):
                return None  # renamed: every page showing the tag changes
            tag_list = kit.page(base)
            found = tag_list.data.get("tags") if tag_list is not None else None
            if not isinstance(found, list):
                return None
            shown_tags = found
        counts: dict[str, int] = {}
        for slug in sorted(tags):
            old, new = ([row for row, _ in grouped.get(slug, ())] for grouped in tagged)
            pages_before, pages_now = -(-len(old) // per_page), -(-len(new) // per_page)
            if pages_before != pages_now:
                if translators is None or shown_tags is None:
                    return None
                # A tag's first story or last gone, or its list a page longer or shorter: every
                # page of it made again (each page tells how many there are), or removed.
                t = translators[code]
                label = _label(tagged[1], slug, named) if new else ""
                entries_of = tuple(entry(row) for row in new)
                remade = _tag_pages(kit, config, t, slug, label, entries_of, added) if new else []
                gone = _tag_pages_gone(kit, config, code, slug, pages_now, pages_before)
                if remade is None or gone is None:
                    return None
                for page in remade:
                    if kit.page_names.number(page.url) is None:
                        added[page.url] = page
                    pages[page.url] = page
                removed.extend(gone)
                if not old:
                    new_tags[slug] = label
                if new:
                    counts[slug] = len(new)
                else:
                    gone_tags.add(slug)
                continue
            if len(new) != len(old):
                counts[slug] = len(new)
            in_tag = _differ(old, new)
            if in_tag is None:
                continue
            for url, chunk in _pages_between(f"{base}{slug}/", new, in_tag, per_page):
                if not again(url, "entries", tuple(entry(row) for row in chunk)):
                    return None
        if shown_tags is not None:
            if counts or gone_tags:
                recounted = [
                    TagCount(tag.slug, tag.name, counts[tag.slug]) if tag.slug in counts else tag
                    for tag in shown_tags
                    if tag.slug not in gone_tags
                ]
                if not recounted:
                    return None  # the language's last tag gone: so is the tag list
                # The new tags where `group_tags` puts them: in the order of their URL names.
                for slug, label in new_tags.items():
                    place = bisect.bisect_left(recounted, slug, key=_tag_slug)
                    recounted.insert(place, TagCount(slug, label, counts[slug]))
                again(base, "tags", recounted)
                shown_tags = recounted
            names = {tag.slug: tag.name for tag in shown_tags}
            for row in retagged:
                saved = kit.saved(row[2])
                if saved is None or any(slug not in names for slug in row[4]):
                    return None
                # A tag named twice (two spellings of one slug) is one link twice, as the
                # whole build's pages hold it: pickled alike, so keyed alike.
                made = {slug: TagLink(slug, names[slug]) for slug in row[4]}
                links = [made[slug] for slug in row[4]]
                if not all(again(url, "tags", links) for url in saved.own):
                    return None
        related = _related_changes(before, after, tagged, moving, span)
        if related is None:
            return None
        for url, rows in related.items():
            if not again(url, "related", tuple(entry(row) for row in rows)):
                return None
    # Of the stories' own pages the sitemap shows the date alone.
    dated = [path for path, doc in stories.items() if day_number(doc) != days[path]]
    sitemap: KeptSitemap | None = None
    dated_entries: dict[str, SitemapEntry] = {}
    if dated:
        found = _sitemap(kit, shared, lists, dated)
        if found is None:
            return None
        sitemap, dated_entries = found
    if added or removed:
        if sitemap is None:
            sitemap = kit.sitemap() if lists.sitemap is None else lists.sitemap
        entries_added = [(url, sitemap_entry(config, page)) for url, page in added.items()]
        sitemap = with_pages_added(sitemap, config.base_url, entries_added)
        if sitemap is not None:
            sitemap = without_pages(sitemap, config.base_url, removed)
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
    # Without the sitemap's entries when they did not change: the kit saved with these lists
    # keeps them as they are, rather than saving them again.
    after_moves = Lists(ordered, lists.homes, sitemap, by_tag)
    moved_now = (moved_rows, dated_entries)
    return Moves(pages, shared, changed, after_moves, moved_now, tuple(added), tuple(removed))


def _by_tag(rows: Sequence[Listed]) -> ByTag:
    # Into lists made only for tags not met yet: `setdefault` makes one for every story's tag.
    found: defaultdict[str, list[tuple[Listed, str]]] = defaultdict(list)
    for row in rows:
        slugs, names = row[4], row[5]
        if slugs is names:  # most tags are spelt as their URL names (`listed`): a third less time
            for slug in slugs:
                found[slug].append((row, slug))
        else:
            for slug, name in zip(slugs, names, strict=True):
                found[slug].append((row, name))
    return dict(found)


def _moved_in_tags(
    tagged: ByTag,
    after: Sequence[Listed],
    was: Mapping[str, Listed],
    now: Sequence[Listed],
    slugs: set[str],
) -> ByTag:
    """`_by_tag(after)`, from the tags before (`tagged`), where the stories `was` (their rows
    before, by path) are now `now`: only the tags they named before or name now (`slugs`)
    differ, and in those only where they were and are. The order of the tags may differ."""
    found: ByTag = dict(tagged)
    for slug in slugs:
        kept = [item for item in tagged.get(slug, ()) if item[0][2] not in was]
        for row in now:
            key = newest_first(row)
            for named, name in zip(row[4], row[5], strict=True):
                if named != slug:
                    continue
                place = bisect.bisect_right(kept, key, key=_item_order)
                if place and _item_order(kept[place - 1]) == key and kept[place - 1][0] is not row:
                    return _by_tag(after)  # ordered as well by where they were: not worked out
                kept.insert(place, (row, name))
        if kept:
            found[slug] = kept
        else:
            found.pop(slug, None)
    return found


def _item_order(item: tuple[Listed, str]) -> tuple[int, str]:
    return newest_first(item[0])


def _label(tagged: ByTag, slug: str, labels: Mapping[str, str]) -> str:
    """What a tag is called (`tag_label`)."""
    return tag_label(slug, Counter(name for _, name in tagged.get(slug, ())), labels)


def _differ(before: Sequence[Listed], after: Sequence[Listed]) -> tuple[int, int] | None:
    """The first and last place at which two lists of stories differ; None if nowhere."""
    pairs = enumerate(zip(before, after, strict=False))
    places = [i for i, (one, other) in pairs if one[2] != other[2]]
    if len(before) != len(after):
        places += [min(len(before), len(after)), max(len(before), len(after)) - 1]
    return (min(places), max(places)) if places else None


def _differ_between(
    before: Sequence[Listed], after: Sequence[Listed], first: int, last: int
) -> tuple[int, int] | None:
    """`_differ` of two lists alike but from place `first` to place `last`."""
    found = _differ(before[first : last + 1], after[first : last + 1])
    return None if found is None else (found[0] + first, found[1] + first)


def _pages_between(
    base: str, rows: Sequence[Listed], span: tuple[int, int], per_page: int
) -> Iterator[tuple[str, Sequence[Listed]]]:
    """The URL and stories of each page of a list from the one holding place `span[0]` to the
    one holding `span[1]`."""
    for index in range(span[0] // per_page, span[1] // per_page + 1):
        yield page_url(base, index + 1), rows[index * per_page : (index + 1) * per_page]


def _related_changes(
    before: Sequence[Listed],
    after: Sequence[Listed],
    tagged: tuple[ByTag, ByTag],
    moving: set[str],
    span: tuple[int, int] | None,
) -> dict[str, list[Listed]] | None:
    """The stories whose related stories differ after `moving` ones (by URL) moved in the
    lists or changed tags, by URL, with the new ones; `tagged`: the tags before and after.
    None when a story is not where its row places it, in its list or one of its tags.

    Only stories near one that moved are looked at: a story's related ones come from its
    neighbours in each of its tags and their places, and those change only for a story that
    moved or that has one within `RELATED_WINDOW` of it in a tag, before or after. Their
    places in their tags are found by bisection, rather than by going through every tag's
    stories (8 to 12 ms at 10,000 stories).

    `span`: the first and last place at which the lists differ (`_differ`), None if nowhere.
    The places by URL after the move are those before but there: worked out once, and
    changed there alone."""
    first = _Side(before, tagged[0])
    position = first.position
    if span is not None:
        position = dict(position)
        for place in range(span[0], span[1] + 1):
            position[after[place][3]] = place
    sides = [first, _Side(after, tagged[1], position)]
    near = set(moving)
    for side in sides:
        for url in moving:
            found = side.occurrences(url)
            if found is None:
                return None
            for items, i in found:
                near.update(item[0][3] for item in _window(items, i))
    old, new = (side.related(near) for side in sides)
    if old is None or new is None:
        return None
    changes = {}
    for url in near:
        was = [before[place][3] for place in old.get(url, ())]
        now = new.get(url, ())
        if was != [after[place][3] for place in now]:
            changes[url] = [after[place] for place in now]
    return changes


class _Side:
    """The stories of one language, newest first and by tag, before or after a move."""

    def __init__(
        self, rows: Sequence[Listed], by_tag: ByTag, position: Mapping[str, int] | None = None
    ) -> None:
        self.rows = rows
        self.by_tag = by_tag
        # Where each story is, by URL: made in 0.5 ms at 10,000 stories, less than finding
        # the few hundred a move needs by bisection.
        if position is None:
            position = {row[3]: place for place, row in enumerate(rows)}
        self.position = position

    def related(self, urls: Iterable[str]) -> dict[str, tuple[int, ...]] | None:
        """Where the related stories of each of these stories are (`related_places`, for
        these alone); None when a story is not where its row places it."""
        position = self.position
        found = {}
        for url in urls:
            occurrences = self.occurrences(url)
            if occurrences is None:
                return None
            counter: dict[str, int] = {}
            get = counter.get
            for items, i in occurrences:
                for other, _ in _window(items, i):
                    counter[other[3]] = get(other[3], 0) + 1
            if not counter:
                continue  # no tag: no related stories
            if not position.keys() >= counter.keys():
                return None
            if places := ranked_places(url, counter, position):
                found[url] = places
        return found

    def occurrences(self, url: str) -> list[tuple[Tagged, int]] | None:
        """The stories of each tag the story at `url` has, with each place it has among them
        (two in a tag it names in two spellings); None if it is missing from one of them or
        from the stories."""
        place = self.position.get(url)
        if place is None:
            return None
        row = self.rows[place]
        found: list[tuple[Tagged, int]] = []
        key = newest_first(row)
        for slug in dict.fromkeys(row[4]):
            items: Tagged = self.by_tag.get(slug, ())
            at = bisect.bisect_left(items, key, key=_item_order)
            count = len(found)
            while at < len(items) and _item_order(items[at]) == key:
                if items[at][0][2] == row[2]:
                    found.append((items, at))
                at += 1
            if len(found) == count:
                return None
        return found


def _window(items: Tagged, place: int) -> Tagged:
    """The neighbours of a story in a tag that its related stories come from, itself too."""
    return items[max(0, place - RELATED_WINDOW) : place + RELATED_WINDOW + 1]


def _sitemap(
    kit: KitReader, shared: Shared, lists: Lists, stories: Iterable[str]
) -> tuple[KeptSitemap, dict[str, SitemapEntry]] | None:
    """The sitemap as kept, with the entries of the stories' (by path) own pages as they are
    now, and those entries by URL; None when the kit lacks one of them or their pages, or the
    sitemap their entries."""
    entries: list[tuple[str, SitemapEntry]] = []
    for path in stories:
        saved = kit.saved(path)
        if saved is None:
            return None
        for url in saved.own:
            page = kit.page(url)
            if page is None:
                return None
            if page.indexable:
                entries.append((url, sitemap_entry(shared.config, page)))
    found = with_entries(kit.sitemap() if lists.sitemap is None else lists.sitemap, entries)
    return None if found is None else (found, dict(entries))


def _tag_pages(
    kit: KitReader,
    config: SiteConfig,
    t: i18n.Translator,
    slug: str,
    label: str,
    entries: tuple[Entry, ...],
    added: Mapping[str, Page],
) -> list[Page] | None:
    """Every page of the list of a tag in the language of `t` with these stories, as the
    model makes them (`list_pages`): those the kit has with the stories and place in the list
    they have now, the others new. None when a page's URL is another page's, or another
    language's list of the tag has a page the kit lacks here, in the kit or among the pages
    `added` by this move: its pages would link to it."""
    base = _tag_page_urls(config, slug, 1)[t.lang]
    pages = []
    for url, heading, description, origin, key, data in list_pages(
        entries, base, ("tag", slug), label, t, config.stories_per_page
    ):
        kept = kit.page(url)
        if kept is not None:
            if kept.key != key:
                return None
            pages.append(dataclasses.replace(kept, data={**kept.data, **data}))
            continue
        urls = _tag_page_urls(config, slug, int(key[-1]))
        if any(
            there in added or kit.page_names.number(there) is not None
            for lang, there in urls.items()
            if lang != t.lang
        ):
            return None
        pages.append(
            Page(
                url,
                t.lang,
                "story_list.html",
                heading,
                description,
                origin,
                key,
                data=data,
                alternates={t.lang: url},
            )
        )
    return pages


def _tag_pages_gone(
    kit: KitReader, config: SiteConfig, code: str, slug: str, now: int, before: int
) -> list[str] | None:
    """The URLs of the pages of the list of a tag in language `code` after the first `now` of
    the `before` it had; None when another language's list of the tag has one of these pages
    (its pages link to them), or the kit lacks one."""
    found = []
    for number in range(now + 1, before + 1):
        for lang, url in _tag_page_urls(config, slug, number).items():
            listed = kit.page_names.number(url) is not None
            if listed != (lang == code):
                return None
            if listed:
                found.append(url)
    return found


def _tag_page_urls(config: SiteConfig, slug: str, number: int) -> dict[str, str]:
    """The URL of page `number` of the list of a tag in each language, by its code."""
    return {
        lang.code: page_url(f"/{lang.code}/{lang.sections['tags']}/{slug}/", number)
        for lang in config.languages
    }


def _tag_slug(tag: TagCount) -> str:
    return tag.slug


def _body(kit: KitReader, path: str) -> str | None:
    saved = kit.saved(path)
    return None if saved is None else saved.body
