"""Ordering, pagination, tags and related stories."""

from __future__ import annotations

import dataclasses
import pickle
import random
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

from sitegen.content.schema import Document
from sitegen.site.listing import (
    RELATED_WINDOW,
    Entry,
    group_tags,
    newest_first,
    pagers,
    paginate,
    related,
    tag_slug,
)


def entry(slug: str, day: int, *tags: str) -> Entry:
    doc = Document(
        "stories",
        slug,
        "en",
        Path(f"{slug}.md"),
        slug,
        "s",
        date=date(2020, 1, 1) + timedelta(day),
        tags=tags,
    )
    return Entry(doc, f"/en/stories/{slug}/")


def test_newest_first_then_by_slug() -> None:
    entries = newest_first([entry("b", 1), entry("a", 1), entry("c", 5)])
    assert [e.doc.slug for e in entries] == ["c", "a", "b"]


def test_tags_merge_by_url_name_and_keep_the_common_spelling() -> None:
    entries = [entry("a", 3, "Jobs"), entry("b", 2, "jobs"), entry("c", 1, "jobs", "Łódź")]
    tags = {tag.slug: tag for tag in group_tags(entries)}
    assert sorted(tags) == ["jobs", "lodz"]
    assert tags["jobs"].name == "jobs"
    assert [e.doc.slug for e in tags["jobs"].entries] == ["a", "b", "c"]
    assert tag_slug("日本").startswith("tag-")


def test_tags_take_their_label_from_the_ui_strings() -> None:
    entries = [entry("a", 1, "job-search"), entry("b", 2, "germany")]
    tags = {tag.slug: tag.name for tag in group_tags(entries, {"job-search": "Arbeitssuche"})}
    assert tags == {"germany": "germany", "job-search": "Arbeitssuche"}


def test_pagination_links_neighbours() -> None:
    assert [len(p) for p in paginate(list(range(5)), 2)] == [2, 2, 1]
    assert paginate([], 2) == [[]]
    first, middle, last = pagers("/en/stories/", 3)
    assert (first.newer_url, first.older_url) == (None, "/en/stories/page/2/")
    assert (middle.newer_url, middle.older_url) == ("/en/stories/", "/en/stories/page/3/")
    assert last.older_url is None


def test_related_prefers_more_shared_tags_then_nearer_dates() -> None:
    entries = newest_first(
        [entry("a", 9, "x", "y"), entry("b", 8, "x"), entry("c", 7, "x", "y"), entry("d", 1, "z")]
    )
    result = related(entries, group_tags(entries))
    assert [e.doc.slug for e in result["/en/stories/a/"]] == ["c", "b"]
    assert "/en/stories/d/" not in result


def test_related_work_stays_bounded_for_a_crowded_tag() -> None:
    entries = newest_first([entry(f"s{i:05d}", i, "jobs") for i in range(5000)])
    result = related(entries, group_tags(entries))
    assert all(len(found) == 3 for found in result.values())
    assert [e.doc.slug for e in result["/en/stories/s02500/"]] == ["s02501", "s02499", "s02502"]


def test_related_counts_as_the_definition_does() -> None:
    """Against the rule written out plainly: within each tag's list, the neighbours up to the
    window on either side score one; most points, then nearest in the list, then first."""
    rng = random.Random(20261204)
    names = ["jobs", "Jobs", "care", "move", "money", "health", "school", "lonely"]
    entries = newest_first(
        [
            *(
                entry(f"s{i:03d}", rng.randint(0, 400), *rng.sample(names, rng.randint(0, 4)))
                for i in range(300)
            ),
            # Two stories alone in a tag: each has one related story.
            entry("pair-a", 17, "pair"),
            entry("pair-b", 250, "pair"),
        ]
    )
    tags = group_tags(entries)
    position = {e.url: i for i, e in enumerate(entries)}
    scores: dict[str, Counter[str]] = defaultdict(Counter)
    for tag in tags:
        urls = [e.url for e in tag.entries]
        for i, url in enumerate(urls):
            for other in urls[max(0, i - RELATED_WINDOW) : i + RELATED_WINDOW + 1]:
                if other != url:
                    scores[url][other] += 1
    expected = {
        url: [
            o
            for o in sorted(
                counter,
                key=lambda o: (-counter[o], abs(position[o] - position[url]), position[o]),
            )
        ][:3]
        for url, counter in scores.items()
    }
    found = related(entries, tags)
    assert {url: [e.url for e in shown] for url, shown in found.items()} == expected
    assert any(len(shown) < 3 for shown in found.values())
    assert any(e.url not in found for e in entries)


def test_entries_are_hashed_by_url_and_told_apart_by_document() -> None:
    first = entry("a", 1, "jobs")
    copy = pickle.loads(pickle.dumps(first))  # noqa: S301 - as a worker gets it
    edited = Entry(dataclasses.replace(first.doc, title="Another title"), first.url)
    assert copy == first
    assert hash(copy) == hash(first) == hash(first.url)
    # One URL, another text: the same bucket, not the same entry (nor the same card).
    assert edited != first
    assert hash(edited) == hash(first)
    assert len({first, copy, edited, entry("b", 1, "jobs")}) == 3
    cards = {first: "card of a"}
    assert cards.get(copy) == "card of a"
    assert cards.get(edited) is None
