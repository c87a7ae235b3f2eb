"""`build.py build` with nothing to do, answered before argparse is imported.

A plain build command line (the build options only, each spelt out in full) is read here with
the standard library's basics, and the manifest check runs on it. Anything else, and any build
with something to do, goes on to argparse and the generator as before, so the command line
means exactly what argparse makes of it. Argparse and pathlib with what they import take some
25 ms to load, a sixth of a rebuild with nothing to do.

Where the check looks at the files in another process (a large site), this one loads the
generator meanwhile, module by module, until the check finds the inputs as they were: a
rebuild after an edit then finds it loaded, some 30 ms sooner at 10,000 stories."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from sitegen.incremental import noop

COMMANDS = frozenset({"build", "check", "new", "serve", "publish", "-h", "--help"})
VALUED = frozenset({"--content", "--templates", "--cache", "--output", "--jobs", "--annotations"})
FLAGS = frozenset({"--drafts", "--future", "--progress"})
ANNOTATIONS = frozenset({"auto", "github", "none"})
DEFAULTS = {"--content": "content", "--cache": ".cache", "--output": "public"}


def quick_build(argv: list[str], templates: str) -> int | None:
    """0 after printing the summary line when a plain build has nothing to do; None when the
    arguments or the files need the full command. `templates`: the default templates folder."""
    started = time.perf_counter()
    options = plain_options(argv) if os.sep == "/" else None
    if options is None:
        return None
    output = as_path(options.get("--output", DEFAULTS["--output"]))
    settings = ("--drafts" in options, "--future" in options, noop.today())
    key = noop.build_key(
        as_path(options.get("--content", DEFAULTS["--content"])),
        as_path(options.get("--templates", templates)),
        noop.CONTRACT,
        output,
        settings,
    )
    cache = as_path(options.get("--cache", DEFAULTS["--cache"]))
    counts = noop.unchanged(cache, key, meanwhile=load_generator)
    if counts is None:
        return None
    pages, files = counts
    print(noop.summary_line(output, pages, files, 0, 0, time.perf_counter() - started))
    return 0


# What a build with something to do loads after the check, in the order it does, in steps of
# a few milliseconds each: the modules every such build loads and no others.
GENERATOR = (
    "sqlite3",
    "pathlib",
    "sitegen.markdown.cache",
    "dataclasses",
    "sitegen.content.load",
    "sitegen.markdown.texts",
    "tempfile",
    "jinja2",
    "sitegen.incremental.state",
    "sitegen.incremental.compiled",
    "sitegen.incremental.builder",
    "sitegen.options",
)


def load_generator(stop: Callable[[], bool]) -> None:
    """Load the generator module by module while the check looks at the files in another
    process, until `stop()`: the check may yet find nothing to do. A module that fails to
    load ends this, and fails again where the build loads it, with its error then."""
    for name in GENERATOR:
        if stop():
            return
        try:
            __import__(name)
        except Exception:  # reported where the build loads it
            return


def plain_options(argv: list[str]) -> dict[str, str] | None:
    """The options of a build command line argparse would take as they stand; None otherwise."""
    words = argv[1:] if argv[:1] == ["build"] else argv
    if words is argv and argv[:1] and argv[0] in COMMANDS:
        return None
    options: dict[str, str] = {}
    position = 0
    while position < len(words):
        name, equals, value = words[position].partition("=")
        if name in FLAGS and not equals:
            options[name] = ""
        elif name in VALUED:
            if not equals:
                position += 1
                if position == len(words):
                    return None
                value = words[position]
            if not _takes(name, value):
                return None
            options[name] = value
        else:
            return None
        position += 1
    return options


def _takes(name: str, value: str) -> bool:
    """Whether argparse takes `value` for `name` as it is (no dash, a valid choice or number)."""
    if not value or value.startswith("-"):
        return False
    if name == "--jobs":
        return value.isascii() and value.isdigit()
    if name == "--annotations":
        return value in ANNOTATIONS
    return True


def as_path(text: str) -> str:
    """What `str(pathlib.Path(text))` gives on POSIX: empty and `.` parts and a trailing slash
    dropped, exactly two leading slashes kept."""
    root = "/" if text.startswith("/") else ""
    if text.startswith("//") and not text.startswith("///"):
        root = "//"
    parts = [part for part in text.split("/") if part not in ("", ".")]
    return root + "/".join(parts) or "."


def leave(code: int) -> None:
    """End a build with exit code `code` (never returns). Without the interpreter's teardown
    when all it has left to do is free memory object by object (20 ms after a rebuild of a
    large site, 120 ms after building it): when this is the process's one thread, nothing
    is left for multiprocessing's exit handler to stop or clean up, and no tracer, profiler
    or tool such as coverage waits to write its data at the end."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: let the teardown report it
            sys.exit(code)
    threading = sys.modules.get("threading")
    alone = threading is None or threading.active_count() == 1
    watched = sys.gettrace() is not None or sys.getprofile() is not None
    if alone and not watched and "coverage" not in sys.modules and _no_processes_left():
        os._exit(code)
    sys.exit(code)


def _no_processes_left() -> bool:
    """Whether multiprocessing has no child process running and nothing registered to do at
    exit (its registry of finalizers is internal: without it, assume there is something)."""
    if "multiprocessing" not in sys.modules:
        return True
    import multiprocessing.util

    # Asking for the children first joins those that have ended, which unregisters them.
    running = multiprocessing.active_children()
    finalizers = getattr(multiprocessing.util, "_finalizer_registry", None)
    return finalizers == {} and not running
