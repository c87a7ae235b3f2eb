"""A new process rebuilds after edits to texts from the saved pages of those texts alone, and
falls back to the whole build whenever that would not be the same."""

from __future__ import annotations

import dataclasses
import itertools
import marshal
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import date
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from sitegen.content.schema import Document
from sitegen.errors import ContentError
from sitegen.incremental import builder as builder_module
from sitegen.incremental import fingerprint as fingerprint_module
from sitegen.incremental import kit as kit_module
from sitegen.incremental import moves as moves_module
from sitegen.incremental import noop
from sitegen.incremental import state as state_module
from sitegen.incremental.builder import Builder
from sitegen.incremental.edits import kit_of, prepared_from
from sitegen.incremental.fingerprint import PACKAGES
from sitegen.incremental.kit import Kit, amend_kit, open_kit, write_kit
from sitegen.incremental.plain import plain_document
from sitegen.incremental.prepared import PageKeys, feed_files
from sitegen.incremental.state import load_model, load_state, state_files
from sitegen.packages import package_version
from sitegen.render import outputs
from sitegen.render.once import Once
from sitegen.site.listing import Entry
from sitegen.site.model import Page
from tests.loaded import ROOT, loaded_after
from tests.site.incremental.test_builder import TODAY, Site, site, snapshot
from tests.site.incremental.test_noop import unchanged

__all__ = ["site"]


def opens(path: Path, version: str, token: str) -> bool:
    """Whether the kit at `path` is the one saved with this version and token."""
    kit = open_kit(path, version, token)
    if kit is None:
        return False
    kit.close()
    return True


def saved(site: Site, suffix: str) -> Path:
    return next((site.base / "cache" / "builds").glob(f"*.{suffix}"))


def changed_files(site: Site, edit: tuple[str, str, str]) -> set[str]:
    """The output files a build after `edit` changes; the output must be a cold build's."""
    before = snapshot(site.base / "public")
    site.edit(*edit)
    site.build()
    after = snapshot(site.base / "public")
    assert after == site.reference()
    return {name for name in set(after) | set(before) if before.get(name) != after.get(name)}


def test_an_edit_is_built_without_the_saved_model(site: Site) -> None:
    site.build()
    model = saved(site, "model")
    model.write_bytes(b"not a model")
    edit = ("content/stories/extra-040.md", "Someone *asked*", "Someone *asked again*")
    assert changed_files(site, edit) == {"en/stories/extra-040/index.html"}
    assert model.read_bytes() == b"not a model"
    # So does what the story shows: its page and those that show it are built again.
    edit = ("content/stories/extra-041.md", "summary:", "summary: Anew.")
    assert "en/stories/extra-041/index.html" in changed_files(site, edit)
    assert model.read_bytes() == b"not a model"
    # Anything more needs the model (a story gone from the site): without it, everything is
    # built again.
    edit = ("content/stories/extra-042.md", "date: 2018-", "date: 2099-")
    assert "en/stories/extra-042/index.html" in changed_files(site, edit)
    assert model.read_bytes() != b"not a model"


@pytest.mark.parametrize("max_urls", [10, outputs.MAX_URLS], ids=["split in files", "one file"])
def test_a_tag_s_pages_made_or_gone_with_a_story_are_built_from_the_kit_as_a_cold_build(
    site: Site, max_urls: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_file = max_urls == outputs.MAX_URLS
    monkeypatch.setattr(outputs, "MAX_URLS", max_urls)
    pages = site.build().pages
    model = saved(site, "model")
    model.write_bytes(b"not a model")
    # A tag's first story: its list, the tag list, the story's page and the sitemap; then a
    # second story in it, from the kit saved with the new page; a story making a tag's list
    # a page longer (every page of it shows the new count), and each taken back: the pages
    # go with the story that was the tag's last, and with the list's last page.
    edits = [
        ("extra-042", "tags: [", "tags: [a-new-tag, ", "a-new-tag", 1),
        ("extra-043", "tags: [", "tags: [a-new-tag, ", "a-new-tag", 0),
        ("extra-044", "tags: [", "tags: [Zebra crossing, ", "zebra-crossing", 1),
        ("extra-001", "tags: [", "tags: [jobs, ", "jobs", 1),
        ("extra-001", "tags: [jobs, ", "tags: [", "jobs", -1),
        ("extra-044", "tags: [Zebra crossing, ", "tags: [", "zebra-crossing", -1),
        ("extra-043", "tags: [a-new-tag, ", "tags: [", "a-new-tag", 0),
        ("extra-042", "tags: [a-new-tag, ", "tags: [", "a-new-tag", -1),
    ]
    for story, old, new, slug, page in edits:
        before = snapshot(site.base / "public")
        changed = changed_files(site, (f"content/stories/{story}.md", old, new))
        assert {f"en/tags/{slug}/index.html", f"en/stories/{story}/index.html"} <= changed
        assert "en/tags/index.html" in changed
        pages += page
        assert Builder(site.options()).build().pages == pages
        # Built from the kit; the entries go in and out of the sitemap in their places
        # (split in files, here into as many files: one more or less is a whole build).
        assert model.read_bytes() == b"not a model"
        if one_file:
            assert ("sitemap.xml" in changed) == (page != 0)
        else:
            assert any(name.startswith("sitemap-") for name in changed) == (page != 0)
        # Of the lists, only the sitemap is saved again whole: the story's row is kept as
        # moved since the stories' lists were saved.
        moved_rows = kit_lists(site)[4][0]
        assert any(f"/stories/{story}/" in str(row) for row in moved_rows.get("en", {}).values())
        tag_pages = {name for name in {*before, *changed} if name.startswith(f"en/tags/{slug}/")}
        if slug == "jobs":  # each page tells how many there are
            assert len(tag_pages) > 1
            assert tag_pages <= changed
    assert not (site.base / "public" / "en" / "tags" / "a-new-tag").exists()


def test_a_tag_new_in_two_languages_at_once_links_its_lists_to_each_other(site: Site) -> None:
    site.build()
    # Both lists link to each other, as a cold build makes them (built whole: neither is in
    # the kit to link to).
    site.edit("content/stories/extra-042.md", "tags: [", "tags: [Both, ")
    site.edit("content/stories/one.pl.md", "tags: [", "tags: [Both, ")
    site.build()
    built = snapshot(site.base / "public")
    assert built == site.reference()
    assert b'hreflang="pl"' in built["en/tags/both/index.html"]


def test_each_page_renders_from_the_kit_as_from_the_whole_model(site: Site) -> None:
    builder = Builder(site.options(), keep_model=True)
    builder.build()
    whole = builder.last
    assert whole is not None
    kit = kit_of(whole)
    options = site.options()
    pages = [page for page in whole.site.pages if page.document]
    assert len(pages) > 80
    for page in pages:
        part = prepared_from(kit.shared, [page], options.templates, options.cache)
        body = "<p>Some text.</p>"
        assert part.renderer.render(page, body) == whole.renderer.render(page, body)
        assert page.document is not None
        part.bodies[page.document.path] = whole.bodies[page.document.path]
        assert PageKeys(part)(page) == PageKeys(whole)(page)
    part = prepared_from(kit.shared, pages, options.templates, options.cache)
    bodies = {page.url: "<p>Text.</p>" for page in pages}
    codes = whole.site.config.codes
    expected = feed_files(whole.site, whole.renderer, bodies, date(2024, 6, 1), codes)
    assert feed_files(part.site, part.renderer, bodies, date(2024, 6, 1), codes) == expected


def test_an_edit_to_a_story_the_feed_shows_remakes_the_feed(site: Site) -> None:
    site.build()
    edit = ("content/stories/one.en.md", "Text with", "Text, rewritten, with")
    assert changed_files(site, edit) == {"en/stories/one/index.html", "en/feed.xml"}


@pytest.mark.parametrize(
    ("edit", "loads"),
    [
        (("content/stories/one.en.md", "title: The first story", "title: The first, retold"), 2),
        (("content/stories/extra-040.md", "title: Story", "title: Retold story"), 1),
    ],
    ids=["a story the feed shows", "one it does not"],
)
def test_the_shared_parts_are_read_again_only_when_an_edit_changes_what_they_show(
    site: Site, edit: tuple[str, str, str], loads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.build()
    calls = []
    shared = kit_module.KitReader.shared

    def counted(self: kit_module.KitReader, named: set[str] | None = None) -> kit_module.Shared:
        calls.append(named)
        return shared(self, named)

    monkeypatch.setattr(kit_module.KitReader, "shared", counted)
    changed = changed_files(site, edit)
    assert len(calls) == loads
    assert ("en/feed.xml" in changed) == (loads == 2)


SHOWN_EDITS = {
    "title": ("content/stories/one.en.md", "title: The first story", "title: The first, retold"),
    "summary": ("content/stories/two.md", "summary: Another person", "summary: One more person"),
    "picture": ("content/stories/one.en.md", "image_alt: A green rectangle.", "image_alt: Green."),
    "place": ("content/stories/one.en.md", "location: Hamburg", "location: Gdańsk"),
    "picture added": (
        "content/stories/extra-007.md",
        "summary:",
        "image: photo.png\nimage_alt: A photo.\nsummary:",
    ),
    "campaign": ("content/campaigns/together.en.md", "title: Together", "title: All together"),
    "page": ("content/pages/about.en.md", "summary: Who we are.", "summary: Who we were."),
    "home page": ("content/pages/index.en.md", "title: Welcome", "title: Welcome back"),
}


@pytest.mark.parametrize("edit", sorted(SHOWN_EDITS))
def test_an_edit_to_what_a_document_shows_is_built_from_the_kit_as_a_cold_build(
    site: Site, edit: str
) -> None:
    site.build()
    model = saved(site, "model")
    whole = model.read_bytes()
    changed = changed_files(site, SHOWN_EDITS[edit])
    assert model.read_bytes() == whole  # built from the kit: the model was not read
    assert len(changed) < 20
    # Whatever showed the document before shows it as it is now: nothing else is left.
    assert site.build().written == 0


def test_a_new_title_reaches_every_page_and_feed_that_shows_the_story(site: Site) -> None:
    site.build()
    edit = ("content/stories/one.en.md", "title: The first story", "title: The first, retold")
    changed = changed_files(site, edit)
    shown = {
        name for name, text in snapshot(site.base / "public").items() if b"first, retold" in text
    }
    assert {"en/stories/one/index.html", "en/feed.xml", "en/stories/index.html"} <= shown
    # No other file changed: the story's translation, say, does not show its title.
    assert changed == shown


DATE_EDITS = {
    "a day earlier": [("content/stories/extra-040.md", "date: 2018-05-14", "date: 2018-05-13")],
    "years earlier": [("content/stories/extra-010.md", "date: 2018-", "date: 2016-")],
    "to the top": [("content/stories/extra-040.md", "date: 2018-", "date: 2024-")],
    "out of the feed": [("content/stories/two.md", "date: 2019-10-01", "date: 2018-01-01")],
    "among two tags": [("content/stories/three.md", "date: 2018-05-05", "date: 2018-12-30")],
    "in Polish": [("content/stories/one.pl.md", "date: 2019-11-29", "date: 2015-11-29")],
    "in place": [("content/stories/one.en.md", "date: 2019-11-29", "date: 2019-11-30")],
    "two at once": [
        ("content/stories/extra-020.md", "date: 2018-", "date: 2019-"),
        ("content/stories/extra-021.md", "date: 2018-", "date: 2017-"),
    ],
    "with its title": [
        ("content/stories/extra-030.md", "date: 2018-", "date: 2017-"),
        ("content/stories/extra-030.md", "title: Story number 30", "title: Thirty"),
    ],
}


# (The fixture's lists have two stories a page: these keep every list as many pages long.)
TAG_EDITS = {
    "one added": [("content/stories/extra-000.md", "[jobs]", "[jobs, Ünïcödé Tag]")],
    "one for another": [("content/stories/extra-001.md", "[mentoring]", "[ünïcödé tag]")],
    "spelt otherwise": [("content/stories/three.md", "[Jobs,", "[jobs,")],
    "with the date": [
        ("content/stories/extra-030.md", "date: 2018-", "date: 2017-"),
        ("content/stories/extra-030.md", "tags: [jobs]", "tags: [Ünïcödé Tag, jobs]"),
    ],
    "of two stories": [
        ("content/stories/two.md", "tags: [jobs]", "tags: [mentoring]"),
        ("content/stories/extra-001.md", "tags: [mentoring]", "tags: [jobs]"),
    ],
}


MOVES = {
    **{f"date {name}": edits for name, edits in DATE_EDITS.items()},
    **{f"tags {name}": edits for name, edits in TAG_EDITS.items()},
}


def test_the_pages_a_move_changed_are_saved_in_the_kit_as_pickled_for_their_keys(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    given: list[tuple[Mapping[str, Page], kit_module.Pickled | None]] = []
    amend = kit_module.amend_kit

    def recorded(*args: Any, **kwargs: Any) -> kit_module.Staged:
        given.append((args[3], kwargs.get("pickled")))
        return amend(*args, **kwargs)

    monkeypatch.setattr(builder_module, "amend_kit", recorded)
    site.build()
    for change in TAG_EDITS["of two stories"]:
        site.edit(*change)
    site.build()
    assert snapshot(site.base / "public") == site.reference()
    [(pages, pickled)] = given
    assert pickled is not None
    assert pages
    assert all(pickled[url][0] is page for url, page in pages.items())


@pytest.mark.parametrize("edit", sorted(MOVES))
def test_a_story_moved_in_the_lists_is_built_from_the_kit_as_a_cold_build(
    site: Site, edit: str
) -> None:
    site.build()
    model = saved(site, "model")
    whole = model.read_bytes()
    before = snapshot(site.base / "public")
    for change in MOVES[edit]:
        site.edit(*change)
    site.build()
    after = snapshot(site.base / "public")
    assert after == site.reference()
    assert model.read_bytes() == whole  # built from the kit: the model was not read
    changed = {name for name in after if before.get(name) != after[name]}
    # A new date is the story's pages' in the sitemap.
    assert ("sitemap.xml" in changed) == any("date: " in new for _, _, new in MOVES[edit])
    assert len(changed) < len(after) / 2
    assert site.build().written == 0
    # The kit saved again is the lists' as they are now: more edits build what a cold build
    # does, the story's own among them.
    later = ("content/stories/extra-061.md", "date: 2018-", "date: 2015-")
    for change in [SHOWN_EDITS["title"], SHOWN_EDITS["summary"], later]:
        changed_files(site, change)
    assert model.read_bytes() == whole
    changed_files(site, (MOVES[edit][0][0], "title: ", "title: Now "))
    assert model.read_bytes() == whole


def test_a_kit_saved_again_is_used_only_with_the_state_saved_with_it(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.build()

    def failing(staged: kit_module.Staged, path: Path) -> None:
        staged.drop()
        raise OSError("the disk is full")

    # The state naming the kit saved again is saved; the kit does not take its place. The
    # build is done all the same.
    monkeypatch.setattr(kit_module.StagedHeader, "put_in_place", failing)
    monkeypatch.setattr(kit_module.StagedFile, "put_in_place", failing)
    site.edit(*DATE_EDITS["years earlier"][0])
    site.build()
    assert snapshot(site.base / "public") == site.reference()
    monkeypatch.undo()
    # The kit in place is that of the lists before: the next edit is built whole.
    next_edit_is_built_whole(site)


def next_edit_is_built_whole(site: Site) -> None:
    """No kit is left saved ahead, and the next edit saves the whole model again."""
    assert not list((site.base / "cache" / "builds").glob("*.kit-*"))
    model = saved(site, "model")
    whole = model.read_bytes()
    changed_files(site, SHOWN_EDITS["title"])
    assert model.read_bytes() != whole


def test_a_long_lived_builder_keeps_the_lists_it_saved_for_its_next_edit(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = Builder(site.options(), keep_model=True)
    serving.build()
    edits = iter(
        [
            ("content/stories/extra-040.md", "date: 2018-05-14", "date: 2018-05-13"),
            ("content/stories/extra-010.md", "date: 2018-", "date: 2016-"),
            ("content/stories/extra-040.md", "date: 2018-05-13", "date: 2024-05-13"),
            ("content/stories/extra-010.md", "date: 2016-", "date: 2017-"),
        ]
    )
    read: list[int] = []
    lists = kit_module.KitReader.lists

    def counted(reader: kit_module.KitReader) -> kit_module.Lists | None:
        read.append(1)
        return lists(reader)

    monkeypatch.setattr(kit_module.KitReader, "lists", counted)

    # What changed since each builder built last, as a watcher would name it.
    unseen: dict[Builder, set[Path]] = {}

    def move(builder: Builder) -> None:
        relative, old, new = next(edits)
        site.edit(relative, old, new)
        for names in unseen.values():
            names.add(site.base / relative)
        builder.build(unseen.pop(builder, {site.base / relative}))
        unseen[builder] = set()
        assert snapshot(site.base / "public") == site.reference()

    unseen[serving] = set()
    move(serving)
    move(serving)
    assert len(read) == 1  # read once, then kept as saved
    # Another builder saves the kit again: the lists kept are not that kit's, and are not
    # taken for them.
    move(Builder(site.options()))
    assert len(read) == 2
    move(serving)


def lists_kept(builder: Builder) -> kit_module.Lists:
    """The lists a long-lived builder keeps: those of the kit its state names, so the build
    that kept them was made from the kit."""
    assert builder._lists is not None
    assert builder.state is not None
    assert builder._lists[0] == builder.state.kit_token
    return builder._lists[1]


def test_a_long_lived_builder_groups_the_tags_and_digests_each_document_once(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = Builder(site.options(), keep_model=True)
    serving.build()
    grouped: list[int] = []
    digested: list[str] = []
    by_tag, dataclass = moves_module._by_tag, fingerprint_module.Fingerprinter._dataclass

    def grouping(rows: Sequence[kit_module.Listed]) -> kit_module.ByTag:
        grouped.append(len(rows))
        return by_tag(rows)

    def digesting(self: fingerprint_module.Fingerprinter, value: object) -> str:
        if isinstance(value, Document):
            digested.append(str(value.path))
        return dataclass(self, value)

    monkeypatch.setattr(moves_module, "_by_tag", grouping)
    monkeypatch.setattr(fingerprint_module.Fingerprinter, "_dataclass", digesting)
    story = site.base / "content/stories/extra-000.md"
    for old, new in [("[jobs]", "[jobs, Ünïcödé Tag]"), ("[jobs, Ünïcödé Tag]", "[jobs]")] * 2:
        digested.clear()
        site.edit("content/stories/extra-000.md", old, new)
        serving.build({story})
        assert snapshot(site.base / "public") == site.reference()
        lists = lists_kept(serving)
        assert lists.tagged["en"] == by_tag(lists.stories["en"])
    # Grouped once, when the lists were read; each document shown digested once: after the
    # first two edits, only the edited one is digested again.
    assert len(grouped) == 1
    assert digested == [str(story)]


def test_a_long_lived_builder_keeps_the_tags_grouped_as_the_lists_are_after_every_move(
    site: Site,
) -> None:
    serving = Builder(site.options(), keep_model=True)
    serving.build()
    edits = [
        # Grouped by tag after this move, then a new date that leaves the story in its place,
        # then a story moved next to it in its tag, ordered by that date, and a tag spelt anew.
        ("content/stories/extra-000.md", "[jobs]", "[jobs, Ünïcödé Tag]"),
        ("content/stories/extra-000.md", "date: 2018-01-01", "date: 2018-01-02"),
        ("content/stories/extra-060.md", "date: 2018-01-07", "date: 2018-01-02"),
        ("content/stories/three.md", "[Jobs,", "[jobs,"),
    ]
    places = []
    for relative, old, new in edits:
        site.edit(relative, old, new)
        serving.build({site.base / relative})
        assert snapshot(site.base / "public") == site.reference()
        lists = lists_kept(serving)
        grouped = moves_module._by_tag(lists.stories["en"])
        assert lists.tagged.get("en", grouped) == grouped
        # Kept with the sitemap's entries a new date changed; without, after a move that
        # changed none, as the kit keeps them (not saved again).
        assert (lists.sitemap is None) == ("date" not in old)
        path = str(site.content / "stories" / "extra-000.md")
        places.append([row[2] for row in lists.stories["en"]].index(path))
    assert places[0] == places[1]  # the new date left it in its place


def test_a_long_lived_builder_renders_a_card_again_only_when_what_it_shows_changed(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = Builder(site.options(), keep_model=True)
    serving.build()
    rendered: list[str] = []
    once_render = Once._render

    def counted(self: Once, where: str, values: tuple[object, ...], caller: Any) -> str:
        def rendering() -> str:
            rendered.append(where)
            return str(caller())

        return once_render(self, where, values, rendering)

    monkeypatch.setattr(Once, "_render", counted)
    story = "content/stories/extra-000.md"
    counts = []
    for old, new in [("[jobs]", "[jobs, Ünïcödé Tag]"), ("[jobs, Ünïcödé Tag]", "[jobs]")] * 2:
        rendered.clear()
        site.edit(story, old, new)
        serving.build({site.base / story})
        counts.append(len(rendered))
        assert snapshot(site.base / "public") == site.reference()
    # The first edit renders the cards of every list it shifts; after it, each card of the
    # story as it is is known, and so are the others, and the page frames.
    assert counts[0] > 0, counts
    assert counts[2:] == [0, 0]
    # A new title is shown: the story's cards are rendered again, and the lists show it.
    rendered.clear()
    site.edit(story, "title: ", "title: Retold ")
    serving.build({site.base / story})
    assert "story_list.html:13" in " ".join(rendered)
    assert snapshot(site.base / "public") == site.reference()
    # Dates written anew (a whole build), then the story moved again: the cards of the lists
    # it shifts, and of those it joins, with dates as now written.
    site.edit("content/i18n/en.yaml", '"{day} {month} {year}"', '"{month} {day}, {year}"')
    serving.build({site.content / "i18n" / "en.yaml"})
    site.edit(story, "[jobs]", "[jobs, Ünïcödé Tag]")
    serving.build({site.base / story})
    assert snapshot(site.base / "public") == site.reference()


@pytest.mark.parametrize("max_urls", [10, outputs.MAX_URLS], ids=["split in files", "one file"])
def test_a_new_date_reaches_the_sitemap_from_the_kit_as_a_cold_build_has_it(
    site: Site, max_urls: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "MAX_URLS", max_urls)
    site.build()
    model = saved(site, "model")
    whole = model.read_bytes()
    for edit in (DATE_EDITS["years earlier"][0], DATE_EDITS["to the top"][0]):
        changed = changed_files(site, edit)
        assert model.read_bytes() == whole  # built from the kit: the model was not read
        sitemaps = {name for name in changed if outputs.is_sitemap_file(name)}
        if max_urls == 10:
            # The file with the story's pages; the index too once one is the newest of its
            # file (the index dates each by its newest), as after a date years ahead.
            assert len(sitemaps - {"sitemap.xml"}) == 1
            assert ("sitemap.xml" in sitemaps) == ("2024" in edit[2])
        else:
            assert sitemaps == {"sitemap.xml"}
        state = load_state(saved(site, "files").with_suffix(""))
        with open_kit(saved(site, "kit"), state.version, state.kit_token) as reader:  # type: ignore[union-attr]
            kept = reader.sitemap()
        # Kept as its one file's text, or as its entries when split.
        assert isinstance(kept, str) == (max_urls != 10)


def test_only_a_new_date_reads_and_saves_the_sitemap_s_entries_again(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.build()
    read: list[int] = []
    sitemap = kit_module.KitReader.sitemap

    def counted(reader: kit_module.KitReader) -> object:
        read.append(1)
        return sitemap(reader)

    def entries() -> object:
        state = load_state(saved(site, "files").with_suffix(""))
        with open_kit(saved(site, "kit"), state.version, state.kit_token) as reader:  # type: ignore[union-attr]
            return sitemap(reader)

    monkeypatch.setattr(kit_module.KitReader, "sitemap", counted)
    before = entries()
    changed_files(site, TAG_EDITS["one added"][0])
    assert read == []
    assert entries() == before
    assert "sitemap.xml" in changed_files(site, DATE_EDITS["a day earlier"][0])
    assert read == [1]
    assert entries() != before


@pytest.mark.parametrize("error", [OSError("the disk is full"), ValueError("damaged")])
def test_a_kit_that_cannot_be_saved_again_leaves_the_next_edit_to_a_whole_build(
    site: Site, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    site.build()
    page = site.base / "public" / "en" / "stories" / "extra-010" / "index.html"
    told: list[bool] = []

    def failing(*args: object, **kwargs: object) -> kit_module.Staged:
        # Saved once this build's pages are in place.
        told.append('datetime="2016-' in page.read_text("utf-8"))
        raise error

    monkeypatch.setattr(builder_module, "amend_kit", failing)
    site.edit(*DATE_EDITS["years earlier"][0])
    site.build()
    assert told == [True]
    assert snapshot(site.base / "public") == site.reference()
    monkeypatch.undo()
    # The state names no kit: the next edit is built whole, as a cold build would.
    next_edit_is_built_whole(site)
    changed_files(site, DATE_EDITS["a day earlier"][0])


def kit_lists(site: Site, cache: str = "cache") -> tuple[Any, ...]:
    """The lists and the sitemap of the kit in `cache`, as read; where each is kept; and the
    stories moved since the lists were saved whole."""
    builds = site.base / cache / "builds"
    state = load_state(next(builds.glob("*.files")).with_suffix(""))
    with open_kit(next(builds.glob("*.kit")), state.version, state.kit_token) as reader:  # type: ignore[union-attr]
        lists = reader.lists()
        assert lists is not None
        spans = (reader.lists_span, reader.sitemap_span)
        return lists.stories, lists.homes, reader.sitemap(), spans, reader.moved()


def test_the_lists_hold_one_tuple_for_equal_tags_as_saved_and_read(site: Site) -> None:
    site.build()
    stories = kit_lists(site)[0]
    rows = [row for rows in stories.values() for row in rows]
    by_tags: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for row in rows:
        by_tags.setdefault(row[4], []).append(row[4])
        # Tags spelt as their URL names: their spellings are that tuple too.
        assert (row[5] is row[4]) == (row[5] == row[4])
    shared = [found for found in by_tags.values() if len(found) > 1]
    assert shared  # stories of the same tags, in the sample and extra stories
    assert all(len(set(map(id, found))) == 1 for found in shared)
    assert any(row[5] is row[4] and row[4] for row in rows)


def test_a_kit_saved_again_names_the_names_of_its_pages_and_documents_as_saved(
    site: Site,
) -> None:
    site.build()

    def names() -> tuple[Any, ...]:
        state = load_state(saved(site, "files").with_suffix(""))
        kit = saved(site, "kit")
        with open_kit(kit, state.version, state.kit_token) as reader:  # type: ignore[union-attr]
            header = kit.stat().st_size - reader.end
            listed = (reader.page_names, reader.document_names)
            return header, [(n.span_of_names, n.listed) for n in listed]

    before = names()
    changed_files(site, DATE_EDITS["a day earlier"][0])
    after = names()
    # The same names where they were, and a header that does not hold them again.
    assert after[1] == before[1]
    assert after[0] < sum(len(listed) for _, listed in after[1])


def test_stories_moved_are_saved_as_what_moved_until_there_are_too_many(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit_module, "ROWS_MOVED_AT_MOST", 3)
    monkeypatch.setattr(kit_module, "ENTRIES_MOVED_AT_MOST", 2)
    site.build()
    model = saved(site, "model")
    whole, whole_model = kit_lists(site), model.read_bytes()
    assert whole[4] == ({}, {})
    edits = [
        ("content/stories/extra-040.md", "date: 2018-05-14", "date: 2018-05-13"),
        TAG_EDITS["one added"][0],
        ("content/stories/extra-040.md", "date: 2018-05-13", "date: 2016-05-13"),
        ("content/stories/extra-010.md", "date: 2018-", "date: 2017-"),
        ("content/stories/extra-020.md", "date: 2018-", "date: 2019-"),
    ]
    # Rows moved and entries of the sitemap, after each edit, before the kit saves them whole.
    counts = [(1, 1), (2, 1), (2, 1), (3, 2), (0, 0)]
    for number, (edit, (rows, entries)) in enumerate(zip(edits, counts, strict=True)):
        changed_files(site, edit)
        assert model.read_bytes() == whole_model  # built from the kit
        site.build(f"cold-{number}", cache=f"cold-cache-{number}")
        cold, now = kit_lists(site, f"cold-cache-{number}"), kit_lists(site)
        # As a cold build keeps them, once what moved since is put in place.
        assert now[:3] == cold[:3]
        assert sum(map(len, now[4][0].values())) == rows
        assert len(now[4][1]) == entries
        if rows:
            assert now[3][0] == whole[3][0]  # the lists as saved whole, not again
        if entries:
            assert now[3][1] == whole[3][1]


@pytest.mark.parametrize(
    "damage",
    [
        "cut short",
        "a page",
        "the lists",
        "the sitemap",
        "the stories moved",
        "the names of the pages",
        "a page naming no module",
        "a bit of saved documents",
    ],
)
def test_a_damaged_kit_leaves_the_edit_to_a_whole_build(site: Site, damage: str) -> None:
    site.build()
    kit = saved(site, "kit")
    data = bytearray(kit.read_bytes())
    if damage == "cut short":
        del data[len(data) // 2 : -4096]
    else:
        state = load_state(saved(site, "files").with_suffix(""))
        reader = open_kit(kit, state.version, state.kit_token)
        assert reader is not None
        span = (
            reader.lists_span
            if damage == "the lists"
            else reader.sitemap_span
            if damage == "the sitemap"
            else reader.moved_span
            if damage == "the stories moved"
            else reader.page_names.span_of_names
            if damage == "the names of the pages"
            else reader.document_names.span(str(site.content / "stories" / "one.en.md"))
            if damage == "a bit of saved documents"
            else reader.page_names.span("/en/stories/one/")
        )
        reader.close()
        assert span is not None
        start, end = 8 + span[0], 8 + span[0] + span[1]
        if damage == "a page naming no module":
            # The module of what makes it again misspelt: unpickling it raises
            # ModuleNotFoundError.
            part = bytes(data[start:end])
            assert b"sitegen.incremental.kit" in part
            data[start:end] = part.replace(b"sitegen.incremental.kit", b"sitegen.incremental.kix")
        elif damage == "a bit of saved documents":
            # As marshal reads it, some such damage asks for gigabytes, or ends the process.
            data[(start + end) // 2] ^= 1
        else:
            noise = bytes(range(256)) * (span[1] // 256 + 1)
            data[start:end] = noise[: span[1]]
    kit.write_bytes(bytes(data))
    model = saved(site, "model")
    whole = model.read_bytes()
    for edit in [*DATE_EDITS["years earlier"], SHOWN_EDITS["title"]]:
        site.edit(*edit)
    site.build()
    assert snapshot(site.base / "public") == site.reference()
    assert model.read_bytes() != whole


@pytest.mark.parametrize("suffix", [".edits", ".files"])
def test_a_state_not_saved_leaves_no_kit_saved_for_it(
    site: Site, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    site.build()
    kit = saved(site, "kit")
    before = kit.read_bytes()
    save = state_module._save

    def failing(path: Path, data: object) -> None:
        if path.suffix == suffix:
            raise OSError("the disk is full")
        save(path, data)

    monkeypatch.setattr(state_module, "EDITS_AT_MOST", 2000 if suffix == ".edits" else 0)
    monkeypatch.setattr(state_module, "_save", failing)
    site.edit(*DATE_EDITS["years earlier"][0])
    with pytest.raises(OSError, match="the disk is full"):
        site.build()
    monkeypatch.undo()
    assert not list((site.base / "cache" / "builds").glob("*.kit-*"))
    assert kit.read_bytes() == before
    site.build()
    assert snapshot(site.base / "public") == site.reference()


def test_a_kit_saved_again_and_again_keeps_only_the_parts_in_use(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lists and the sitemap saved whole each time, as after many stories moved.
    monkeypatch.setattr(kit_module, "ROWS_MOVED_AT_MOST", 0)
    monkeypatch.setattr(kit_module, "ENTRIES_MOVED_AT_MOST", 0)
    site.build()
    model, kit = saved(site, "model"), saved(site, "kit")
    whole, sizes = model.read_bytes(), [kit.stat().st_size]
    for before, year in itertools.pairwise(range(2018, 2006, -1)):
        site.edit("content/stories/extra-040.md", f"date: {before}-", f"date: {year}-")
        site.build()
        sizes.append(kit.stat().st_size)
    assert snapshot(site.base / "public") == site.reference()
    assert model.read_bytes() == whole
    # Each edit adds the parts it changed; when less than half the file is in use, only
    # what is is copied.
    assert any(after < before for before, after in itertools.pairwise(sizes))
    assert max(sizes) < 3 * sizes[0]
    state = load_state(saved(site, "files").with_suffix(""))
    with open_kit(kit, state.version, state.kit_token) as reader:  # type: ignore[union-attr]
        assert reader.bytes_in_use() == sum(length for _, length in reader.in_use())
        assert reader.bytes_in_use() < reader.end - reader.start
    changed_files(site, ("content/stories/extra-041.md", "date: 2018-", "date: 2008-"))
    assert model.read_bytes() == whole


@pytest.mark.parametrize(
    "edit",
    [
        # Into the future: the story leaves the site.
        ("content/stories/extra-042.md", "date: 2018-", "date: 2099-"),
        # A new tag that another language has (whose pages there then link to this one).
        ("content/stories/extra-042.md", "tags: [", "tags: [praca, "),
        # A tag spelt otherwise by its one story: renamed on every page that shows it.
        ("content/stories/three.md", "Ünïcödé Tag]", "ünïcödé tag]"),
        ("content/stories/extra-042.md", "summary:", "draft: true\nsummary:"),
        ("content/stories/extra-042.md", "summary:", "updated: 2020-01-01\nsummary:"),
        ("content/pages/about.en.md", "summary:", "layout: thanks\nsummary:"),
        # A picture a story shows no more: no other page may show it, and it leaves the site.
        ("content/stories/one.en.md", "image: photo.png\nimage_alt: A green rectangle.\n", ""),
        # A picture no page showed yet: its variants are not made.
        (
            "content/stories/extra-042.md",
            "summary:",
            "image: other.png\nimage_alt: Another.\nsummary:",
        ),
    ],
)
def test_what_changes_the_site_s_structure_is_built_whole(
    site: Site, edit: tuple[str, str, str]
) -> None:
    shutil.copy(site.content / "images" / "photo.png", site.content / "images" / "other.png")
    site.build()
    model = saved(site, "model")
    whole = model.read_bytes()
    changed_files(site, edit)
    assert model.read_bytes() != whole


@pytest.mark.parametrize("now", ["image: photo.png", ""])
def test_a_picture_only_one_story_showed_leaves_the_site_with_it(site: Site, now: str) -> None:
    shutil.copy(site.content / "images" / "photo.png", site.content / "images" / "other.png")
    site.edit(
        "content/stories/extra-007.md", "summary:", "image: other.png\nimage_alt: O.\nsummary:"
    )
    site.build()
    assert any(name.startswith("images/other-") for name in snapshot(site.base / "public"))
    changed = changed_files(site, ("content/stories/extra-007.md", "image: other.png", now))
    assert any(name.startswith("images/other-") for name in changed)
    assert not any(name.startswith("images/other-") for name in snapshot(site.base / "public"))


def test_edits_of_every_kind_in_turn_build_what_a_cold_build_does(site: Site) -> None:
    site.build()
    edits = [
        SHOWN_EDITS["title"],
        ("content/stories/one.en.md", "Text with", "Words with"),
        SHOWN_EDITS["summary"],
        ("content/stories/one.en.md", "title: The first, retold", "title: The first, again"),
        ("content/stories/extra-010.md", "date: 2018-", "date: 2016-"),
        ("content/stories/one.en.md", "title: The first, again", "title: First"),
        ("content/stories/two.md", "A note.", "A longer note."),
    ]
    for edit in edits:
        changed_files(site, edit)
        # As a new process of the command line would find it: nothing left to do.
        noop._answers.clear()
        assert unchanged(site) is not None
        noop._seen.clear()  # what it saw is not the next process's
    site.edit("templates/story.html", '<article class="story">', '<article class="story x">')
    site.build()
    assert snapshot(site.base / "public") == site.reference()
    assert site.build().written == 0


@pytest.mark.parametrize(
    "setup",
    ["kit removed", "kit of another build", "output page deleted", "draft edited"],
)
def test_what_the_saved_pages_cannot_build_is_built_whole(site: Site, setup: str) -> None:
    site.build()
    edit = ("content/stories/extra-040.md", "Someone *asked*", "Someone *asked anew*")
    if setup == "kit removed":
        saved(site, "kit").unlink()
    elif setup == "kit of another build":
        kit = saved(site, "kit")
        site.edit("content/stories/extra-041.md", "summary:", "summary: Anew.")
        stale = kit.read_bytes()
        site.build()
        kit.write_bytes(stale)
    elif setup == "output page deleted":
        (site.base / "public" / "en" / "stories" / "two" / "index.html").unlink()
    else:
        edit = ("content/stories/draft.md", "draft: true\n---", "draft: true\n---\nSome text.")
    site.edit(*edit)
    site.build()
    assert snapshot(site.base / "public") == site.reference()


def test_the_kit_belongs_to_the_state_it_was_saved_with(site: Site) -> None:
    site.build()
    state = load_state(saved(site, "files").with_suffix(""))
    kit_path = state_files(saved(site, "files").with_suffix(""))[2]
    kit = open_kit(kit_path, state.version, state.token)
    assert kit is not None
    two = kit.saved(str(site.content / "stories" / "two.md"))
    assert two is not None
    assert list(two.own) == ["/en/stories/two/"]
    assert kit.saved(str(site.content / "stories" / "draft.md")) is None
    named: set[str] = set()
    shared = kit.shared(named)
    assert shared.config.codes == ("en", "pl")
    # The documents the shared parts show are the feeds' stories.
    assert named == {str(entry.doc.path) for entries in shared.feeds.values() for entry in entries}
    assert str(site.content / "stories" / "two.md") in named
    assert str(site.content / "stories" / "extra-040.md") not in named
    kit.close()
    assert not opens(kit_path, state.version, "another")
    assert not opens(kit_path.with_suffix(".gone"), state.version, state.token)


def test_edits_in_turn_carry_the_journal_to_the_next_whole_build(site: Site) -> None:
    site.build()
    for number in range(3):
        site.edit("content/stories/extra-050.md", "*asked*", f"*asked* {number}")
        site.build()
    site.edit("templates/story.html", '<article class="story">', '<article class="story x">')
    site.build()
    assert snapshot(site.base / "public") == site.reference()
    assert site.build().written == 0


@pytest.mark.parametrize("name", [*PACKAGES, "PyYAML", "not-installed-anywhere"])
def test_package_versions_are_those_importlib_metadata_gives(name: str) -> None:
    try:
        expected = metadata.version(name)
    except metadata.PackageNotFoundError:
        expected = "absent"
    assert package_version(name) == expected


NAMES = ["content/b.md", "content/ab.md", "content/b.md.x", "c/b.md", "content/a b.md", "é.md"]


def _document(name: str) -> Document:
    return Document("stories", "s", "en", Path(name), f"Title of {name}", "Summary.")


def _page(url: str, document: Document | None, shows: list[Document]) -> Page:
    entries = [Entry(doc, f"/{doc.path}/") for doc in shows]
    # As the model makes them: a document's page has its title and summary.
    title, description = (document.title, document.summary) if document else ("T", "D")
    data = {"shows": entries}
    return Page(url, "en", "story.html", title, description, "o", ("k",), document, data)


def test_each_document_finds_its_pages_and_those_that_show_it(tmp_path: Path) -> None:
    path = tmp_path / "x.kit"
    documents = {name: _document(name) for name in NAMES}
    pages = [
        *(_page(f"/{number}/", documents[name], []) for number, name in enumerate(NAMES)),
        _page("/list/", None, [documents[name] for name in NAMES[:3]]),
        _page("/again/", documents[NAMES[0]], [documents[NAMES[0]], documents[NAMES[1]]]),
    ]
    bodies = {name: f"key of {name}" for name in NAMES}
    write_kit(path, "v1", "t1", Kit(shared=None, pages=pages, bodies=bodies))  # type: ignore[arg-type]
    reader = open_kit(path, "v1", "t1")
    assert reader is not None
    for number, name in enumerate(NAMES):
        saved = reader.saved(name)
        assert saved is not None
        assert (saved.document, saved.body) == (documents[name], bodies[name])
        expected = ["/0/", "/again/"] if number == 0 else [f"/{number}/"]
        assert list(saved.own) == expected
        shown = {0: ["/0/", "/list/", "/again/"], 1: ["/1/", "/list/", "/again/"]}
        assert list(saved.shown_on) == shown.get(
            number, [f"/{number}/", "/list/"][: 1 + (number < 3)]
        )
        assert [reader.page(url) for url in saved.own] == [p for p in pages if p.url in expected]
    for other in ["b.md", "content/b", "ontent/b.md", "", "content/b.md\0content/ab.md"]:
        assert reader.saved(other) is None
    assert reader.page("/list/") == pages[-2]
    assert reader.page("/nowhere/") is None
    reader.close()
    assert not opens(path, "v2", "t1")
    assert not opens(path, "v1", "t2")


def test_the_documents_a_page_shows_are_known_from_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.kit"
    documents = {name: _document(name) for name in NAMES}
    listed = _page("/list/", None, [documents[name] for name in NAMES[:3]])
    bodies = dict.fromkeys(NAMES[:3], "k")
    kit = Kit(shared=None, pages=[listed], bodies=bodies)  # type: ignore[arg-type]
    write_kit(path, "v", "t", kit)
    with open_kit(path, "v", "t") as fresh:  # type: ignore[union-attr]
        expected = fresh.names_on("/list/")
    assert expected == set(NAMES[:3])
    with open_kit(path, "v", "t") as reader:  # type: ignore[union-attr]
        assert reader.page("/list/") == listed
        read: list[object] = []
        load = reader._load

        def recorded(*args: Any) -> object:
            read.append(args)
            return load(*args)

        monkeypatch.setattr(reader, "_load", recorded)
        # Once read, the page is not read again for them.
        assert reader.names_on("/list/") == expected
        assert read == []
        assert reader.names_on("/nowhere/") == set()


def test_pages_pickled_already_are_saved_as_pickled(tmp_path: Path) -> None:
    path = tmp_path / "x.kit"
    documents = _documents_kit(path, 4)
    shows = _page("/0/", documents[0], documents[1:3])
    other = _page("/1/", documents[1], documents[2:4])
    naming = kit_module.Naming()
    # The page given, pickled: saved as that pickle, made here of an equal page's data with
    # one more document, which the kit's records of the documents follow.
    as_pickled = _page("/0/", documents[0], documents[1:4])
    with naming.pickled(as_pickled) as data:
        pickled = {"/0/": (shows, bytes(data), frozenset(naming.named))}
    # Pickled as another page (of the same URL): not this one's pickle, which is not used.
    stale = _page("/1/", documents[1], documents[:1])
    with naming.pickled(stale) as data:
        pickled["/1/"] = (stale, bytes(data), frozenset(naming.named))
    with open_kit(path, "v", "t") as reader:  # type: ignore[union-attr]
        pages = {"/0/": shows, "/1/": other}
        amend_kit(reader, path, "t2", pages, pickled=pickled).put_in_place(path)
    with open_kit(path, "v", "t2") as reader:  # type: ignore[union-attr]
        assert reader.page("/0/") == as_pickled
        assert reader.page("/1/") == other
        shown_on = [reader.saved(str(doc.path)).shown_on for doc in documents]  # type: ignore[union-attr]
    assert shown_on == [("/0/",), ("/1/", "/0/"), ("/2/", "/0/", "/1/"), ("/3/", "/0/", "/1/")]


def _documents_kit(path: Path, count: int, *more: Page) -> list[Document]:
    """Write a kit (token `t`) of `count` documents, each with a page of its own, and the
    pages `more`."""
    documents = [_document(f"content/{number}.md") for number in range(count)]
    _save_documents(path, documents, "t", *more)
    return documents


def _save_documents(path: Path, documents: list[Document], token: str, *more: Page) -> None:
    pages = [_page(f"/{number}/", doc, []) for number, doc in enumerate(documents)]
    bodies = {str(doc.path): "k" for doc in documents}
    kit = Kit(shared=None, pages=[*pages, *more], bodies=bodies)  # type: ignore[arg-type]
    write_kit(path, "v", token, kit)


def test_a_document_is_read_without_the_others_of_its_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.kit"
    documents = _documents_kit(path, kit_module.DOCUMENTS_A_PART)
    read: list[object] = []
    loads = marshal.loads

    def recorded(data: bytes) -> object:
        found = loads(data)
        read.append(found)
        return found

    with open_kit(path, "v", "t") as reader:  # type: ignore[union-attr]
        monkeypatch.setattr(marshal, "loads", recorded)
        for doc in documents[5:7]:
            saved = reader.saved(str(doc.path))
            assert saved is not None
            assert saved.document == doc
    # The part once, as rows yet to be read; then the two rows asked for alone.
    parts = [found for found in read if type(found) is tuple and len(found) > 5]
    assert len(parts) == 1
    assert all(type(row) is bytes for row in parts[0])
    rows = [found for found in read if type(found) is tuple and len(found) == 5]
    assert [row[2] for row in rows] == [("/5/",), ("/6/",)]  # their own pages


def test_a_memo_of_parts_gives_the_documents_read_before_until_their_values_change(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.kit"
    listed = _page("/list/", None, [_document("content/0.md"), _document("content/1.md")])
    documents = _documents_kit(path, 150, listed)
    memo = kit_module.PartMemo()
    names = [str(doc.path) for doc in documents]

    def read(token: str, memo: kit_module.PartMemo | None = memo) -> list[Document]:
        with open_kit(path, "v", token, memo) as reader:  # type: ignore[union-attr]
            return [reader.document(name) for name in names]

    first = read("t")
    assert first == documents
    assert all(one is other for one, other in zip(read("t"), first, strict=True))
    # Without the memo, each reader makes its own.
    assert not any(one is other for one, other in zip(read("t", None), first, strict=True))
    # Saved again with the list showing the third too: the part holding it is written anew,
    # with the same documents.
    with open_kit(path, "v", "t") as reader:  # type: ignore[union-attr]
        again = {"/list/": _page("/list/", None, documents[:3])}
        amend_kit(reader, path, "t2", again).put_in_place(path)
    assert all(one is other for one, other in zip(read("t2"), first, strict=True))
    with open_kit(path, "v", "t2", memo) as reader:  # type: ignore[union-attr]
        saved = reader.saved(names[2])
        assert saved is not None
        assert saved.shown_on == ("/2/", "/list/")
    # A kit with the third document edited: that one is made anew, the others are kept.
    documents[2] = dataclasses.replace(documents[2], title="Another title")
    _save_documents(path, documents, "t3", listed)
    later = read("t3")
    assert later == documents
    assert [n for n, doc in enumerate(later) if doc is not first[n]] == [2]


def test_a_memo_of_parts_tells_equal_values_of_other_classes_apart() -> None:
    memo = kit_module.PartMemo()
    shown = _document("content/a.md")
    # As no front matter gives it, but a document might hold: equal to False, shown as 0.
    other = dataclasses.replace(shown, draft=0)  # type: ignore[arg-type]
    values, others = plain_document(shown), plain_document(other)
    assert values is not None
    assert others is not None
    assert values == others
    assert memo.document(values) is memo.document(values)
    assert type(memo.document(others).draft) is int
    assert type(memo.document(values).draft) is bool


def test_a_memo_of_parts_lets_go_of_all_it_keeps_past_its_bounds(tmp_path: Path) -> None:
    path = tmp_path / "x.kit"
    documents = _documents_kit(path, 200)
    memo = kit_module.PartMemo(parts=2, documents=100)
    with open_kit(path, "v", "t", memo) as reader:  # type: ignore[union-attr]
        first = [reader.document(str(doc.path)) for doc in documents]
    assert len(memo._found) <= 2
    assert len(memo._documents) <= 100
    assert first == documents
    # The last part read (documents 192 to 199) is still kept; the first is not.
    with open_kit(path, "v", "t", memo) as reader:  # type: ignore[union-attr]
        assert reader.document(str(documents[-1].path)) is first[-1]
        assert reader.document(str(documents[0].path)) is not first[0]


def test_pages_read_show_the_documents_given_anew(tmp_path: Path) -> None:
    path = tmp_path / "x.kit"
    first, second = _document("a.md"), _document("b.md")
    pages = [_page("/a/", first, [second]), _page("/b/", second, [first])]
    kit = Kit(shared=None, pages=pages, bodies={"a.md": "ka", "b.md": "kb"})  # type: ignore[arg-type]
    write_kit(path, "v", "t", kit)
    reader = open_kit(path, "v", "t")
    assert reader is not None
    retitled = dataclasses.replace(first, title="A new title", summary="A new summary.")
    reader.now["a.md"] = retitled
    own, other = reader.page("/a/"), reader.page("/b/")
    assert own is not None
    assert other is not None
    # Its own page takes its title and description, as the model makes it.
    assert (own.document, own.title, own.description) == (retitled, "A new title", "A new summary.")
    assert own.data == pages[0].data
    assert other.data == {"shows": [Entry(retitled, "/a.md/")]}
    assert (other.title, other.document) == (second.title, second)
    reader.close()


def test_pages_and_entries_are_saved_as_their_fields_values_and_read_back_equal(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.kit"
    first, second = _document("a.md"), _document("b.md")
    pages = [
        _page("/a/", first, [second, first]),
        dataclasses.replace(_page("/b/", None, [first]), indexable=False, alternates={"de": "/"}),
    ]
    naming = kit_module.Naming()
    with naming.pickled(pages[0]) as data:
        saved = bytes(data)
    # The values alone: no field's name is written, a page's or an entry's.
    for name in ("url", "template", "description", "indexable", "alternates"):
        assert name.encode() not in saved
    assert set(naming.named) == {"a.md", "b.md"}
    write_kit(path, "v", "t", Kit(shared=None, pages=pages, bodies={"a.md": "k", "b.md": "k"}))  # type: ignore[arg-type]
    with open_kit(path, "v", "t") as reader:  # type: ignore[union-attr]
        again = [reader.page("/a/"), reader.page("/b/")]
    assert again == pages
    assert again[0] is not None
    shown: Any = again[0].data["shows"]
    assert [type(entry) for entry in shown] == [Entry, Entry]
    # Made again as pickle makes a frozen class: hashed and compared as the original.
    original: Any = pages[0].data["shows"]
    assert dict.fromkeys(shown) == dict.fromkeys(original)


def test_a_page_with_a_title_of_its_own_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "x.kit"
    first = _document("a.md")
    own = dataclasses.replace(_page("/a/", first, []), title="A title of its own")
    write_kit(path, "v", "t", Kit(shared=None, pages=[own], bodies={"a.md": "k"}))  # type: ignore[arg-type]
    with open_kit(path, "v", "t") as reader:  # type: ignore[union-attr]
        saved = reader.saved("a.md")
        assert saved is not None
        assert not saved.follows
        reader.now["a.md"] = dataclasses.replace(first, title="Another")
        found = reader.page("/a/")
        assert found is not None
        assert found.title == "A title of its own"


class _Text(str):
    """Text of a class of its own, which marshal cannot hold."""


def test_saved_documents_come_back_as_they_were_of_every_kind_and_value(tmp_path: Path) -> None:
    from datetime import datetime

    from sitegen.content.schema import SourceRef
    from sitegen.markdown.texts import DocumentWithImages

    path = tmp_path / "x.kit"
    full = dataclasses.replace(
        _document("a.md"),
        updated=date(2020, 2, 29),
        date=date(1, 1, 1),
        tags=("one", "Two"),
        image="x.jpg",
        image_alt="An image",
        location="Łódź",
        draft=True,
        source=SourceRef("A paper", "https://example.org/"),
        layout="wide",
        lines=(("title", 2), ("date", 3)),
    )
    with_images = DocumentWithImages(
        **{field.name: getattr(full, field.name) for field in dataclasses.fields(full)},
        body_images=("y.png",),
    )
    documents = [
        full,
        dataclasses.replace(with_images, path=Path("b.md")),
        _document("c.md"),
        # Values marshal cannot hold as they are: their documents are pickled.
        dataclasses.replace(_document("d.md"), title=_Text("A title")),
        dataclasses.replace(_document("e.md"), date=datetime(2024, 5, 6, 7, 8)),
        *(_document(f"many/{number}.md") for number in range(kit_module.DOCUMENTS_A_PART)),
    ]
    pages = [_page(f"/{number}/", doc, documents[:2]) for number, doc in enumerate(documents)]
    bodies = {str(doc.path): f"key of {doc.path}" for doc in documents}
    write_kit(path, "v", "t", Kit(shared=None, pages=pages, bodies=bodies))  # type: ignore[arg-type]

    def fields(doc: Document) -> list[tuple[object, type]]:
        values = [getattr(doc, field.name) for field in dataclasses.fields(doc)]
        return [(type(doc), type(doc))] + [(value, type(value)) for value in values]

    with open_kit(path, "v", "t") as reader:  # type: ignore[union-attr]
        for number, doc in enumerate(documents):
            saved = reader.saved(str(doc.path))
            assert saved is not None
            assert fields(saved.document) == fields(doc)
            assert saved.document.lines == doc.lines
            assert (saved.body, saved.own) == (bodies[str(doc.path)], (f"/{number}/",))
            assert reader.page(f"/{number}/") == pages[number]
        # Amended, every document of the parts saved again comes back as it was.
        shows = [documents[3], documents[-1]]
        amend_kit(reader, path, "t2", {"/0/": _page("/0/", documents[0], shows)}).put_in_place(path)
    with open_kit(path, "v", "t2") as reader:  # type: ignore[union-attr]
        for doc in documents:
            saved = reader.saved(str(doc.path))
            assert saved is not None
            assert fields(saved.document) == fields(doc)
        shown_on = {str(doc.path): reader.saved(str(doc.path)).shown_on for doc in documents}  # type: ignore[union-attr]
        assert shown_on["a.md"] == ("/0/", *(f"/{n}/" for n in range(1, len(documents))))
        assert shown_on["b.md"] == tuple(f"/{n}/" for n in range(1, len(documents)))
        assert shown_on["d.md"] == ("/3/", "/0/")
        assert shown_on[str(documents[-1].path)] == (f"/{len(documents) - 1}/", "/0/")


def test_a_kit_replaced_while_read_is_read_as_it_was_opened(tmp_path: Path) -> None:
    path = tmp_path / "x.kit"
    before = [_page(f"/{n}/", _document(f"{n}.md"), []) for n in range(100)]
    bodies = {f"{n}.md": "k" for n in range(100)}
    write_kit(path, "v", "t", Kit(shared=None, pages=before, bodies=bodies))  # type: ignore[arg-type]
    with open_kit(path, "v", "t") as reader:  # type: ignore[union-attr]
        after = [dataclasses.replace(page, template="other.html" * 50) for page in before]
        write_kit(path, "v", "t", Kit(shared=None, pages=after, bodies=bodies))  # type: ignore[arg-type]
        assert [reader.page(f"/{n}/") for n in range(100)] == before


def test_a_kit_without_documents_opens(tmp_path: Path) -> None:
    path = tmp_path / "x.kit"
    write_kit(path, "v", "t", Kit(shared=None, pages=[], bodies={}))  # type: ignore[arg-type]
    with open_kit(path, "v", "t") as reader:  # type: ignore[union-attr]
        assert reader.saved("a.md") is None
        assert reader.page("/") is None


def test_many_names_are_found_as_few_are(tmp_path: Path) -> None:
    path = tmp_path / "x.kit"
    documents = _documents_kit(path, 40)
    reader = open_kit(path, "v", "t")
    assert reader is not None
    for number in [*range(40), *range(40)]:
        assert reader.page(f"/{number}/") == _page(f"/{number}/", documents[number], [])
        assert reader.saved(f"content/{number}.md") is not None
    assert reader.page("/40/") is None
    reader.close()


def test_a_page_named_with_a_nul_is_refused(tmp_path: Path) -> None:
    kit = Kit(shared=None, pages=[_page("/a\0b/", None, [])], bodies={})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NUL"):
        write_kit(tmp_path / "x.kit", "v", "t", kit)


def story_edit(number: int) -> tuple[str, str, str]:
    return ("content/stories/extra-040.md", "for help", f"for help {number}")


def test_an_edit_saves_only_the_records_it_changed(site: Site) -> None:
    site.build()
    listed = saved(site, "files")
    whole = listed.read_bytes()
    for number in range(3):
        changed_files(site, story_edit(number))
        # A new process, as the command line is: the list and its edits read together.
        noop._answers.clear()
        assert unchanged(site) is not None
        noop._seen.clear()  # what it saw is not the next process's
    edits = listed.with_suffix(".edits")
    assert listed.read_bytes() == whole
    assert edits.stat().st_size < len(whole) / 5
    edited = load_state(listed.with_suffix("")).edits
    assert edited is not None
    assert [Path(path).name for path in edited[0]] == ["extra-040.md"]
    assert "en/stories/extra-040/index.html" in edited[1]
    # A whole build saves the list whole again, and drops the edits.
    site.edit("content/site.yaml", "title:", "title: x")
    site.build()
    assert not edits.exists()
    assert listed.read_bytes() != whole
    noop._answers.clear()
    assert unchanged(site) is not None


def test_edits_saved_over_another_list_are_not_read_with_this_one(site: Site) -> None:
    site.build()
    changed_files(site, story_edit(1))
    listed = saved(site, "files")
    edits = listed.with_suffix(".edits")
    found = noop.loaded(edits.read_bytes())
    assert isinstance(found, tuple)
    foreign = list(found)
    foreign[0] = "another token"
    edits.write_bytes(noop.dumped(tuple(foreign)))
    noop._answers.clear()
    # Without its edits, the list has the story and its page as they were: not unchanged.
    assert unchanged(site) is None
    site.build()
    assert snapshot(site.base / "public") == site.reference()


def test_too_many_edits_save_the_list_whole(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_module, "EDITS_AT_MOST", 0)
    site.build()
    listed = saved(site, "files")
    whole = listed.read_bytes()
    changed_files(site, story_edit(2))
    assert not listed.with_suffix(".edits").exists()
    assert listed.read_bytes() != whole
    noop._answers.clear()
    assert unchanged(site) is not None


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_kit_saved_while_pages_render_goes_with_the_state_or_not_at_all(
    site: Site, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    builds = site.base / "cache" / "builds"
    site.build(jobs=jobs)
    state = load_state(saved(site, "files").with_suffix(""))
    kit_path = state_files(saved(site, "files").with_suffix(""))[2]
    assert opens(kit_path, state.version, state.token)
    assert not list(builds.glob("*.kit-*"))
    kit_before = kit_path.read_bytes()

    def broken(*args: object, **kwargs: object) -> None:
        raise ContentError([])

    # A whole build (a template changed) failing after its pages, and so its kit, were made.
    monkeypatch.setattr(builder_module, "check_links", broken)
    site.edit("templates/story.html", '<article class="story">', '<article class="story x">')
    with pytest.raises(ContentError):
        site.build(jobs=jobs)
    assert not list(builds.glob("*.kit-*"))
    assert kit_path.read_bytes() == kit_before
    assert load_state(saved(site, "files").with_suffix("")).token == state.token
    monkeypatch.undo()
    site.build(jobs=jobs)
    assert snapshot(site.base / "public") == site.reference()
    state = load_state(saved(site, "files").with_suffix(""))
    assert opens(kit_path, state.version, state.token)
    # So does one saved again after a story's date was edited.
    kit_before = kit_path.read_bytes()
    monkeypatch.setattr(builder_module, "check_links", broken)
    site.edit(*DATE_EDITS["years earlier"][0])
    with pytest.raises(ContentError):
        site.build(jobs=jobs)
    assert not list(builds.glob("*.kit-*"))
    assert kit_path.read_bytes() == kit_before
    monkeypatch.undo()
    site.build(jobs=jobs)
    assert snapshot(site.base / "public") == site.reference()
    state = load_state(saved(site, "files").with_suffix(""))
    assert kit_path.read_bytes() != kit_before
    assert opens(kit_path, state.version, state.kit_token)


@pytest.mark.parametrize("cut", [0, 4, 8, 100, -1])
def test_a_kit_cut_short_is_no_kit(site: Site, cut: int) -> None:
    site.build()
    state = load_state(saved(site, "files").with_suffix(""))
    kit_path = state_files(saved(site, "files").with_suffix(""))[2]
    whole = kit_path.read_bytes()
    kit_path.write_bytes(whole[:cut])
    assert not opens(kit_path, state.version, state.token)
    kit_path.write_bytes(whole)
    assert opens(kit_path, state.version, state.token)


@pytest.mark.parametrize("told", [True, False])
def test_a_long_lived_builder_takes_what_documents_show_from_the_saved_pages(
    site: Site, told: bool
) -> None:
    builder = Builder(site.options(), keep_model=True)
    builder.build()
    edits = [
        ("content/stories/one.en.md", "Text with", "Words with"),
        SHOWN_EDITS["title"],
        ("content/stories/one.en.md", "Words with", "Text, again, with"),
        SHOWN_EDITS["summary"],
        ("content/stories/extra-010.md", "date: 2018-", "date: 2016-"),
        ("content/stories/one.en.md", "title: The first, retold", "title: First"),
        ("content/stories/two.md", "A note.", "A longer note."),
    ]
    models = []
    for relative, old, new in edits:
        named = {(site.base / relative).resolve()} if told else None
        site.rebuild_after_edit(relative, old, new, partial(builder.build, named))
        models.append(builder.last is not None)
        # Saved, the kit is not kept: it holds the whole model of its build.
        assert builder.state is None or builder.state.kit is None
    # The model stays in memory for texts; what a document shows, and a story's date, are
    # built from the saved pages, which leaves it to be read again.
    assert models == [True, False, False, False, False, False, False]
    assert builder.build().written == 0


def test_a_long_lived_builder_told_of_changes_after_a_failed_build_misses_none(
    site: Site,
) -> None:
    builder = Builder(site.options(), keep_model=True)
    builder.build()
    template = (
        "templates/story.html",
        '<article class="story">',
        '<article class="story">{% if %}',
    )
    edits = [
        template,
        ("content/stories/extra-005.md", "title: Story number 5", "title: Five"),
        ("content/stories/extra-006.md", "date: 2018-", "date: 2015-"),
    ]
    for relative, old, new in edits:
        site.edit(relative, old, new)
        with pytest.raises(ContentError):
            builder.build({(site.base / relative).resolve()})
    # Told only of the template mended, it still builds the stories edited meanwhile.
    site.edit(template[0], template[2], template[1])
    builder.build({(site.base / template[0]).resolve()})
    assert snapshot(site.base / "public") == site.reference()
    assert site.build().written == 0


def test_nothing_to_do_after_an_edit_from_the_saved_pages_makes_no_model(site: Site) -> None:
    builder = Builder(site.options(), keep_model=True)
    builder.build()
    edited = (site.content / "stories" / "one.en.md").resolve()
    site.rebuild_after_edit(*SHOWN_EDITS["title"], partial(builder.build, {edited}))
    for told in (None, set(), {edited}):
        assert builder.build(told).written == 0
        assert builder.last is None


def test_a_kit_read_without_pread_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.kit"
    pages = [_page(f"/{n}/", _document(f"{n}.md"), [_document("0.md")]) for n in range(10)]
    bodies = {f"{n}.md": "k" for n in range(10)}
    write_kit(path, "v", "t", Kit(shared=None, pages=pages, bodies=bodies))  # type: ignore[arg-type]
    found = {}
    for pread in (True, False):
        monkeypatch.setattr(kit_module, "_PREAD", pread)
        with open_kit(path, "v", "t") as reader:  # type: ignore[union-attr]
            found[pread] = [reader.page(f"/{n}/") for n in reversed(range(10))]
    assert found[True] == found[False] == list(reversed(pages))


def build_code(site: Site, *, jobs: int = 1) -> str:
    """Python code that builds `site` as `Site.build` does."""
    options = site.options()
    return (
        "from datetime import date\n"
        "from pathlib import Path\n"
        "from sitegen.incremental.builder import build_site\n"
        "from sitegen.options import BuildOptions\n"
        f"build_site(BuildOptions(content=Path({str(options.content)!r}),"
        f" output=Path({str(options.output)!r}), templates=Path({str(options.templates)!r}),"
        f" cache=Path({str(options.cache)!r}), contract=Path({str(options.contract)!r}),"
        f" today=date.fromisoformat({TODAY.isoformat()!r}), jobs={jobs}))\n"
    )


def test_only_an_edit_moving_a_story_loads_what_moves_it(site: Site) -> None:
    site.build()
    code = build_code(site)
    moving = ["sitegen.incremental.moves"]
    site.edit(*SHOWN_EDITS["title"])
    assert loaded_after(code, moving) == []
    site.edit(*DATE_EDITS["years earlier"][0])
    assert loaded_after(code, moving) == moving
    assert snapshot(site.base / "public") == site.reference()


def saved_keys(site: Site) -> dict[str, str]:
    """Every page's key as the saved state has it, edits since it was saved whole too."""
    files = saved(site, "files").with_suffix("")
    state = load_state(files)
    load_model(files, state)
    return {url: record.key for url, record in state.pages.items()}


def cold_build_elsewhere(site: Site, *, jobs: int, seed: int) -> dict[str, str]:
    """The keys of a cold build in a process of its own, whose strings hash otherwise
    (`PYTHONHASHSEED`); into the same folders (a page's images are named by their place)."""
    options = site.options()
    shutil.rmtree(options.output, ignore_errors=True)
    shutil.rmtree(options.cache / "builds", ignore_errors=True)
    environment = {**os.environ, "PYTHONHASHSEED": str(seed)}
    command = [sys.executable, "-c", build_code(site, jobs=jobs)]
    subprocess.run(command, cwd=ROOT, env=environment, check=True)
    return saved_keys(site)


def test_a_page_has_one_key_in_every_process_and_after_every_kind_of_build(site: Site) -> None:
    """A page's key is made of its data as pickled, and keys are compared from one build to
    the next: a page must get the same key in processes whose strings hash otherwise, built
    by one process or by workers, and as rebuilt from the kit after an edit, or a build would
    render again what has not changed."""
    keys = cold_build_elsewhere(site, jobs=1, seed=1)
    assert len(keys) > 80
    assert cold_build_elsewhere(site, jobs=2, seed=2) == keys
    # Rebuilt from the kit: the pages that show the story, read back from it.
    model = saved(site, "model").read_bytes()
    site.edit(*SHOWN_EDITS["title"])
    assert site.build().written > 2
    assert saved(site, "model").read_bytes() == model
    edited = saved_keys(site)
    assert sum(edited[url] != keys[url] for url in keys) > 2
    assert cold_build_elsewhere(site, jobs=2, seed=3) == edited
    # And made anew for a story that moves in the lists, by its date and by its tags.
    # The last names one tag twice, in two spellings (and another story leaves it).
    twice = [
        ("content/stories/extra-002.md", "tags: [courage]", "tags: [courage, Courage]"),
        ("content/stories/extra-005.md", "tags: [courage]", "tags: []"),
    ]
    for changes in [DATE_EDITS["years earlier"], TAG_EDITS["one for another"], twice]:
        model = saved(site, "model").read_bytes()
        for change in changes:
            site.edit(*change)
        assert site.build().written > 2
        assert saved(site, "model").read_bytes() == model
        edited = saved_keys(site)
        assert cold_build_elsewhere(site, jobs=1, seed=4) == edited
