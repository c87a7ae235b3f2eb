"""The build command line read without argparse for the no-change check: it means what argparse
makes of it, or it leaves the command line to argparse."""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.util
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sitegen.incremental import noop, quick
from tests.site.incremental.test_builder import ROOT, Site, site

__all__ = ["site"]

PATHS = [
    "content",
    "content/",
    "./content",
    "a//b/./c/",
    "/abs/olute/",
    "//two/leading",
    "///three/leading",
    ".",
    "./",
    "/",
    "../up/./here",
    "name with space/x",
]


def build_module() -> object:
    """`build.py` imported as a module (its quick check runs only as a script)."""
    sys.path.insert(0, str(ROOT))
    try:
        import build
    finally:
        sys.path.remove(str(ROOT))
    return build


@pytest.mark.parametrize("text", PATHS)
def test_paths_read_as_pathlib_reads_them(text: str) -> None:
    assert quick.as_path(text) == str(Path(text))


ACCEPTED = [
    [],
    ["build"],
    ["--content", "a/"],
    ["build", "--content=a", "--templates", "t", "--cache", "c", "--output", "o/"],
    ["build", "--drafts", "--future", "--progress", "--jobs", "2", "--annotations=github"],
    ["--output", "x", "--output", "y"],
]
REFUSED = [
    ["check"],
    ["serve", "--content", "a"],
    ["-h"],
    ["build", "--help"],
    ["build", "--cont", "a"],
    ["build", "--content"],
    ["build", "--content", "-a"],
    ["build", "--jobs", "two"],
    ["build", "--jobs", "٣"],
    ["build", "--annotations", "always"],
    ["build", "--drafts=yes"],
    ["build", "extra"],
    ["build", "--", "--content", "a"],
]


@pytest.mark.parametrize("argv", ACCEPTED)
def test_a_plain_build_command_means_what_argparse_makes_of_it(argv: list[str]) -> None:
    build = build_module()
    options = quick.plain_options(argv)
    assert options is not None
    words = build._with_default_command(list(argv))  # type: ignore[attr-defined]
    args = build.make_parser(words[0]).parse_args(words)  # type: ignore[attr-defined]
    for name in ("content", "templates", "cache", "output"):
        given = options.get(f"--{name}")
        expected = getattr(args, name)
        if given is not None:
            assert quick.as_path(given) == str(expected)
        elif name != "templates":
            assert quick.DEFAULTS[f"--{name}"] == str(expected)
    assert ("--drafts" in options, "--future" in options) == (args.drafts, args.future)
    # The build then runs on what the plain reading makes of it, attribute for attribute.
    assert vars(build.plain_build_args(words)) == vars(args)  # type: ignore[attr-defined]


@pytest.mark.parametrize("argv", REFUSED)
def test_anything_else_is_left_to_argparse(argv: list[str]) -> None:
    assert quick.plain_options(argv) is None
    words = build_module()._with_default_command(list(argv))  # type: ignore[attr-defined]
    assert build_module().plain_build_args(words) is None  # type: ignore[attr-defined]


def test_the_check_runs_once_when_there_is_something_to_do(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, cache = site.base / "quick", site.base / "quick-cache"
    argv = ["--content", str(site.content), "--templates", str(site.templates)]
    argv += ["--output", str(output), "--cache", str(cache)]
    command = [sys.executable, str(ROOT / "build.py"), *argv]
    subprocess.run(command, check=True, capture_output=True, cwd=site.base)
    site.edit("content/stories/extra-040.md", "Someone *asked*", "Someone *just asked*")
    scans: list[tuple[noop.Folder, ...]] = []
    scan = noop.scan_inputs

    def counted(*folders: noop.Folder) -> dict[str, noop.Stat]:
        scans.append(folders)
        return scan(*folders)

    monkeypatch.setattr(noop, "scan_inputs", counted)
    monkeypatch.setattr(noop, "_answers", {})
    assert quick.quick_build(argv, str(site.templates)) is None
    settings = (False, False, noop.today())
    key = noop.build_key(site.content, site.templates, noop.CONTRACT, output, settings)
    assert noop.unchanged(cache, key) is None
    # The content was looked at once (besides the generator's own code, once per process).
    assert [folders for folders in scans if folders[0] == str(site.content)] == [
        (str(site.content), str(site.templates), noop.CONTRACT)
    ]


def test_a_build_with_nothing_to_do_loads_neither_argparse_nor_pathlib(site: Site) -> None:
    argv = ["--content", str(site.content), "--templates", str(site.templates)]
    argv += ["--output", str(site.base / "q"), "--cache", str(site.base / "q-cache")]
    command = [sys.executable, "-X", "importtime", str(ROOT / "build.py"), *argv]
    first = subprocess.run(command, check=True, capture_output=True, text=True, cwd=site.base)
    again = subprocess.run(command, check=True, capture_output=True, text=True, cwd=site.base)
    imported = {line.split("|")[-1].strip() for line in again.stderr.splitlines()}
    assert "sitegen.incremental.quick" in imported
    assert not {"argparse", "pathlib", "typing", "re"} & imported
    pages = first.stdout.split(" pages")[0]
    assert again.stdout.startswith(pages)
    assert "(0 written," in again.stdout
    assert again.stdout.rstrip().endswith(f"→ {site.base / 'q'}")


def test_what_loads_meanwhile_is_what_a_build_after_an_edit_loads(site: Site) -> None:
    argv = ["--content", str(site.content), "--templates", str(site.templates)]
    argv += ["--output", str(site.base / "q"), "--cache", str(site.base / "q-cache")]
    command = [sys.executable, "-X", "importtime", str(ROOT / "build.py"), *argv]
    subprocess.run(command, check=True, capture_output=True, text=True, cwd=site.base)
    site.edit("content/stories/extra-040.md", "Someone *asked*", "Someone *just asked*")
    edited = subprocess.run(command, check=True, capture_output=True, text=True, cwd=site.base)
    assert "(1 written," in edited.stdout
    imported = [line.split("|")[-1].strip() for line in edited.stderr.splitlines()]
    after = imported[imported.index("sitegen.incremental.quick") :]
    # Every module loaded meanwhile is one such a build loads, after the check.
    assert set(quick.GENERATOR) <= set(after)


LOADS = """
import sys
from sitegen.incremental import quick
asked = []
def stop():
    asked.append(True)
    return len(asked) > int(sys.argv[1])
quick.load_generator(stop)
print(len(asked), *(name in sys.modules for name in quick.GENERATOR))
"""


@pytest.mark.parametrize("steps", [0, 3, len(quick.GENERATOR)])
def test_the_generator_loads_module_by_module_until_told_to_stop(steps: int) -> None:
    ran = subprocess.run(
        [sys.executable, "-c", LOADS, str(steps)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    asked, *loaded = ran.stdout.split()
    # Asked before each module, and not again after the last.
    assert int(asked) == min(steps + 1, len(quick.GENERATOR))
    assert loaded[:steps] == ["True"] * steps
    if steps == 0:
        assert loaded == ["False"] * len(quick.GENERATOR)


def test_a_module_that_fails_to_load_ends_the_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quick, "GENERATOR", ("sitegen.no_such_module", "this_is_never_asked_for"))
    asked: list[bool] = []

    def stop() -> bool:
        asked.append(True)
        return False

    quick.load_generator(stop)
    assert asked == [True]
    assert "this_is_never_asked_for" not in sys.modules


class Ended(Exception):
    """os._exit, called."""


@pytest.fixture
def alone(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A process of one thread, whose forked processes have all ended and left multiprocessing
    nothing to do at exit, without coverage; its os._exit raises Ended instead of ending it."""

    def ended(code: int) -> None:
        raise Ended(code)

    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setitem(sys.modules, "multiprocessing", multiprocessing)
    monkeypatch.setattr(multiprocessing, "active_children", list)
    monkeypatch.setattr(multiprocessing.util, "_finalizer_registry", {})
    monkeypatch.delitem(sys.modules, "coverage", raising=False)
    monkeypatch.setattr(sys, "gettrace", lambda: None)
    monkeypatch.setattr(sys, "getprofile", lambda: None)
    monkeypatch.setattr(os, "_exit", ended)
    return monkeypatch


@pytest.mark.parametrize("loaded", [True, False])
def test_a_build_alone_ends_without_the_teardown(alone: pytest.MonkeyPatch, loaded: bool) -> None:
    if not loaded:
        alone.delitem(sys.modules, "multiprocessing")
    with pytest.raises(Ended) as ended:
        quick.leave(3)
    assert ended.value.args == (3,)


def test_children_that_ended_are_joined_before_the_exit_handlers_are_counted(
    alone: pytest.MonkeyPatch,
) -> None:
    registry = {(0, 1): object()}

    def joined() -> list[object]:
        registry.clear()  # joining the last child drops what was kept to clean up after it
        return []

    alone.setattr(multiprocessing.util, "_finalizer_registry", registry)
    alone.setattr(multiprocessing, "active_children", joined)
    with pytest.raises(Ended):
        quick.leave(0)


def test_a_missing_output_stream_is_not_flushed(alone: pytest.MonkeyPatch) -> None:
    alone.setattr(sys, "stderr", None)
    with pytest.raises(Ended):
        quick.leave(0)


CAUSES = ["thread", "child process", "finalizer", "no registry", "coverage", "tracer"]
CAUSES += ["profiler", "closed pipe", "closed stream"]


@pytest.mark.parametrize("what", CAUSES)
def test_anything_left_to_do_gets_the_teardown(alone: pytest.MonkeyPatch, what: str) -> None:
    if what == "thread":
        alone.setattr(threading, "active_count", lambda: 2)
    elif what == "child process":
        alone.setattr(multiprocessing, "active_children", lambda: [object()])
    elif what == "finalizer":
        alone.setattr(multiprocessing.util, "_finalizer_registry", {(0, 1): object()})
    elif what == "no registry":
        alone.delattr(multiprocessing.util, "_finalizer_registry")
    elif what == "coverage":
        alone.setitem(sys.modules, "coverage", sys)  # any module object: loaded
    elif what == "tracer":
        alone.setattr(sys, "gettrace", lambda: print)
    elif what == "profiler":
        alone.setattr(sys, "getprofile", lambda: print)
    else:

        def broken() -> None:
            raise BrokenPipeError if what == "closed pipe" else ValueError("closed file")

        alone.setattr(sys.stdout, "flush", broken)
    with pytest.raises(SystemExit) as ended:
        quick.leave(4)
    assert ended.value.code == 4


def test_a_build_called_in_process_leaves_the_collector_as_it_was() -> None:
    build = build_module()
    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    build.collect_from_here()  # type: ignore[attr-defined]
    build.leave_out_loaded()  # type: ignore[attr-defined]
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
