"""Stories moved by their dates and tags: the related stories worked out near the moves alone
are those the whole site's lists give."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from sitegen.incremental.kit import Listed, newest_first, placed, reordered
from sitegen.incremental.moves import _by_tag, _differ, _moved_in_tags, _related_changes
from sitegen.site.listing import related_places


def stories(rng: random.Random, count: int, tags: int) -> list[Listed]:
    rows = []
    for number in range(count):
        # Some stories name one tag twice (two spellings of one URL name), some none.
        named = rng.choices([f"t{n}" for n in range(tags)], k=rng.choice([0, 1, 2, 2, 3]))
        day = 730_000 + rng.randrange(count // 3 + 1)
        url = f"/s{number}/"
        rows.append((day, f"s{number:04d}", f"p{number}", url, tuple(named), tuple(named)))
    return sorted(rows, key=newest_first)


def related(rows: list[Listed]) -> dict[str, list[str]]:
    tagged: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        for slug in row[4]:
            tagged[slug].append(row[3])
    urls = [row[3] for row in rows]
    found = related_places(urls, list(tagged.values()))
    return {url: [urls[place] for place in places] for url, places in found.items()}


@pytest.mark.parametrize("seed", range(100))
def test_related_stories_change_only_near_a_move_and_are_found_there(seed: int) -> None:
    rng = random.Random(seed)
    before = stories(rng, rng.choice([20, 60, 300]), rng.choice([1, 3, 8]))
    for twin in range(rng.choice([0, 0, 1, 3])):
        # Stories of one day and slug (in two folders), which only their paths tell apart.
        day, slug, _, _, tags, names = before[rng.randrange(len(before))]
        before.append((day, slug, f"elsewhere{twin}", f"/elsewhere{twin}/", tags, names))
    before.sort(key=newest_first)
    edited = rng.sample(range(len(before)), rng.choice([1, 1, 2, 5]))
    after = list(before)
    retagged = set()
    for index in edited:
        day, slug, path, url, tags, _ = after[index]
        if rng.random() < 0.5:
            day += rng.choice([-400, -3, -1, 1, 2, 30])
        if rng.random() < 0.5:
            tags = tuple(rng.sample([f"t{n}" for n in range(4)], rng.choice([0, 1, 2])))
            retagged.add(url)
        after[index] = (day, slug, path, url, tags, tags)
    after.sort(key=newest_first)
    pairs = enumerate(zip(before, after, strict=True))
    places = [i for i, (one, other) in pairs if one[2] != other[2]]
    moving = {row[3] for row in before[places[0] : places[-1] + 1]} if places else set()
    old, new = related(before), related(after)
    expected = {
        url: new.get(url, [])
        for url in old.keys() | new.keys()
        if old.get(url, []) != new.get(url, [])
    }
    tagged = _by_tag(before), _by_tag(after)
    # The places by URL after the move are worked out from those before, where they changed.
    span = (places[0], places[-1]) if places else None
    changes = _related_changes(before, after, tagged, moving | retagged, span)
    assert changes is not None
    assert {url: [row[3] for row in rows] for url, rows in changes.items()} == expected


def test_a_story_missing_from_its_tag_makes_the_related_stories_unknown() -> None:
    before = stories(random.Random(7), 40, 3)
    after = list(before)
    day, slug, path, url, tags, names = after[10]
    after[10] = (day - 30, slug, path, url, tags, names)
    after.sort(key=newest_first)
    tagged = _by_tag(before), _by_tag(after)
    span = _differ(before, after)
    assert _related_changes(before, after, tagged, {url}, span) is not None
    # A story with tags whose rows are missing from one of them: its place there is unknown.
    row = next(row for row in before if row[4] and row[3] != url)
    lacking = {
        slug: [item for item in items if item[0] is not row] for slug, items in tagged[0].items()
    }
    assert _related_changes(before, after, (lacking, tagged[1]), {url, row[3]}, span) is None


@pytest.mark.parametrize("seed", range(200))
def test_the_tags_after_a_move_are_worked_out_from_those_before_as_from_scratch(seed: int) -> None:
    rng = random.Random(seed)
    before = stories(rng, rng.choice([5, 20, 60, 300]), rng.choice([1, 3, 8]))
    edited = rng.sample(range(len(before)), min(len(before), rng.choice([1, 1, 2, 5])))
    after = list(before)
    for index in edited:
        day, slug, path, url, tags, names = after[index]
        if rng.random() < 0.6:
            # Onto other stories' days too, where their slugs order them.
            day = rng.choice([day - 400, day - 1, day + 1, before[rng.randrange(len(before))][0]])
        if rng.random() < 0.6:
            tags = tuple(rng.choices([f"t{n}" for n in range(9)], k=rng.choice([0, 1, 2, 3])))
            # Each name a spelling of its tag's URL name: one named twice is spelt apart.
            names = tuple(f"{tag} {n}" for n, tag in enumerate(tags))
        after[index] = (day, slug, path, url, tags, names)
    after.sort(key=newest_first)
    was = {before[index][2]: before[index] for index in edited}
    now = [row for row in after if row[2] in was]
    slugs = {slug for row in (*was.values(), *now) for slug in row[4]}
    assert _moved_in_tags(_by_tag(before), after, was, now, slugs) == _by_tag(after)


@pytest.mark.parametrize("seed", range(200))
def test_stories_put_back_in_their_places_are_in_the_order_sorting_all_again_gives(
    seed: int,
) -> None:
    rng = random.Random(seed)
    before = stories(rng, rng.choice([1, 5, 20, 300]), 3)
    if rng.random() < 0.3:
        # Two stories of one day and slug (in two folders): sorted, they keep their order.
        day, slug, _, _, tags, names = before[rng.randrange(len(before))]
        before = sorted(
            [*before, (day, slug, "elsewhere", "/elsewhere/", tags, names)], key=newest_first
        )
    edited = rng.sample(before, min(len(before), rng.choice([1, 1, 2, 5])))
    rows = []
    for day, slug, path, url, tags, names in edited:
        if rng.random() < 0.7:
            day = rng.choice([day - 400, day - 1, day + 1, before[rng.randrange(len(before))][0]])
        rows.append((day, slug, path, url, tags[:1], names[:1]))
    if rng.random() < 0.2:
        # A story the list did not have: added in its place.
        rows.append((before[0][0] + rng.choice([-5, 0, 5]), "new", "new", "/new/", (), ()))
    now = {row[2]: row for row in rows}
    expected = sorted((now.get(row[2], row) for row in before), key=newest_first)
    expected = sorted([*expected, *(row for row in rows if row[2] == "new")], key=newest_first)
    assert reordered(before, rows) == expected
    # The lists are alike but between the first and last place a row left or took; the places
    # the rows left, given, are the places found.
    left = sorted(place for place, row in enumerate(before) if row[2] in now)
    for found in (placed(before, rows), placed(before, rows, left)):
        after, near = found
        assert after == expected
        if near is not None:
            first, last = near
            assert after[:first] == before[:first]
            assert after[last + 1 :] == before[last + 1 - len(after) + len(before) :]
            assert len(after) == len(before) or last == len(after) - 1
    # The edited rows, taken in the order they had and sorted, are in the order they take
    # among the others (`moved` sorts them so rather than look for them in the list).
    in_order = [now[row[2]] for row in before if row[2] in now]
    kept = [row for row in expected if row[2] in now and row[2] != "new"]
    assert sorted(in_order, key=newest_first) == kept
