"""Cached, incremental and parallel builds write exactly what a full in-memory build writes."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import pytest

from functions.help_requests.contract import CONTRACT_PATH
from sitegen import parallel
from sitegen.content.frontmatter import body
from sitegen.errors import ContentError, SiteError, WorkerLost
from sitegen.incremental import builder, outfolder, pagework
from sitegen.incremental.builder import Builder, build_site, check_site
from sitegen.incremental.compiled import compile_ahead
from sitegen.incremental.fingerprint import code_version
from sitegen.incremental.kit import PageSeen
from sitegen.incremental.outfolder import Outputs
from sitegen.incremental.state import BuildState, save_state, stage_kit
from sitegen.incremental.write import MARKER
from sitegen.markdown import preconvert
from sitegen.markdown.preconvert import Preconverter
from sitegen.markdown.texts import markdown_key
from sitegen.options import TEMPLATES, BuildOptions, BuildResult
from sitegen.parallel import parked_workers
from sitegen.render.form import Form, read_form
from tests.deadline import within
from tests.loaded import loaded_after
from tests.site.incremental.test_fingerprint import count_parses
from tests.site.incremental.test_write import NO_OTHERS, umask
from tests.site.reference import build_site_in_memory, files_written

FIXTURE = Path(__file__).resolve().parents[1] / "fixture"
ROOT = Path(__file__).resolve().parents[3]
TODAY = date(2024, 6, 1)
EXTRA_STORIES = 80


@dataclass
class Site:
    """A copy of the fixture site, its templates, output and cache, all in a temporary folder."""

    base: Path

    @property
    def content(self) -> Path:
        return self.base / "content"

    @property
    def templates(self) -> Path:
        return self.base / "templates"

    def options(
        self,
        output: str = "public",
        *,
        cache: str = "cache",
        jobs: int = 1,
        drafts: bool = False,
        future: bool = False,
    ) -> BuildOptions:
        return BuildOptions(
            content=self.content,
            output=self.base / output,
            templates=self.templates,
            cache=self.base / cache,
            contract=self.base / "openapi.yaml",
            drafts=drafts,
            future=future,
            today=TODAY,
            jobs=jobs,
        )

    def build(self, output: str = "public", *, cache: str = "cache", jobs: int = 1) -> BuildResult:
        return build_site(self.options(output, cache=cache, jobs=jobs))

    def reference(self) -> dict[str, bytes]:
        """What a full, serial, in-memory build of the current sources writes."""
        return files_written(self.options("reference", cache="reference-cache"))

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.base / relative
        text = path.read_text("utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), "utf-8")

    def rebuild_after_edit(
        self, relative: str, old: str, new: str, build: Callable[[], BuildResult] | None = None
    ) -> Rebuilt:
        """Edit a file and build again (with `build`, if given); the output must be what a
        full in-memory build writes."""
        before = snapshot(self.base / "public")
        self.edit(relative, old, new)
        result = (build or self.build)()
        after = snapshot(self.base / "public")
        assert after == self.reference()
        return Rebuilt(result, after, {name for name in after if before.get(name) != after[name]})


@dataclass
class Rebuilt:
    """A build after an edit: its result, the output, and the files that changed."""

    result: BuildResult
    output: dict[str, bytes]
    changed: set[str]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of an output folder by path, with the marker present (what it holds names
    the build that wrote the folder last, which differs from build to build)."""
    files = {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    if MARKER in files:
        files[MARKER] = b""
    return files


def story(number: int) -> str:
    tags = ["jobs", "mentoring", "courage"][number % 3]
    day = f"2018-{number % 12 + 1:02d}-{number % 27 + 1:02d}"
    return (
        f"---\ntitle: Story number {number}\ndate: {day}\n"
        f"summary: Summary of story {number}.\ntags: [{tags}]\n---\n"
        f"## Part {number}\n\nSomeone *asked* for help, [once](/en/stories/one/).\n\n- a\n- b\n"
    )


@pytest.fixture
def site(tmp_path: Path) -> Site:
    shutil.copytree(FIXTURE, tmp_path / "content")
    shutil.copytree(TEMPLATES, tmp_path / "templates", ignore=shutil.ignore_patterns("js"))
    shutil.copy(CONTRACT_PATH, tmp_path / "openapi.yaml")
    for number in range(EXTRA_STORIES):
        (tmp_path / "content" / "stories" / f"extra-{number:03d}.md").write_text(story(number))
    return Site(tmp_path)


def test_cold_warm_serial_and_parallel_builds_are_identical(site: Site) -> None:
    serial = site.build("serial", cache="serial-cache", jobs=1)
    parallel = site.build("parallel", cache="parallel-cache", jobs=2)
    warm = site.build("parallel", cache="parallel-cache", jobs=2)
    expected = site.reference()
    assert serial.pages >= pagework.PARALLEL_FROM
    assert snapshot(site.base / "serial") == expected
    assert snapshot(site.base / "parallel") == expected
    files = len(expected) - 1  # all but the marker
    assert (parallel.written, warm.written, warm.unchanged) == (files, 0, files)


def test_the_command_line_renders_on_two_cores_and_writes_the_same(site: Site) -> None:
    # Its own process has no other thread, so it forks its workers (see sitegen.parallel).
    command = [sys.executable, str(ROOT / "build.py"), "build", "--jobs", "2"]
    command += ["--content", str(site.content), "--templates", str(site.templates)]
    command += ["--output", str(site.base / "cli"), "--cache", str(site.base / "cli-cache")]
    first = subprocess.run(command, capture_output=True, text=True, check=False, cwd=site.base)
    second = subprocess.run(command, capture_output=True, text=True, check=False, cwd=site.base)
    assert first.returncode == 0, first.stderr
    assert "(0 written," in second.stdout
    options = dataclasses.replace(site.options("reference"), today=None)
    build_site_in_memory(options)
    assert snapshot(site.base / "cli") == snapshot(site.base / "reference")


@pytest.mark.parametrize("taken_by", ["umask", "default ACL", "default ACL above the output"])
def test_every_file_and_folder_is_readable_whatever_takes_bits_from_new_ones(
    site: Site, taken_by: str
) -> None:
    """Files and folders get their mode set again only where it would not be whole; nowhere
    is one left unreadable. A default ACL on the cache is inherited by the staging folder in
    it. An edit then adds a story: its folder is made in the output folder itself."""
    mask = 0o077 if taken_by == "umask" else 0o022
    if taken_by != "umask":
        # On the cache, or on the folder that holds the cache and the output.
        shared = site.base / "cache" if taken_by == "default ACL" else site.base
        shared.mkdir(exist_ok=True)
        try:
            os.setxattr(shared, "system.posix_acl_default", NO_OTHERS)
        except (AttributeError, OSError) as exc:
            pytest.skip(f"no POSIX ACLs here: {exc}")
    public = site.base / "public"
    with umask(mask):
        result = site.build(jobs=2)
        (site.content / "stories" / "added-late.md").write_text(
            "---\ntitle: Added late\ndate: 2020-01-02\nsummary: New.\ntags: [jobs]\n---\n\nHi.\n"
        )
        site.build()
    assert (public / "en/stories/added-late/index.html").is_file()
    modes = {path: path.stat().st_mode & 0o777 for path in public.rglob("*")}
    # All but the build's own marker, which is not served.
    files = {path for path in modes if path.is_file() and path.name != MARKER}
    folders = {public, *(path for path in modes if path.is_dir())}
    assert len(files) > result.pages >= pagework.PARALLEL_FROM
    assert {modes[path] for path in files} == {0o644}
    assert {path.stat().st_mode & 0o777 for path in folders} == {0o755}


@pytest.mark.parametrize("other", ["drafts", "future", "drafts and future", "another cache"])
def test_a_build_after_another_into_its_folder_leaves_only_its_own_files(
    site: Site, other: str
) -> None:
    """A build with other settings, or with another cache, writes pages this build's state
    does not name (a draft's, a story of the future): the next build of this one removes
    them, though none of its own files changed, and the no-change check lets it."""
    site.build()
    expected = snapshot(site.base / "public")
    if other == "another cache":
        added = site.content / "stories" / "elsewhere.md"
        added.write_text(story(500))
        site.build(cache="other-cache")
        added.unlink()
        gone = "en/stories/elsewhere/index.html"
    else:
        build_site(site.options(drafts="drafts" in other, future="future" in other))
        gone = "en/stories/draft/index.html" if "drafts" in other else "en/stories/future/"
    assert snapshot(site.base / "public") != expected
    again = site.build()
    assert snapshot(site.base / "public") == expected == site.reference()
    assert again.removed > 0
    assert not (site.base / "public" / gone).exists()
    assert site.build().written == 0


def test_a_cold_build_over_an_existing_output_writes_nothing_new(site: Site) -> None:
    site.build(cache="first-cache")
    again = site.build(cache="second-cache")
    assert again.written == 0
    assert snapshot(site.base / "public") == site.reference()


def test_editing_a_story_rewrites_its_page_and_nothing_it_does_not_show_on(site: Site) -> None:
    site.build()
    rebuilt = site.rebuild_after_edit(
        "content/stories/extra-040.md", "Someone *asked*", "Someone *finally asked*"
    )
    assert rebuilt.changed == {"en/stories/extra-040/index.html"}
    assert rebuilt.result.written == 1


@pytest.mark.parametrize("edit", ["text", "date"])
def test_a_build_tells_when_its_files_are_in_place_before_it_saves_its_state(
    site: Site, edit: str
) -> None:
    builder = Builder(site.options(), keep_model=True)
    builder.build()
    story = site.content / "stories" / "extra-040.md"
    page = site.base / "public" / "en" / "stories" / "extra-040" / "index.html"
    saved = site.base / "cache" / "builds"

    def state_files() -> dict[str, int]:
        # The state; not the manifest of the last build with nothing to do, gone once any has.
        found = (path for path in saved.iterdir() if path.suffix != ".noop")
        return {path.name: path.stat().st_mtime_ns for path in found}

    told: list[tuple[bool, bool, dict[str, int]]] = []

    def committed(changed: bool) -> None:
        told.append((changed, "2011-05-14" in page.read_text("utf-8"), state_files()))

    before = state_files()
    if edit == "text":
        site.edit("content/stories/extra-040.md", "Someone *asked*", "Someone *asked* 2011-05-14")
    else:
        site.edit("content/stories/extra-040.md", "date: 2018-05-14", "date: 2011-05-14")
    builder.build({story}, committed=committed)
    assert told == [(True, True, before)]
    assert state_files() != before
    assert snapshot(site.base / "public") == site.reference()
    # Read again with nothing new to show: told that no file changed.
    story.touch()
    builder.build({story}, committed=committed)
    assert [changed for changed, _, _ in told] == [True, False]
    # Nothing to look at again: not told at all.
    builder.build(set(), committed=committed)
    assert len(told) == 2


def test_plain_paragraphs_are_built_without_a_cache_entry_and_edited_like_any_text(
    site: Site,
) -> None:
    plain = site.content / "stories" / "plain.md"
    plain.write_text(
        "---\ntitle: Plain\ndate: 2019-03-04\nsummary: Words only.\ntags: [jobs]\n---\n\n"
        "Someone asked, and was answered.\n\nThat was all.\n"
    )
    site.build()
    cached = _cached_keys(site.base / "cache")
    assert markdown_key(body(plain.read_text(), plain)) not in cached
    extra = site.content / "stories" / "extra-040.md"
    assert markdown_key(body(extra.read_text(), extra)) in cached
    page = (site.base / "public/en/stories/plain/index.html").read_text()
    assert "<p>Someone asked, and was answered.</p>\n<p>That was all.</p>" in page
    rebuilt = site.rebuild_after_edit(
        "content/stories/plain.md", "That was all.", "That was all, for now."
    )
    # The newest story: the feed shows its text too.
    assert rebuilt.changed == {"en/stories/plain/index.html", "en/feed.xml"}


def _cached_keys(cache: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(cache / "markdown.sqlite")) as db:
        return {key for (key,) in db.execute("SELECT key FROM html")}


def test_text_edits_in_turn_build_what_a_cold_build_does(site: Site) -> None:
    # Each build is a new builder, as from the command line; the feeds show both stories.
    site.build()
    site.edit("content/stories/one.en.md", "Text with", "Text, edited, with")
    site.build()
    site.edit("content/stories/two.md", "A note.", "A shorter note.")
    site.build()
    assert snapshot(site.base / "public") == site.reference()
    site.edit("content/stories/one.en.md", "edited", "changed")
    site.edit("content/stories/extra-042.md", "summary:", "summary: Told anew.")
    site.build()
    assert snapshot(site.base / "public") == site.reference()
    assert site.build().written == 0


def test_a_new_summary_reaches_the_lists_and_the_feed(site: Site) -> None:
    site.build()
    changed = site.rebuild_after_edit(
        "content/stories/one.en.md", "summary:", "summary: Newly summarised."
    ).changed
    assert {"en/stories/one/index.html", "en/feed.xml", "en/index.html"} <= changed
    assert "en/stories/extra-040/index.html" not in changed


def test_a_template_change_rerenders_the_pages_that_use_it(site: Site) -> None:
    site.build()
    rebuilt = site.rebuild_after_edit(
        "templates/story.html", '<article class="story">', '<article class="story tale">'
    )
    changed = rebuilt.changed
    story_pages = {
        name
        for name in rebuilt.output
        if name.count("/") == 3 and name.startswith(("en/stories/", "pl/historie/"))
    }
    assert changed == story_pages
    assert "en/stories/extra-001/index.html" in changed


def test_a_settings_change_rerenders_every_page(site: Site) -> None:
    site.build()
    site.edit("content/site.yaml", "title: Golden Site", "title: Silver Site")
    result = site.build()
    assert snapshot(site.base / "public") == site.reference()
    assert result.written >= result.pages


def test_a_deleted_story_leaves_every_page(site: Site) -> None:
    site.build()
    (site.content / "stories" / "extra-007.md").unlink()
    result = site.build()
    after = snapshot(site.base / "public")
    assert after == site.reference()
    assert "en/stories/extra-007/index.html" not in after
    assert result.removed >= 1


def test_an_added_translation_updates_the_other_language_switcher(site: Site) -> None:
    site.build()
    before = snapshot(site.base / "public")
    translation = (site.content / "stories" / "two.md").read_text("utf-8")
    (site.content / "stories" / "two.pl.md").write_text(translation.replace("tags: [jobs]", ""))
    site.build()
    after = snapshot(site.base / "public")
    assert after == site.reference()
    assert "pl/historie/two/index.html" in after
    assert before["en/stories/two/index.html"] != after["en/stories/two/index.html"]
    assert b'hreflang="pl"' in after["en/stories/two/index.html"]


def test_a_broken_link_stops_a_rebuild_before_anything_changes(site: Site) -> None:
    site.build()
    before = snapshot(site.base / "public")
    site.edit("content/stories/extra-003.md", "(/en/stories/one/)", "(/en/stories/none/)")
    with pytest.raises(ContentError) as caught:
        site.build()
    message = caught.value.format(site.base)
    assert "content/stories/extra-003.md:9: the link '/en/stories/none/' leads nowhere" in message
    assert snapshot(site.base / "public") == before
    assert not list((site.base / "cache").glob("staging-*"))


def test_a_long_lived_builder_rebuilds_from_memory(site: Site) -> None:
    builder = Builder(site.options())
    builder.build()
    site.edit("content/stories/three.md", "The third story", "The 3rd story")
    (site.base / "cache" / "builds").rename(site.base / "cache" / "gone")
    result = builder.build()
    assert snapshot(site.base / "public") == site.reference()
    assert 0 < result.written < result.pages


def test_a_long_lived_builder_rerenders_only_a_page_whose_text_changed(site: Site) -> None:
    site.build()
    builder = Builder(site.options(), keep_model=True)
    assert builder.build().written == 0
    assert builder.last is not None
    site.edit("content/stories/extra-011.md", "Someone *asked*", "Someone *asked twice*")
    text_only = builder.build()
    assert (text_only.written, text_only.removed) == (1, 0)
    assert snapshot(site.base / "public") == site.reference()
    site.edit("content/stories/one.en.md", "Text with", "Words with")
    site.edit("content/stories/extra-011.md", "(/en/stories/one/)", "(/en/stories/gone/)")
    before = snapshot(site.base / "public")
    with pytest.raises(ContentError):
        builder.build()
    assert snapshot(site.base / "public") == before
    site.edit("content/stories/extra-011.md", "(/en/stories/gone/)", "(/en/stories/two/)")
    builder.build()
    assert snapshot(site.base / "public") == site.reference()


def test_a_builder_told_what_changed_looks_only_at_those_files(site: Site) -> None:
    builder = Builder(site.options(), keep_model=True)
    builder.build()
    edited = site.content / "stories" / "extra-020.md"
    site.edit("content/stories/extra-020.md", "Someone *asked*", "Someone *quietly asked*")
    assert builder.build({edited.resolve()}).written == 1
    assert snapshot(site.base / "public") == site.reference()
    edited.unlink()
    added = site.content / "stories" / "extra-999.md"
    added.write_text(story(999))
    builder.build({edited, added})
    assert snapshot(site.base / "public") == site.reference()
    assert (site.base / "public" / "en/stories/extra-999/index.html").is_file()


@pytest.mark.parametrize("jobs", [1, 2])
def test_folders_of_the_content_reached_through_links_are_built_and_watched(
    site: Site, jobs: int
) -> None:
    for name in ("stories", "i18n"):
        (site.content / name).rename(site.base / f"real-{name}")
        (site.content / name).symlink_to(site.base / f"real-{name}")
    site.build(jobs=jobs)
    assert snapshot(site.base / "public") == site.reference()
    assert (site.base / "public" / "en/stories/extra-011/index.html").is_file()
    rebuilt = site.rebuild_after_edit(
        "real-stories/extra-011.md", "Someone *asked*", "Someone *asked again*"
    )
    assert "en/stories/extra-011/index.html" in rebuilt.changed
    assert site.build().written == 0
    site.rebuild_after_edit("real-i18n/en.yaml", "Read the story", "Read it all")
    # Told of a change where the link leads, as a watcher may name it.
    builder = Builder(site.options(), keep_model=True)
    builder.build()
    edited = site.base / "real-stories" / "extra-020.md"
    rebuilt = site.rebuild_after_edit(
        "real-stories/extra-020.md",
        "Someone *asked*",
        "Someone *asked once more*",
        lambda: builder.build({edited}),
    )
    assert rebuilt.result.written >= 1


@pytest.mark.parametrize("told", [True, False])
def test_a_change_to_the_form_contract_rewrites_the_ask_page(site: Site, told: bool) -> None:
    builder = Builder(site.options(), keep_model=True)
    builder.build()
    contract = {(site.base / "openapi.yaml").resolve()} if told else None
    rebuilt = site.rebuild_after_edit(
        "openapi.yaml", "maxLength: 5000", "maxLength: 4000", lambda: builder.build(contract)
    )
    assert rebuilt.changed == {"en/ask/index.html"}
    assert b'maxlength="4000"' in rebuilt.output["en/ask/index.html"]


def test_a_first_build_that_fails_leaves_no_output_and_no_staging(site: Site) -> None:
    site.edit("content/stories/extra-003.md", "(/en/stories/one/)", "(/en/stories/none/)")
    with pytest.raises(ContentError):
        site.build(jobs=2)
    assert not (site.base / "public").exists()
    assert not list((site.base / "cache").glob("staging-*"))


def test_folders_that_cannot_be_made_stop_the_build_and_its_converters(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped: list[bool] = []
    monkeypatch.setattr(Preconverter, "stop", lambda self: stopped.append(True))

    def refuse(self: Outputs, urls: object) -> None:
        raise OSError(36, "File name too long")

    monkeypatch.setattr(Outputs, "make_folders", refuse)
    with pytest.raises(OSError, match="too long"):
        site.build(jobs=2)
    assert stopped == [True]
    assert not (site.base / "public").exists()
    assert not list((site.base / "cache").glob("staging-*"))


_MAKE_FOLDERS_IN = outfolder.make_folders_in


def _folders_noting_the_process(base: str, folders: list[str], chmod: bool = True) -> None:
    Path(base).parent.parent.joinpath("folders-made-by").write_text(str(os.getpid()))
    _MAKE_FOLDERS_IN(base, folders, chmod)


def _folders_refused(base: str, folders: list[str], chmod: bool = True) -> None:
    raise OSError(36, "File name too long")


def test_a_waiting_worker_makes_the_folders_of_a_new_output(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outfolder, "make_folders_in", _folders_noting_the_process)
    site.build(jobs=2)
    made_by = int((site.base / "cache" / "folders-made-by").read_text())
    assert made_by != os.getpid()
    assert snapshot(site.base / "public") == site.reference()


def _form_noting_the_process(contract: Path) -> Form:
    contract.parent.joinpath("form-read-by").write_text(str(os.getpid()))
    return read_form(contract)


def _compile_noting_the_process(
    templates: Path, compiled: jinja2.BytecodeCache, part: int, parts: int
) -> None:
    noted = templates.parent / f"templates-compiled-by-{part}-of-{parts}"
    noted.write_text(str(os.getpid()))
    compile_ahead(templates, compiled, part, parts)


def test_waiting_workers_read_the_form_and_compile_the_templates(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builder, "read_form", _form_noting_the_process)
    monkeypatch.setattr(builder, "compile_ahead", _compile_noting_the_process)
    site.build(jobs=2)
    assert int((site.base / "form-read-by").read_text()) != os.getpid()
    # A share on each waiting worker.
    noted = sorted(site.base.glob("templates-compiled-by-*"))
    assert [path.name for path in noted] == [f"templates-compiled-by-{n}-of-2" for n in (0, 1)]
    assert all(int(path.read_text()) != os.getpid() for path in noted)
    # Every template of the site, whether its pages use it or not; none of the e-mails'.
    compiled = site.base / "cache" / "templates" / code_version()
    names = [p for p in site.templates.rglob("*.html") if p.parent.name not in {"email", "links"}]
    assert len(list(compiled.iterdir())) == len(names)
    assert snapshot(site.base / "public") == site.reference()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_contract_that_cannot_be_read_stops_the_build(site: Site, jobs: int) -> None:
    (site.base / "openapi.yaml").write_text("openapi: 3.1.0\ninfo: {}\npaths: a: b\n")
    with pytest.raises(SiteError, match=r"openapi\.yaml:3: the form's contract is not YAML"):
        site.build(jobs=jobs)
    assert not parked_workers()
    assert not (site.base / "public").exists()
    assert not list((site.base / "cache").glob("staging-*"))


@pytest.mark.parametrize("where", ["in the worker", "after it"])
def test_a_build_failing_while_a_worker_makes_folders_leaves_nothing(
    site: Site, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "in the worker":
        monkeypatch.setattr(outfolder, "make_folders_in", _folders_refused)
        expected: type[BaseException] = OSError
    else:

        def broken(*args: object) -> None:
            raise ContentError([])

        monkeypatch.setattr(builder, "PageKeys", broken)
        expected = ContentError
    with pytest.raises(expected):
        site.build(jobs=2)
    assert not parked_workers()
    assert not (site.base / "public").exists()
    assert not list((site.base / "cache").glob("staging-*"))


_RENDER_PAGE = pagework.render_page
_TEST_PROCESS = os.getpid()


def _render_or_die(work: pagework.PageWork, url: str) -> pagework.Rendered:
    if os.getpid() != _TEST_PROCESS:
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return _RENDER_PAGE(work, url)


def test_a_render_worker_killed_mid_build_fails_it_rather_than_waiting(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagework, "render_page", _render_or_die)
    with within(60), pytest.raises(WorkerLost, match="killed by signal 9"):
        site.build(jobs=2)
    assert not parked_workers()
    assert not (site.base / "public").exists()
    assert not list((site.base / "cache").glob("staging-*"))


_NOTES: list[Path] = []


def _render_noting_the_process(work: pagework.PageWork, url: str) -> pagework.Rendered:
    result = _RENDER_PAGE(work, url)
    with _NOTES[0].open("a") as notes:
        notes.write(f"{os.getpid()} {url}\n")
    return result


def test_workers_forked_after_the_model_render_every_page_while_the_kit_is_saved(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers that read documents and compiled templates while the model was made are
    ended; those forked from the model render the pages meanwhile this process saves the
    kit, which waits here until every page is rendered."""
    notes = site.base / "rendered-by"
    _NOTES[:] = [notes]
    early: list[int] = []
    start_workers = parallel.start_workers

    def noting_start(count: int) -> object:
        pool = start_workers(count)
        early.extend(process.pid for process in pool._pool)  # type: ignore[attr-defined]
        return pool

    def stage_kit_once_rendered(path: Path, state: BuildState, *, seen: PageSeen) -> None:
        kit = state.kit
        assert kit is not None
        with within(60):
            while not notes.exists() or len(notes.read_text().splitlines()) < len(kit.pages):
                time.sleep(0.05)
        stage_kit(path, state, seen=seen)

    monkeypatch.setattr(preconvert, "start_workers", noting_start)
    monkeypatch.setattr(builder, "stage_kit", stage_kit_once_rendered)
    monkeypatch.setattr(pagework, "render_page", _render_noting_the_process)
    result = site.build(jobs=2)
    assert snapshot(site.base / "public") == site.reference()
    rendered = [line.split() for line in notes.read_text().splitlines()]
    assert len(rendered) == len({url for _, url in rendered}) == result.pages
    workers = {int(pid) for pid, _ in rendered}
    assert len(early) == 2
    assert 1 <= len(workers) <= 2
    assert not workers & {os.getpid(), *early}
    assert not parked_workers()
    for pid in early:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_the_e_mails_templates_are_parsed_when_they_change(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = count_parses(monkeypatch)
    mails = str(site.templates / "email")

    def mails_parsed() -> list[str]:
        return [filename for _, filename in parsed if filename.startswith(mails)]

    site.build()
    assert len(mails_parsed()) > 10
    parsed.clear()
    site.edit("templates/base.html", "<main", "<main data-edited")
    site.build()
    assert mails_parsed() == []
    site.edit("templates/email/follow_up.html", "{%", "{% if %}{%")
    with pytest.raises(ContentError) as raised:
        site.build()
    [problem] = raised.value.problems
    assert problem.path == site.templates / "email" / "follow_up.html"
    assert problem.message.startswith("Expected an expression")
    assert mails_parsed() == [str(problem.path)]


def test_a_check_reports_the_e_mails_problems_with_those_of_the_pages(site: Site) -> None:
    site.edit("templates/email/follow_up.html", "{%", "{% if %}{%")
    site.edit("templates/story.html", "{% block main %}", "{% block main %}{{ missing }}")
    with pytest.raises(ContentError) as raised:
        Builder(site.options()).check()
    found = {problem.path for problem in raised.value.problems}
    assert found == {site.templates / "email" / "follow_up.html", site.templates / "story.html"}


def test_a_change_to_a_template_included_as_svg_rerenders_the_pages_that_include_it(
    site: Site,
) -> None:
    (site.templates / "partials" / "mark.svg").write_text('<svg class="first"></svg>\n')
    site.edit(
        "templates/story.html",
        "{% block main %}",
        '{% block main %}{% include "./partials/mark.svg" %}',
    )
    site.build()
    (site.templates / "partials" / "mark.svg").write_text('<svg class="second"></svg>\n')
    site.build()
    built = snapshot(site.base / "public")
    assert built == site.reference()
    stories = [data for name, data in built.items() if "/stories/extra-" in name]
    assert stories
    assert all(b'class="second"' in data for data in stories)


def test_a_parallel_cold_build_without_images_loads_no_yaml_parser_nor_thread_pool(
    tmp_path: Path,
) -> None:
    # The form is read by a waiting worker, the built-in strings without PyYAML, and no
    # thread pool is started for images there are none of.
    stories = tmp_path / "content" / "stories"
    stories.mkdir(parents=True)
    for number in range(EXTRA_STORIES):
        text = story(number).replace("(/en/stories/one/)", "(/en/stories/)")
        (stories / f"story-{number:03d}.md").write_text(text)
    code = (
        "from pathlib import Path\n"
        "from sitegen.incremental.builder import build_site\n"
        "from sitegen.options import BuildOptions\n"
        f"base = Path({str(tmp_path)!r})\n"
        "build_site(BuildOptions(content=base / 'content', output=base / 'public',"
        " cache=base / 'cache', jobs=2))\n"
    )
    assert loaded_after(code, ["yaml", "concurrent.futures"]) == []
    assert (tmp_path / "public" / "en" / "stories" / "story-007" / "index.html").is_file()


def test_a_parallel_cold_build_parses_no_template_its_workers_compiled(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workers compiling the templates ahead say what each uses: this process, which
    # would parse them for their digests, parses none of them itself.
    parsed = count_parses(monkeypatch)
    site.build(jobs=2)
    assert parsed == []
    assert snapshot(site.base / "public") == site.reference()
    # One that does not parse is still a content error at its line.
    card = site.templates / "partials" / "card.html"
    line = next(n for n, text in enumerate(card.read_text().splitlines(), 1) if "{%" in text)
    site.edit("templates/partials/card.html", "{%", "{% if %}{%")
    with pytest.raises(ContentError) as caught:
        site.build("other", cache="other-cache", jobs=2)
    assert [(p.path, p.line) for p in caught.value.problems] == [(card, line)]
    assert not (site.base / "other").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_text_nested_too_deeply_to_convert_is_a_content_error(site: Site, jobs: int) -> None:
    deep = "".join("    " * level + "- item\n" for level in range(400))
    text = "---\ntitle: Deep\ndate: 2020-01-01\nsummary: A list in a list.\n---\n" + deep
    (site.content / "stories" / "deep.md").write_text(text)
    with pytest.raises(ContentError) as caught:
        site.build(jobs=jobs)
    [problem] = caught.value.problems
    assert problem.path == site.content / "stories" / "deep.md"
    assert problem.line == 6
    assert "too deeply" in problem.message
    assert not (site.base / "public").exists()
    assert not parked_workers()


def test_the_cycle_collector_is_off_while_a_build_or_a_check_runs(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build makes next to no cyclic garbage, and passes over the model it holds cost 0.1 s
    at 10,000 stories: the collector is off while it runs, pages rendered and state saved,
    and on again after it, failed or not, so that a long-lived builder's last model can be
    collected. A check likewise."""
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    seen: list[tuple[str, bool]] = []
    render_page = pagework.render_page

    def rendering(work: pagework.PageWork, url: str) -> pagework.Rendered:
        seen.append(("render", gc.isenabled()))
        return render_page(work, url)

    def saving(*args: Any, **kwargs: Any) -> None:
        seen.append(("save", gc.isenabled()))
        save_state(*args, **kwargs)

    monkeypatch.setattr(pagework, "render_page", rendering)
    monkeypatch.setattr(builder, "save_state", saving)
    long_lived = Builder(site.options(), keep_model=True)
    long_lived.build()
    site.edit("content/stories/extra-010.md", "title: ", "title: Retold ")
    long_lived.build()
    assert {kind for kind, _ in seen} == {"render", "save"}
    assert not any(enabled for _, enabled in seen)
    assert gc.isenabled()
    seen.clear()
    check_site(site.options())
    assert seen
    assert not any(enabled for _, enabled in seen)
    assert gc.isenabled()
    site.edit("content/stories/extra-011.md", "title: ", "title: [")
    with pytest.raises(ContentError):
        long_lived.build()
    assert gc.isenabled()
    # What was left out of its passes for good (what the command line loaded) stays out.
    assert gc.get_freeze_count() == frozen
