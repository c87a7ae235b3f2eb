#!/usr/bin/env python3
"""Build the Ask for Help site from content/ and templates/ into public/, or check it."""

from __future__ import annotations

import gc
import os
import sys

from sitegen.incremental import noop, quick

# A plain build with nothing to do ends here, before argparse and the generator are imported.
if __name__ == "__main__":
    # What the check and the imports make lives as long as the process: no garbage for the
    # cycle collector to look for (9 ms of its passes in a rebuild after an edit). A command
    # turns it on again once it has loaded what it needs (`collect_from_here`); a build
    # leaves it off to the end.
    gc.disable()
    # A file name that is not UTF-8 (held as lone surrogates) is shown escaped, as on stderr,
    # rather than stopping a report to a strict UTF-8 stdout, such as GitHub's annotations.
    if (_reconfigure := getattr(sys.stdout, "reconfigure", None)) is not None:
        _reconfigure(errors="backslashreplace")
    _templates = os.path.join(os.path.dirname(os.path.realpath(__file__)), "templates")
    if (_code := quick.quick_build(sys.argv[1:], _templates)) is not None:
        quick.leave(_code)

# The rest of the command line, after the check above.
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, TextIO

# The generator is imported where a command needs it: a build with nothing to do stops before.

if TYPE_CHECKING:
    import argparse

    from sitegen.errors import ContentError
    from sitegen.options import BuildOptions

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Objects kept until the process ends (see `run_build`).
_KEPT: list[object] = []
# `build.py new KIND`, as sitegen.content.scaffold.FOLDERS names them.
KINDS = ("story", "campaign", "page")
Command = Callable[["argparse.Namespace"], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit code is 1 when the content or output has problems."""
    words = _with_default_command(list(sys.argv[1:] if argv is None else argv))
    args = plain_build_args(words) or make_parser(words[0]).parse_args(words)
    command: Command = args.run
    if command is not run_build:
        collect_from_here()
    try:
        return command(args)
    except Exception as error:
        return failed(error, annotations=_annotations(getattr(args, "annotations", "none")))


def failed(error: Exception, *, annotations: bool) -> int:
    """Report a content, site or file error and return the exit code; raise any other."""
    from sitegen.errors import ContentError, SiteError, github_error

    if isinstance(error, ContentError):
        report(error, annotations=annotations)
    # An OSError: a file that cannot be read or written (a full disk, no permission).
    elif isinstance(error, SiteError | OSError):
        if annotations:
            print(github_error(str(error), title="Build error"))
        else:
            print(f"error: {error}", file=sys.stderr)
    else:
        raise error
    return 1


def collect_from_here() -> None:
    """Turn the cycle collector on again, if the script turned it off, for what is made from
    now on (`leave_out_loaded`)."""
    if not gc.isenabled():
        leave_out_loaded()
        gc.enable()


def leave_out_loaded() -> None:
    """If the script turned the cycle collector off, leave everything loaded so far out of
    its passes for good, its own and those of the processes forked to help, which turn it on
    (and so its memory pages stay shared with them)."""
    if not gc.isenabled():
        gc.freeze()


def plain_build_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """What argparse makes of a plain build command line (`quick.plain_options`), read
    without loading argparse; None for any other command line."""
    options = quick.plain_options(list(argv))
    if options is None:
        return None
    given = quick.DEFAULTS | options
    templates, jobs = options.get("--templates"), options.get("--jobs")
    args = SimpleNamespace(
        command="build",
        content=Path(given["--content"]),
        templates=TEMPLATES if templates is None else Path(templates),
        cache=Path(given["--cache"]),
        drafts="--drafts" in options,
        future="--future" in options,
        annotations=given.get("--annotations", "auto"),
        output=Path(given["--output"]),
        progress="--progress" in options,
        jobs=None if jobs is None else int(jobs),
        run=run_build,
    )
    return args  # type: ignore[return-value] # the same attributes


def make_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line: `build` (the default), `check`, `new`, `serve` and `publish`; the
    options of `publish` are only known when `command` is that one (its code loads AWS's)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Render the campaign site from Markdown in three languages.",
        epilog="Without a command, 'build' runs. 'build.py COMMAND --help' shows its options.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    build = commands.add_parser("build", help="render the site into the output folder")
    add_site_options(build)
    add_annotations_option(build)
    build.add_argument("--output", type=Path, default=Path("public"), help="default: public")
    build.add_argument(
        "--progress", action="store_true", help="show pages done/total (default: on a terminal)"
    )
    build.add_argument(
        "--jobs", type=int, default=None, help="processes that render pages (default: one per core)"
    )
    build.set_defaults(run=run_build)
    check = commands.add_parser("check", help="validate content and internal links; write nothing")
    add_site_options(check)
    add_annotations_option(check)
    check.add_argument(
        "--strict", action="store_true", help="a missing or outdated translation is an error"
    )
    check.set_defaults(run=run_check)
    serve = commands.add_parser(
        "serve", help="build, then serve site and API on one origin, rebuilding on change"
    )
    add_site_options(serve)
    serve.add_argument("--output", type=Path, default=Path("public"), help="default: public")
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="default: 8000")
    serve.set_defaults(run=run_serve)
    new = commands.add_parser("new", help="start a story, campaign or page as a draft")
    new.add_argument("kind", choices=KINDS, help="story, campaign or page")
    new.add_argument("slug", help="its name in URLs: lowercase a-z, 0-9, single hyphens")
    new.add_argument("--lang", help="languages, such as en,de (default: every language)")
    new.add_argument("--content", type=Path, default=Path("content"), help="default: content")
    new.set_defaults(run=run_new)
    publish_command = commands.add_parser(
        "publish", help="upload public/ to the site's bucket and invalidate CloudFront"
    )
    if command == "publish":
        from sitegen.publish import command as publish

        publish.add_arguments(publish_command)
        publish_command.set_defaults(run=publish.run)
    return parser


def add_site_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that reads the content shares."""
    parser.add_argument("--content", type=Path, default=Path("content"), help="default: content")
    parser.add_argument("--templates", type=Path, default=TEMPLATES, help="default: templates")
    parser.add_argument(
        "--cache", type=Path, default=Path(".cache"), help="resized images; default: .cache"
    )
    parser.add_argument("--drafts", action="store_true", help="include pages marked 'draft: true'")
    parser.add_argument("--future", action="store_true", help="include pages dated after today")


def add_annotations_option(parser: argparse.ArgumentParser) -> None:
    """`--annotations`: content errors also as GitHub Actions annotations."""
    parser.add_argument(
        "--annotations",
        choices=("auto", "github", "none"),
        default="auto",
        help="content errors as GitHub Actions annotations ('auto': when GITHUB_ACTIONS=true)",
    )


def options_from(args: argparse.Namespace, **overrides: object) -> BuildOptions:
    """Build options from parsed command-line arguments."""
    from sitegen.options import BuildOptions

    values: dict[str, object] = {
        "content": args.content,
        "output": getattr(args, "output", Path("public")),
        "templates": args.templates,
        "cache": args.cache,
        "drafts": args.drafts,
        "future": args.future,
        "jobs": getattr(args, "jobs", None),
    }
    return BuildOptions(**(values | overrides))  # type: ignore[arg-type]


def run_build(args: argparse.Namespace) -> int:
    """`build.py build`."""
    started = time.perf_counter()
    settings = (args.drafts, args.future, noop.today())
    key = noop.build_key(args.content, args.templates, noop.CONTRACT, args.output, settings)
    counts = noop.unchanged(args.cache, key)
    if counts is not None:
        pages, files = counts
        summary(args.output, pages, files, 0, 0, time.perf_counter() - started)
        return 0
    from sitegen.options import CONTRACT_PATH

    # With nothing built in this cache yet, converting every text starts before the build
    # loads the generator.
    noop.convert_ahead((args.content, args.templates, CONTRACT_PATH), args.cache, args.jobs)
    progress = ProgressLine(sys.stderr) if args.progress or sys.stderr.isatty() else None
    try:
        from sitegen.incremental.builder import Builder

        # Not `collect_from_here`: the build runs with the collector off anyway (see
        # `Builder.build`), and turned on again after it, its first pass would look at all
        # the build made, in a process that then ends (15 ms after a date or tag edit at
        # 10,000 stories).
        leave_out_loaded()
        builder = Builder(options_from(args, progress=progress))
        # What the build holds (a large site's model) lives as long as the process: freed
        # object by object, it took 40 ms, and the process ends without freeing (`quick.leave`).
        _KEPT.append(builder)
        result = builder.build()
    finally:
        if progress:
            progress.finish()
        # Unless the build took them over before it failed.
        if (preconvert := sys.modules.get("sitegen.markdown.preconvert")) is not None:
            preconvert.stop_ahead()
    summary(args.output, result.pages, result.files, result.written, result.removed, result.seconds)
    return 0


def summary(output: Path, pages: int, files: int, written: int, removed: int, took: float) -> None:
    """The line a build ends with."""
    print(noop.summary_line(output, pages, files, written, removed, took))


def run_check(args: argparse.Namespace) -> int:
    """`build.py check`."""
    from sitegen.content.translations import format_table
    from sitegen.incremental.builder import check_site

    result = check_site(options_from(args), strict=args.strict)
    print(f"ok: {result.pages} pages and every internal link check out; nothing written")
    table = format_table(result.translations)
    if table:
        print(table)
    return 0


def run_new(args: argparse.Namespace) -> int:
    """`build.py new`: write a draft in each language, refusing a name already taken."""
    from datetime import date

    from sitegen.content import scaffold
    from sitegen.content.load import load_config
    from sitegen.errors import SiteError

    config = load_config(args.content)
    scaffold.check_slug(args.kind, args.slug)
    langs = scaffold.languages(args.lang, config)
    taken = scaffold.taken(args.content / scaffold.FOLDERS[args.kind], args.slug, config)
    if taken:
        listed = ", ".join(str(path) for path in taken)
        raise SiteError(f"the {args.kind} '{args.slug}' exists already: {listed}")
    for name, text in scaffold.new_files(args.kind, args.slug, langs, date.today()).items():
        path = args.content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
        print(f"wrote {path}")
    print("drafts: 'build.py serve --drafts' shows them; remove 'draft: true' to publish")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """`build.py serve`."""
    from sitegen.serve.server import ServeOptions, serve

    return serve(ServeOptions(options_from(args), host=args.host, port=args.port))


def report(error: ContentError, *, annotations: bool) -> None:
    """Print content errors; as annotations, GitHub shows each at its file and line."""
    if not annotations:
        print(error.format(), file=sys.stderr)
        return
    # The runner reads workflow commands from the step's standard output.
    print(error.annotations(_workspace()), flush=True)
    print(error.summary(), file=sys.stderr)


def _annotations(choice: str) -> bool:
    return choice == "github" or (choice == "auto" and os.environ.get("GITHUB_ACTIONS") == "true")


def _workspace() -> Path | None:
    """The checked-out repository, to which annotation paths are relative; else the cwd."""
    folder = os.environ.get("GITHUB_WORKSPACE")
    return Path(folder) if folder else None


class ProgressLine:
    """`rendering pages 1200/3000` on one line, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - self.shown >= 0.1:
            self.shown = now
            self.stream.write(f"\rrendering pages {done}/{total}")
            self.stream.flush()

    def finish(self) -> None:
        """End the progress line."""
        if self.shown:
            self.stream.write("\n")


def _with_default_command(argv: list[str]) -> list[str]:
    commands = {"build", "check", "new", "serve", "publish"}
    if argv and (argv[0] in commands or argv[0] in {"-h", "--help"}):
        return argv
    return ["build", *argv]


if __name__ == "__main__":
    _exit_code = main()
    if _with_default_command(sys.argv[1:])[0] == "build":
        quick.leave(_exit_code)
    sys.exit(_exit_code)
