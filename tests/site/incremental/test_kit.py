"""A new process rebuilds after edits to texts from the saved pages of those texts alone, and
falls back to the whole build whenever that would not be the same."""

from __future__ import annotations

import marshal
from datetime import date
from importlib import metadata
from pathlib import Path

import pytest

from sitegen.errors import ContentError
from sitegen.incremental import builder as builder_module
from sitegen.incremental import noop
from sitegen.incremental import state as state_module
from sitegen.incremental.builder import Builder
from sitegen.incremental.edits import kit_of, prepared_from
from sitegen.incremental.fingerprint import PACKAGES, Fingerprinter
from sitegen.incremental.kit import Kit, open_kit, write_kit
from sitegen.incremental.prepared import feed_files
from sitegen.incremental.state import load_state, state_files
from sitegen.packages import package_version
from tests.site.incremental.test_builder import Site, site, snapshot
from tests.site.incremental.test_noop import unchanged

__all__ = ["site"]


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
    # Anything more than text needs the model: without it, everything is built again.
    edit = ("content/stories/extra-041.md", "summary:", "summary: Anew.")
    assert "en/stories/extra-041/index.html" in changed_files(site, edit)
    assert model.read_bytes() != b"not a model"


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
        assert part.key(page, Fingerprinter()) == whole.key(page, Fingerprinter())
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
    pages = kit.pages(str(site.content / "stories" / "two.md"))
    assert [page.url for page in pages] == ["/en/stories/two/"]
    assert kit.pages(str(site.content / "stories" / "draft.md")) == ()
    assert kit.shared().config.codes == ("en", "pl")
    assert open_kit(kit_path, state.version, "another") is None
    assert open_kit(kit_path.with_suffix(".gone"), state.version, state.token) is None


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


def test_each_document_finds_its_own_pages_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "x.kit"
    pages = {name: (f"pages of {name}",) * (number + 1) for number, name in enumerate(NAMES)}
    write_kit(path, "v1", "t1", Kit(shared=None, pages=pages))  # type: ignore[arg-type]
    reader = open_kit(path, "v1", "t1")
    assert reader is not None
    for name in NAMES:
        found: tuple[object, ...] = reader.pages(name)
        assert found == pages[name]
    for other in ["b.md", "content/b", "ontent/b.md", "", "content/b.md\0content/ab.md"]:
        assert reader.pages(other) == ()
    assert open_kit(path, "v2", "t1") is None
    assert open_kit(path, "v1", "t2") is None


def test_a_document_named_with_a_nul_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NUL"):
        write_kit(tmp_path / "x.kit", "v", "t", Kit(shared=None, pages={"a\0b": ()}))  # type: ignore[arg-type]


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
    foreign = list(marshal.loads(edits.read_bytes()))  # noqa: S302 - the build's own file
    foreign[0] = "another token"
    edits.write_bytes(marshal.dumps(tuple(foreign)))
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
    assert open_kit(kit_path, state.version, state.token) is not None
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
    assert open_kit(kit_path, state.version, state.token) is not None


@pytest.mark.parametrize("cut", [0, 4, 8, 100, -1])
def test_a_kit_cut_short_is_no_kit(site: Site, cut: int) -> None:
    site.build()
    state = load_state(saved(site, "files").with_suffix(""))
    kit_path = state_files(saved(site, "files").with_suffix(""))[2]
    whole = kit_path.read_bytes()
    kit_path.write_bytes(whole[:cut])
    assert open_kit(kit_path, state.version, state.token) is None
    kit_path.write_bytes(whole)
    assert open_kit(kit_path, state.version, state.token) is not None
