"""The manifest check that ends a build with nothing to do before the generator is imported:
every change a build would act on gets past it."""

from __future__ import annotations

import gc
import mmap
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from functions.help_requests.contract import CONTRACT_PATH
from sitegen.content.frontmatter import body
from sitegen.content.load import read_text
from sitegen.content.scaffold import FOLDERS
from sitegen.errors import ContentError
from sitegen.incremental import builder, noop
from sitegen.incremental.builder import Builder, build_site
from sitegen.incremental.fingerprint import code_version
from sitegen.incremental.outfolder import check_links
from sitegen.markdown.cache import MarkdownCache
from sitegen.markdown.texts import markdown_key
from sitegen.options import CONTRACT_PATH as DEFAULT_CONTRACT
from sitegen.options import TEMPLATES
from tests.site.incremental.test_builder import ROOT, TODAY, Site, site, snapshot

__all__ = ["site"]


def key(site: Site, *, drafts: bool = False, day: str = TODAY.isoformat()) -> noop.Key:
    """The key a build of `site` with these settings is recorded under."""
    options = site.options()
    folders = (options.content, options.templates, options.contract, options.output)
    return noop.build_key(*folders, (drafts, False, day))


def unchanged(site: Site) -> tuple[int, int] | None:
    return noop.unchanged(site.base / "cache", key(site))


def test_a_build_leaves_a_manifest_that_finds_nothing_changed(site: Site) -> None:
    result = site.build()
    assert unchanged(site) == (result.pages, result.files)
    again = site.build()
    assert unchanged(site) == (again.pages, again.files) == (result.pages, result.files)


def append(path: Path) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write("\n")


CHANGES: dict[str, Callable[[Site], object]] = {
    "story edited": lambda s: append(s.content / "stories" / "two.md"),
    "story added": lambda s: (s.content / "stories" / "new.md").write_text("---\n---\n"),
    "story removed": lambda s: (s.content / "stories" / "two.md").unlink(),
    "image added": lambda s: (s.content / "images" / "new.jpg").write_bytes(b"x"),
    "settings edited": lambda s: append(s.content / "site.yaml"),
    "strings edited": lambda s: append(next((s.content / "i18n").iterdir())),
    "template edited": lambda s: append(s.templates / "story.html"),
    "template added": lambda s: (s.templates / "extra.html").write_text("x"),
    "static file edited": lambda s: append(next((s.templates / "static").rglob("*.css"))),
    "form contract edited": lambda s: append(s.base / "openapi.yaml"),
    "page deleted": lambda s: (s.base / "public" / "en" / "index.html").unlink(),
    "page edited by hand": lambda s: append(s.base / "public" / "en" / "index.html"),
    "sitemap edited by hand": lambda s: append(s.base / "public" / "sitemap.xml"),
    "output marker deleted": lambda s: (s.base / "public" / noop.MARKER).unlink(),
    "built with drafts since": lambda s: build_site(s.options(drafts=True)),
    "built with another cache since": lambda s: s.build(cache="other-cache"),
    "saved state deleted": lambda s: next((s.base / "cache" / "builds").glob("*.files")).unlink(),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_a_build_acts_on_gets_past_the_check(site: Site, change: str) -> None:
    site.build()
    CHANGES[change](site)
    assert unchanged(site) is None


def test_other_settings_are_other_builds(site: Site) -> None:
    site.build()
    cache = site.base / "cache"
    assert noop.unchanged(cache, key(site)) is not None
    assert noop.unchanged(cache, key(site, drafts=True)) is None
    assert noop.unchanged(cache, key(site, day="2024-06-02")) is None
    moved = noop.build_key(site.content, site.templates, CONTRACT_PATH, site.base / "public", ())
    assert noop.unchanged(cache, moved) is None


def test_other_code_is_another_build(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.build()
    version, executable, sources, packages = noop.code_snapshot()
    assert isinstance(sources, tuple)
    monkeypatch.setattr(noop, "_snapshot", (version, executable, sources[1:], packages))
    assert unchanged(site) is None


def test_the_code_snapshot_lists_every_file_of_the_generator() -> None:
    version, executable, sources, packages = noop.code_snapshot()
    sitegen = ROOT / "sitegen"
    files = {
        str(path)
        for path in sitegen.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {name for name, _ in sources} == files  # type: ignore[attr-defined]
    assert (version, executable) == (sys.version, sys.executable)
    assert dict(packages)["jinja2"] == metadata.version("jinja2")  # type: ignore[call-overload]


def test_a_failed_build_forgets_the_manifest(site: Site) -> None:
    site.build()
    site.edit("content/stories/extra-003.md", "(/en/stories/one/)", "(/en/stories/none/)")
    with pytest.raises(ContentError):
        site.build()
    assert not list((site.base / "cache" / "builds").glob("*.noop"))
    site.edit("content/stories/extra-003.md", "(/en/stories/none/)", "(/en/stories/one/)")
    result = site.build()
    assert unchanged(site) == (result.pages, result.files)


@pytest.mark.parametrize("by_descriptor", [True, False])
def test_the_scan_sees_what_os_walk_sees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_descriptor: bool
) -> None:
    monkeypatch.setattr(noop, "_BY_DESCRIPTOR", by_descriptor)
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c.md").write_text("c")
    (tmp_path / "a" / "d.md").write_text("d")
    (tmp_path / "a" / "b" / "link").symlink_to(tmp_path / "a" / "b")
    (tmp_path / "a" / "file-link").symlink_to(tmp_path / "a" / "d.md")
    (tmp_path / "a" / "dangling").symlink_to(tmp_path / "gone")
    walked = {
        os.path.join(root, name): os.stat(os.path.join(root, name)).st_size
        for root, _, names in os.walk(tmp_path / "a")
        for name in names
        if os.path.exists(os.path.join(root, name))
    }
    scanned = noop.scan_inputs(tmp_path / "a", tmp_path / "a" / "d.md", tmp_path / "missing")
    assert {name: size for name, (_, size) in scanned.items()} == walked
    assert len(walked) == 3


@pytest.mark.parametrize("by_descriptor", [True, False])
def test_links_to_folders_at_the_top_are_followed_once_and_no_deeper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_descriptor: bool
) -> None:
    # As the content is read: `content/stories` may be a link, a link in it is not entered.
    monkeypatch.setattr(noop, "_BY_DESCRIPTOR", by_descriptor)
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "real" / "one.md").write_text("one")
    (tmp_path / "real" / "sub" / "two.md").write_text("two")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "content")
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "stories").symlink_to(tmp_path / "real")
    (tmp_path / "content" / "back").symlink_to(tmp_path / "content")
    (tmp_path / "content" / "site.yaml").write_text("x")
    scanned = noop.scan_inputs(tmp_path / "content")
    top = str(tmp_path / "content")
    assert sorted(scanned) == sorted(
        [
            f"{top}/site.yaml",
            f"{top}/stories/one.md",
            f"{top}/stories/sub/two.md",
            # The content folder again, through a link in it: its own links are not followed.
            f"{top}/back/site.yaml",
        ]
    )


@pytest.mark.parametrize("by_descriptor", [True, False])
def test_a_tree_deeper_than_pythons_recursion_limit_is_scanned_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_descriptor: bool
) -> None:
    monkeypatch.setattr(noop, "_BY_DESCRIPTOR", by_descriptor)
    folder = tmp_path.joinpath(*["d"] * 300)
    folder.mkdir(parents=True)
    (folder / "bottom.md").write_text("deep")
    # Lower than the depth, rather than a tree deeper than the usual limit, which the clean-up
    # of temporary folders (shutil.rmtree, itself recursive) could not remove.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        scanned = noop.scan_inputs(tmp_path)
    finally:
        sys.setrecursionlimit(limit)
    assert list(scanned) == [str(folder / "bottom.md")]


def test_both_ways_of_scanning_give_the_same_files_in_the_same_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(40):
        folder = tmp_path / "a" / f"f{number % 7}" / ("deep" if number % 3 else "")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{number}.md").write_text("x" * number)
    (tmp_path / "a" / "f1" / "up").symlink_to(tmp_path / "a")
    (tmp_path / "a" / "f2" / "same.md").symlink_to(tmp_path / "a" / "f1" / "deep" / "1.md")
    found = {}
    for by_descriptor in (True, False):
        monkeypatch.setattr(noop, "_BY_DESCRIPTOR", by_descriptor)
        for top in (f"{tmp_path}/a", f"{tmp_path}/a/", f"{tmp_path}//a/./f1"):
            found[by_descriptor, top] = list(noop.scan_inputs(top).items())
    for top in (f"{tmp_path}/a", f"{tmp_path}/a/", f"{tmp_path}//a/./f1"):
        assert found[True, top] == found[False, top]
    assert len(found[True, f"{tmp_path}/a"]) == 41


@pytest.mark.skipif(sys.platform != "linux", reason="the descriptor scan is Linux's and macOS's")
def test_the_scan_goes_by_descriptor_where_the_platform_allows() -> None:
    assert noop._BY_DESCRIPTOR


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_a_tree_deeper_than_the_open_files_allowed_is_scanned_whole(tmp_path: Path) -> None:
    resource = pytest.importorskip("resource")
    folder = tmp_path / "top"
    for depth in range(120):
        folder = folder / f"d{depth}"
    folder.mkdir(parents=True)
    (folder / "bottom.md").write_text("deep")
    (tmp_path / "top" / "d0" / "side.md").write_text("side")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    highest = max(int(name) for name in os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 40, hard))
    try:
        scanned = noop.scan_inputs(tmp_path / "top")
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert sorted(scanned) == sorted([str(folder / "bottom.md"), str(tmp_path / "top/d0/side.md")])


def test_the_command_line_knows_the_generator_defaults() -> None:
    sys.path.insert(0, str(ROOT))
    try:
        import build
    finally:
        sys.path.remove(str(ROOT))
    assert Path(noop.CONTRACT) == CONTRACT_PATH == DEFAULT_CONTRACT
    assert build.TEMPLATES == TEMPLATES
    assert tuple(FOLDERS) == build.KINDS


def test_the_command_line_stops_early_and_still_sees_an_edit(site: Site) -> None:
    command = [sys.executable, str(ROOT / "build.py"), "build", "--jobs", "1"]
    command += ["--content", str(site.content), "--templates", str(site.templates)]
    command += ["--output", str(site.base / "cli"), "--cache", str(site.base / "cli-cache")]
    lines, imported = [], []
    for step in range(3):
        if step == 2:
            site.edit("content/stories/extra-040.md", "Someone *asked*", "Someone *just asked*")
        timed = [command[0], "-X", "importtime", *command[1:]]
        run = subprocess.run(timed, capture_output=True, text=True, check=False, cwd=site.base)
        assert run.returncode == 0, run.stderr
        lines.append(run.stdout)
        imported.append({line.split("|")[-1].strip() for line in run.stderr.splitlines()})
    first, second, third = lines
    # With nothing to do, the generator itself is never imported.
    assert "sitegen.incremental.noop" in imported[1]
    assert not {"jinja2", "yaml", "sitegen.incremental.builder"} & imported[1]
    assert "sitegen.incremental.builder" in imported[2]
    files = first.split(" files")[0].split()[-1]
    assert f"{files} files (0 written, {files} unchanged, 0 removed)" in second
    assert first.split(" pages")[0] == second.split(" pages")[0]
    assert "(1 written," in third
    page = (site.base / "cli" / "en" / "stories" / "extra-040" / "index.html").read_text()
    assert "just asked" in page


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The check looks at the files in a forked process, however small the site: the ids of
    the processes forked so."""
    forked: list[int] = []
    fork = noop._fork_looking

    def recorded(*args: object) -> int | None:
        pid = fork(*args)  # type: ignore[arg-type]
        assert pid is not None
        forked.append(pid)
        return pid

    monkeypatch.setattr(noop._Looking, "FORK_ABOVE", 0)
    monkeypatch.setattr(noop, "_may_fork", lambda: True)
    monkeypatch.setattr(noop, "_fork_looking", recorded)
    return forked


@pytest.mark.parametrize("change", ["page edited by hand", "page deleted", "story edited", None])
def test_the_outputs_looked_at_by_a_forked_process_give_the_same_answer(
    site: Site, forking: list[int], change: str | None
) -> None:
    result = site.build()
    if change is not None:
        CHANGES[change](site)
    noop._answers.clear()
    expected = None if change else (result.pages, result.files)
    assert unchanged(site) == expected
    options = site.options()
    roots = (options.content, options.templates, options.contract)
    inputs, outputs = noop.seen(roots, options.output)
    assert inputs  # the inputs as the check found them
    # The outputs come back only when every one is as the manifest lists it.
    assert bool(outputs()) is (change in (None, "story edited"))
    assert len(forking) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forking[0], os.WNOHANG)  # waited for: no process is left behind


def built_and_edited(site: Site, change: str | None) -> None:
    """Built, then a story's text edited, which the saved pages rebuild, and `change` made
    (a page changed by hand); the check finds it all."""
    site.build()
    site.edit("content/stories/two.md", "\n\n", "\n\nEdited meanwhile.\n\n")
    if change is not None:
        CHANGES[change](site)
    noop._answers.clear()
    assert unchanged(site) is None


@pytest.mark.parametrize("change", ["page edited by hand", "page deleted", None])
def test_a_rebuild_after_an_edit_goes_on_while_the_outputs_are_looked_at(
    site: Site, forking: list[int], monkeypatch: pytest.MonkeyPatch, change: str | None
) -> None:
    built_and_edited(site, change)
    # Whether each rebuild from the saved pages was made while the outputs were looked at
    # (told how to find out how they are), and whether it was made or given up.
    light: list[tuple[bool, bool]] = []
    from_kit = Builder._light_edits

    def recorded(builder: Builder, *args: Any) -> object:
        told = builder._before_commit is not None
        try:
            made = from_kit(builder, *args)
        except Exception:
            light.append((told, False))
            raise
        light.append((told, made is not None))
        return made

    monkeypatch.setattr(Builder, "_light_edits", recorded)
    result = site.build()
    # The page changed by hand is put back: the rebuild from the saved pages, which took the
    # files to be as left, finds out that they are not before it puts its own in place, and
    # the build goes on as it would have.
    assert light == [(True, change is None)]
    assert snapshot(site.base / "public") == site.reference()
    assert result.written >= (2 if change else 1)
    assert len(forking) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forking[0], os.WNOHANG)  # waited for: no process is left behind


@pytest.mark.parametrize("change", ["page deleted", None])
def test_what_fails_a_rebuild_made_while_the_outputs_are_looked_at_counts_if_they_were_as_left(
    site: Site, forking: list[int], monkeypatch: pytest.MonkeyPatch, change: str | None
) -> None:
    built_and_edited(site, change)
    # The first look at the links fails, as reading a page deleted meanwhile would.
    calls: list[object] = []

    def failing_once(*args: Any, **kwargs: Any) -> None:
        calls.append(args)
        if len(calls) == 1:
            raise FileNotFoundError("public/en/index.html")
        check_links(*args, **kwargs)

    monkeypatch.setattr(builder, "check_links", failing_once)
    if change is None:
        # The files were as left: what failed is the build's failure, said as it is.
        with pytest.raises(FileNotFoundError):
            site.build()
        assert len(calls) == 1
        with pytest.raises(ChildProcessError):
            os.waitpid(forking[0], os.WNOHANG)  # waited for all the same
        return
    # They were not: the rebuild is made again knowing how they are, and puts them back.
    site.build()
    assert len(calls) == 2
    assert snapshot(site.base / "public") == site.reference()


def polled(stopped: list[bool]) -> noop.Meanwhile:
    """Work done meanwhile that asks whether to stop until the forked process has told of
    the inputs, then once more: whether it was told to stop goes into `stopped`."""

    def meanwhile(stop: Callable[[], bool]) -> None:
        looking = noop._seen["outputs"]
        assert isinstance(looking, noop._Looking)
        while not looking.heard() and not stop():
            time.sleep(0.001)
        stopped.append(stop())

    return meanwhile


STOPPED_EARLY = {
    "output marker deleted",
    "built with drafts since",
    "built with another cache since",
    "saved state deleted",
}


@pytest.mark.parametrize("change", [*CHANGES, None])
def test_a_forked_scan_of_the_inputs_finds_what_a_scan_here_finds(
    site: Site, forking: list[int], change: str | None
) -> None:
    result = site.build()
    options = site.options()
    roots = (options.content, options.templates, options.contract)
    before = noop.scan_inputs(*roots)
    if change is not None:
        CHANGES[change](site)
    noop._answers.clear()
    stopped: list[bool] = []
    counts = noop.unchanged(site.base / "cache", key(site), polled(stopped))
    assert counts == (None if change else (result.pages, result.files))
    inputs, outputs = noop.seen(roots, options.output)
    outputs()  # the other process waited for
    as_here = noop.scan_inputs(*roots)
    # Where the state's list is gone, or the output folder was written by another build
    # since (or its marker is gone), the check stops before it looks at any file.
    assert bool(forking) is (change not in STOPPED_EARLY)
    if not forking:
        assert (inputs, stopped) == ({}, [])
        return
    # The same files, in the same order, with the same sizes and times.
    assert list(inputs.items()) == list(as_here.items())
    # The work meanwhile stops only where no input changed.
    assert stopped == [as_here == before]
    assert len(forking) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forking[0], os.WNOHANG)  # waited for: no process is left behind


@pytest.mark.parametrize("which", ["first", "last"])
def test_with_the_inputs_as_listed_either_half_of_the_outputs_is_looked_at(
    site: Site, forking: list[int], which: str
) -> None:
    result = site.build()
    listed = next((site.base / "cache" / "builds").glob("*.files"))
    listing = noop.read_listing(str(listed), code_version())
    assert listing is not None
    names = list(listing[3])
    append(site.base / "public" / names[0 if which == "first" else -1])
    noop._answers.clear()
    stopped: list[bool] = []
    assert noop.unchanged(site.base / "cache", key(site), polled(stopped)) is None
    assert stopped == [True]
    site.build()
    noop._answers.clear()
    stopped.clear()
    again = noop.unchanged(site.base / "cache", key(site), polled(stopped))
    assert again == (result.pages, result.files)
    assert stopped == [True]


@pytest.mark.parametrize("which", ["first", "last", None])
def test_a_look_at_half_the_output_files_is_completed_here_though_no_input_was_asked_for(
    site: Site, forking: list[int], which: str | None
) -> None:
    result = site.build()
    assert result.files
    listed = str(next((site.base / "cache" / "builds").glob("*.files")))
    listing = noop.read_listing(listed, code_version())
    assert listing is not None
    names = list(listing[3])
    if which is not None:
        append(site.base / "public" / names[0 if which == "first" else -1])
    options = site.options()
    roots = (os.fspath(options.content), os.fspath(options.templates), options.contract)
    looking = noop._Looking(str(site.base / "public"), listed, code_version(), roots)
    looking.listing = listing
    while not looking.heard():
        time.sleep(0.001)
    # Its answer asked for, the inputs it told of never: it found them as listed, and looked
    # at the first half of the files alone, which it says; this process looks at the rest.
    assert looking.intact() is (which is None)
    assert len(forking) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forking[0], os.WNOHANG)


def test_a_look_whose_news_of_the_inputs_is_not_read_ends_all_the_same(
    site: Site, forking: list[int]
) -> None:
    site.build()
    # Files added: the other process tells of every input, more than a pipe holds unread.
    folder = site.content / "images" / "many"
    folder.mkdir()
    for number in range(3000):
        (folder / f"{number:04d}-{'x' * 60}.jpg").write_bytes(b"")
    listed = str(next((site.base / "cache" / "builds").glob("*.files")))
    options = site.options()
    roots = (os.fspath(options.content), os.fspath(options.templates), options.contract)
    looking = noop._Looking(str(site.base / "public"), listed, code_version(), roots)
    looking.listing = noop.read_listing(listed, code_version())

    def waited_too_long(*_: object) -> None:
        raise TimeoutError("still waiting for the process that looks")

    previous = signal.signal(signal.SIGALRM, waited_too_long)
    signal.alarm(30)  # a process left waiting to tell would keep this one waiting for it
    try:
        # Asked for its answer, the inputs never read: it could not tell them all, and the
        # answer is that the files may not be as listed.
        assert looking.intact() is False
    except TimeoutError:
        os.kill(forking[0], signal.SIGKILL)  # not left behind to wait for good
        os.waitpid(forking[0], 0)
        raise
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert len(forking) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forking[0], os.WNOHANG)


def test_a_forked_look_reaped_by_the_system_is_done_again_here(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(noop._Looking, "FORK_ABOVE", 0)
    monkeypatch.setattr(noop, "_may_fork", lambda: True)
    result = site.build()
    append(site.base / "public" / "en" / "index.html")
    # With SIGCHLD ignored, the system reaps children itself and waitpid finds none.
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        noop._answers.clear()
        assert unchanged(site) is None
        site.build()
        noop._answers.clear()
        assert unchanged(site) == (result.pages, result.files)
    finally:
        signal.signal(signal.SIGCHLD, previous)


# Runs build.py as a script and says, at its end, whether the process loaded Python-Markdown,
# argparse, multiprocessing and urllib.request, how many passes the cycle collector made once
# the script turned it off, and whether it ended without the interpreter's teardown.
# Only the process started says so: children forked by the build end by os._exit too.
LOADED = """
import atexit, gc, os, runpy, sys
started = os.getpid()
def collections():
    return sum(generation["collections"] for generation in gc.get_stats())
before = None
def disable(turn_off=gc.disable):
    global before
    if before is None:  # the script turns the collector off: its passes from here on
        before = collections()
    turn_off()
gc.disable = disable
def said(how):
    if os.getpid() != started:
        return
    print("markdown loaded:", "markdown" in sys.modules)
    print("argparse loaded:", "argparse" in sys.modules)
    print("multiprocessing loaded:", "multiprocessing" in sys.modules)
    print("urllib.request loaded:", "urllib.request" in sys.modules)
    print("loaded for mistakes:", sorted({"difflib", "traceback"} & set(sys.modules)))
    print("simple markdown loaded:", "sitegen.markdown.simple" in sys.modules)
    print("collector on, loading left out:", gc.isenabled(), gc.get_freeze_count() > 0)
    print("collections:", collections() - before)
    print("ended", how, flush=True)
atexit.register(said, "after the teardown")
def ended(code, end=os._exit):
    said("at once")
    end(code)
os._exit = ended
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_an_edited_text_is_converted_aside_and_the_build_loads_no_markdown(
    site: Site,
) -> None:
    command = [sys.executable, "-c", LOADED, str(ROOT / "build.py"), "build", "--jobs", "1"]
    command += ["--content", str(site.content), "--templates", str(site.templates)]
    command += ["--output", str(site.base / "cli"), "--cache", str(site.base / "cli-cache")]
    first = subprocess.run(command, capture_output=True, text=True, check=True, cwd=site.base)
    assert "markdown loaded: True" in first.stdout
    # Rendering on one core, nothing is left for the interpreter's teardown to stop.
    assert "ended at once" in first.stdout
    site.edit("content/stories/extra-040.md", "Someone *asked*", "Someone *just asked*")
    edit = subprocess.run(command, capture_output=True, text=True, check=True, cwd=site.base)
    assert "(1 written," in edit.stdout
    assert "markdown loaded: False" in edit.stdout
    # Nor what a build loads only to report mistakes, or to convert a text it has.
    assert "loaded for mistakes: []" in edit.stdout
    assert "simple markdown loaded: False" in edit.stdout
    # A plain command line is read without argparse, whatever the build then has to do.
    assert "argparse loaded: False" in edit.stdout
    assert "ended at once" in edit.stdout
    # The collector was off while the check ran, the generator loaded and the build ran, to
    # the end: never once did it look for garbage. What was loaded is left out of the passes
    # of processes forked to help.
    for run in (first, edit):
        assert "collector on, loading left out: False True" in run.stdout
        assert "collections: 0\n" in run.stdout
    page = "en/stories/extra-040/index.html"
    assert "Someone <em>just asked</em>" in (site.base / "cli" / page).read_text()
    # What the edit wrote is what a build of everything writes, today's date and all.
    fresh = [*command[:-4], "--output", str(site.base / "fresh"), "--cache", str(site.base / "c2")]
    subprocess.run(fresh, capture_output=True, check=True, cwd=site.base)
    assert (site.base / "fresh" / page).read_bytes() == (site.base / "cli" / page).read_bytes()


def converted_aside(site: Site, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Build the site, edit two stories, run the check; the texts it converted aside."""
    forked: list[list[str]] = []
    convert = noop._convert_and_exit

    def recorded(paths: list[str], cache: str) -> None:
        forked.append(paths)  # in the child: this list is the child's copy
        convert(paths, cache)

    site.build()
    monkeypatch.setattr(noop, "_convert_and_exit", recorded)
    monkeypatch.setattr(noop, "_may_fork", lambda: True)
    site.edit("content/stories/extra-040.md", "Someone *asked*", "Someone *just asked*")
    site.edit("content/stories/extra-041.md", "Someone *asked*", "Someone *asked twice*")
    noop._answers.clear()
    assert unchanged(site) is None
    return forked


def test_edited_texts_are_in_the_cache_once_the_build_has_seen_the_check(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    converted_aside(site, monkeypatch)
    # A second check before the build converts its own edit aside too.
    site.edit("content/stories/extra-042.md", "Someone *asked*", "Someone *asked again*")
    noop._answers.clear()
    assert unchanged(site) is None
    pids = list(noop._converting)
    assert len(pids) == 2
    options = site.options()
    noop.seen((options.content, options.templates, options.contract), options.output)[1]()
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # waited for: no process is left behind
    assert noop._converting == []
    cache = MarkdownCache(options.cache)
    edits = {"extra-040": "just asked", "extra-041": "asked twice", "extra-042": "asked again"}
    try:
        for name, words in edits.items():
            text = body(read_text(site.content / "stories" / f"{name}.md"), Path(name))
            assert f"<em>{words}</em>" in (cache.get(markdown_key(text)) or "")
    finally:
        cache.close()
    result = site.build()
    assert result.written >= 2
    assert snapshot(site.base / "public") == site.reference()


def test_many_edited_texts_are_left_to_the_build(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(noop, "ASIDE_AT_MOST", 1)
    converted_aside(site, monkeypatch)
    assert noop._converting == []
    site.build()
    assert snapshot(site.base / "public") == site.reference()


def test_edited_texts_of_plain_paragraphs_or_cached_html_are_left_to_their_pages(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In the child: it ends at once, converting nothing (the build converts what it needs).
    monkeypatch.setattr(noop, "_convert_and_exit", lambda paths, cache: os._exit(0))
    monkeypatch.setattr(noop, "_may_fork", lambda: True)
    prose = "Someone asked, and was answered.\n\nThat was all.\n"
    for name in ("extra-040", "extra-041"):
        story = site.content / "stories" / f"{name}.md"
        text = story.read_text()
        story.write_text(text[: text.index("## Part")] + prose)
    site.build()
    site.edit("content/stories/extra-040.md", "That was all.", "That was all, for now.")
    site.edit("content/stories/extra-041.md", "That was all.", "That was it.")
    # Its front matter alone: its Markdown's HTML is in the cache as it was.
    site.edit("content/stories/extra-042.md", "summary:", "summary: Told anew.")
    noop._answers.clear()
    assert unchanged(site) is None
    assert noop._converting == []
    site.build()
    page = (site.base / "public/en/stories/extra-041/index.html").read_text()
    assert "<p>That was it.</p>" in page
    assert snapshot(site.base / "public") == site.reference()
    # One text of more than plain paragraphs among them, new: that one needs converting.
    site.edit("content/stories/extra-040.md", "for now.", "for *now*.")
    site.edit("content/stories/extra-041.md", "That was it.", "That was all.")
    noop._answers.clear()
    assert unchanged(site) is None
    assert len(noop._converting) == 1
    site.build()  # waits for that process
    assert noop._converting == []
    assert snapshot(site.base / "public") == site.reference()


def test_of_the_edited_texts_only_those_the_cache_lacks_are_converted_aside(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "cache"
    texts = {
        "plain": b"---\ntitle: Plain\n---\n\nWords only.\n",
        "cached": b"---\ntitle: Cached\n---\n\nWords *and* more.\n",
        "new": b"---\ntitle: New\n---\n\nWords *and* less.\n",
        "not closed": b"---\ntitle: Not closed\n\nWords *and*.\n",
        "not UTF-8": b"---\n---\nWords *\xff*.\n",
    }
    for name, data in texts.items():
        (tmp_path / f"{name}.md").write_bytes(data)
    cache = MarkdownCache(folder)
    cached = body(read_text(tmp_path / "cached.md"), Path("cached.md"))
    cache.put_many([(markdown_key(cached), "<p>Words <em>and</em> more.</p>")])
    cache.close()
    edited = [str(tmp_path / f"{name}.md") for name in [*texts, "deleted"]]
    assert noop._to_convert(folder, edited) == [str(tmp_path / "new.md")]
    # Without a cache to look in, every text of more than plain paragraphs.
    (folder / "markdown.sqlite").unlink()
    (folder / "markdown.sqlite").mkdir()
    assert noop._to_convert(folder, edited) == [
        str(tmp_path / f"{name}.md") for name in ("cached", "new")
    ]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="lists open files by /proc")
def test_a_cache_that_is_not_a_database_is_left_closed(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "markdown.sqlite").write_bytes(bytes(range(256)) * 16)
    story = tmp_path / "story.md"
    story.write_text("---\ntitle: New\n---\n\nWords *and* less.\n")
    collecting = gc.isenabled()
    gc.disable()  # as the command line runs: nothing closes what is dropped in a cycle
    try:
        assert noop._to_convert(folder, [str(story)]) == [str(story)]
        opened = [os.readlink(fd) for fd in Path("/proc/self/fd").iterdir() if fd.is_symlink()]
    finally:
        if collecting:
            gc.enable()
    assert str(folder / "markdown.sqlite") not in opened


def test_texts_converted_aside_while_sigchld_is_ignored(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        converted_aside(site, monkeypatch)
        assert len(noop._converting) == 1
        site.build()  # finds no child to wait for, and goes on
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert snapshot(site.base / "public") == site.reference()


def edited_and_checked(site: Site) -> tuple[object, ...]:
    """The state's list as the check read it after a story was edited since the last build."""
    site.build()
    site.edit("content/stories/extra-040.md", "Someone *asked*", "Someone *just asked*")
    noop._answers.clear()
    assert unchanged(site) is None
    read = noop._seen["listing"]
    assert isinstance(read, tuple)
    return read


def test_the_build_after_the_check_takes_the_state_list_the_check_read(site: Site) -> None:
    read = edited_and_checked(site)
    assert isinstance(read[0], str)
    assert read[0].endswith(".files")
    result = site.build()
    assert "listing" not in noop._seen  # taken by the build's state
    assert result.written >= 1
    assert snapshot(site.base / "public") == site.reference()


def test_the_check_hands_its_findings_to_the_build_without_copying_them(site: Site) -> None:
    read = edited_and_checked(site)
    listing = read[1]
    assert isinstance(listing, tuple)
    scanned = noop._seen["inputs"]
    assert isinstance(scanned, tuple)
    options = site.options()
    inputs, outputs = noop.seen(
        (options.content, options.templates, options.contract), options.output
    )
    # The output files as the state lists them, the state's own list; the inputs as scanned.
    assert outputs() is listing[3]
    assert inputs is scanned[1]
    assert inputs != listing[2]  # the edited story


def test_a_state_list_saved_by_other_code_is_not_this_builds(site: Site) -> None:
    site.build()
    noop._answers.clear()
    assert unchanged(site) is not None
    # Another version of the generator saved the list since (sharing the cache folder).
    listed = next((site.base / "cache" / "builds").glob("*.files"))
    found = noop.loaded(listed.read_bytes())
    assert isinstance(found, tuple)
    saved = list(found)
    saved[0] = "another version"
    listed.write_bytes(noop.dumped(tuple(saved)))
    noop._answers.clear()
    assert unchanged(site) is None


def test_the_check_finds_the_version_reading_the_sources_gives(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(noop, "_version", None)
    from_sources = code_version.__wrapped__()  # not the answer kept for this process
    site.build()
    noop._answers.clear()
    assert unchanged(site) is not None
    assert noop.recorded_version() == from_sources


def test_a_manifest_of_other_code_gives_no_version(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.build()
    monkeypatch.setattr(noop, "_version", None)
    version, executable, sources, packages = noop.code_snapshot()
    assert isinstance(sources, tuple)
    monkeypatch.setattr(noop, "_snapshot", (version, executable, sources[1:], packages))
    noop._answers.clear()
    assert unchanged(site) is None
    assert noop.recorded_version() is None


@pytest.mark.parametrize("size", [0, 100, noop.MAP_FROM - 5, noop.MAP_FROM, 4 * noop.MAP_FROM])
def test_a_saved_file_loads_alike_read_or_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    # A text long enough that the file holds `size` bytes in all.
    value = ("x" * size,)
    value = ("x" * (2 * size - len(noop.dumped(value))),)
    path = tmp_path / "saved"
    mapped = []
    real_map = mmap.mmap

    def counted(*args: Any, **options: Any) -> mmap.mmap:
        mapped.append(args)
        return real_map(*args, **options)

    monkeypatch.setattr(mmap, "mmap", counted)
    path.write_bytes(noop.dumped(value) if size else b"")
    assert path.stat().st_size == size
    if size:
        assert noop.loaded_file(path) == value
    else:
        with pytest.raises(ValueError, match="damaged"):
            noop.loaded_file(path)
    assert len(mapped) == (size >= noop.MAP_FROM)


def test_a_large_saved_file_is_read_where_it_cannot_be_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "saved"
    saved = {f"file-{n}": (n, n * 7) for n in range(20_000)}
    path.write_bytes(noop.dumped(saved))

    def refused(*args: Any, **options: Any) -> mmap.mmap:
        raise OSError(19, "No such device")  # as a file system that maps no files says

    monkeypatch.setattr(mmap, "mmap", refused)
    assert noop.loaded_file(path) == saved


def _mapped(path: Path) -> bool:
    """Whether this process maps the file at `path` (Linux)."""
    return str(path) in Path("/proc/self/maps").read_text()


def test_a_large_saved_file_damaged_is_no_saved_file_and_is_let_go(tmp_path: Path) -> None:
    path = tmp_path / "saved"
    saved = {f"file-{n}": (n, n * 7) for n in range(20_000)}
    whole = noop.dumped(saved)
    assert len(whole) >= noop.MAP_FROM
    maps = Path("/proc/self/maps").exists()
    for place in (0, 3, 4, len(whole) // 2, len(whole) - 1):
        damaged = bytearray(whole)
        damaged[place] ^= 1
        path.write_bytes(damaged)
        with pytest.raises(ValueError, match="damaged"):
            noop.loaded_file(path)
        assert noop._marshalled(str(path)) is None
        assert not (maps and _mapped(path))
    path.write_bytes(whole[: len(whole) // 2])
    assert noop._marshalled(str(path)) is None
    # Sealed as written, but not in marshal's format.
    path.write_bytes(noop.sealed(b"\xff" * noop.MAP_FROM))
    with pytest.raises(ValueError, match="marshal"):
        noop.loaded_file(path)
    assert noop._marshalled(str(path)) is None
    path.write_bytes(whole)
    assert noop._marshalled(str(path)) == saved
    assert not (maps and _mapped(path))
