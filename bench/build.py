"""Build speed against Hugo: cold build, no-op rebuild, one-story rebuild, serve latency, for
corpora of several shapes; the goals count the worst shape."""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `bench` importable

from bench import corpus, report  # noqa: E402
from bench.corpus import SHAPES  # noqa: E402
from bench.latency import (  # noqa: E402
    NEW_TAG,
    SAVES,
    ServeError,
    edit,
    free_port,
    redate,
    retag,
    retitle,
    save_to_served,
)
from bench.measure import Measure, run_measured  # noqa: E402
from sitegen.incremental.fingerprint import code_version  # noqa: E402

CORPUS = ROOT / "bench" / ".corpus"
OUT = ROOT / "bench" / ".out"
TRASH = OUT / "trash"
EDITED = "story-{middle:05d}"


@dataclass
class Tool:
    """How to build and serve one generator's copy of a corpus."""

    name: str
    source: Path
    output: Path
    cache: Path
    shape: corpus.Shape = corpus.DEFAULT_SHAPE
    figures: dict[str, Measure | float | str] = field(default_factory=dict)

    def story(self, slug: str) -> Path:
        """The source file of story `slug`, in the default language."""
        folder = self.source / ("stories" if self.name == "ours" else "content/stories")
        return folder / corpus.file_of(slug, self.shape)

    def photo_caches(self) -> list[Path]:
        """Where the photos' variants are kept between builds, when not in `cache`: Hugo's
        resource folder in its source."""
        return [self.source / "resources"] if self.name == "hugo" else []

    def caches_but_photos(self) -> list[Path]:
        """Everything a cold build starts without except the photos' variants."""
        if self.name == "hugo":
            return [self.cache]
        return [path for path in self.cache.glob("*") if path.name != "images"]

    def build_command(self) -> list[str]:
        """The command line of one build."""
        if self.name == "hugo":
            return [
                "hugo",
                "--quiet",
                "--source",
                str(self.source),
                "--destination",
                str(self.output),
                "--cacheDir",
                str(self.cache),
            ]
        return [
            sys.executable,
            "build.py",
            "build",
            "--content",
            str(self.source),
            "--output",
            str(self.output),
            "--cache",
            str(self.cache),
        ]

    def serve_command(self, port: int) -> list[str]:
        """The command line of the development server."""
        if self.name == "hugo":
            return [
                "hugo",
                "server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--source",
                str(self.source),
                "--cacheDir",
                str(self.cache),
                "--disableLiveReload",
            ]
        return [
            sys.executable,
            "build.py",
            "serve",
            "--content",
            str(self.source),
            "--output",
            str(self.output),
            "--cache",
            str(self.cache),
            "--port",
            str(port),
        ]

    def pages(self, slug: str) -> list[Path]:
        """The built pages of story `slug` (one per language), wherever its section put them."""
        return sorted(self.output.glob(f"**/{slug}/index.html"))

    def page(self, slug: str) -> Path | None:
        """The built page of story `slug` in the default language."""
        found = self.pages(slug)
        default = [path for path in found if "/de/" not in str(path) and "/pl/" not in str(path)]
        return (default or found)[0] if found else None


def clean(*paths: Path) -> None:
    """Move build outputs and caches out of the way; `empty_trash` removes them at the end.

    Deleting thousands of files right before a timed build would slow that build: the file
    system then looks past the inodes it has just freed while it makes the new files."""
    for path in paths:
        if path.exists():
            TRASH.mkdir(parents=True, exist_ok=True)
            path.rename(TRASH / f"{path.name}-{time.time_ns()}")


def empty_trash() -> None:
    """Delete what `clean` moved aside."""
    shutil.rmtree(TRASH, ignore_errors=True)


def build(tool: Tool, label: str, size: int) -> Measure:
    """One measured build; a failing build is reported with the end of its log."""
    log = OUT / "logs" / f"{tool.shape.name}-{tool.name}-{size}-{label}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    measure = run_measured(tool.build_command(), log, ROOT)
    if measure.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        print(f"  {tool.name} {label} build failed (exit {measure.returncode}), {log}:")
        print("\n".join(f"    {line}" for line in tail))
    return measure


# The rebuilds after one edit: to a story's text; to its title (which the lists, the tag
# pages and the stories that name it as related show too); to its date (which moves it in
# the lists); to its tags (one added, then taken away again, and so on: it joins or leaves
# that tag's list and the tag list's count changes); a tag no story has, added and taken
# away likewise (its list is made, then goes).
EDITS = ("edit", "retitle", "redate", "retag", "newtag")


def one_run(tool: Tool, label: str, size: int, slug: str) -> Measure | str:
    """One build of the kind `label`; after an edit, the built page must show it."""
    if label == "cold":
        clean(tool.output, tool.cache, *tool.photo_caches())
    if label == "photos":
        # A cold build but for the photos' variants, kept from the build before.
        clean(tool.output, *tool.caches_but_photos())
    marker = f"rebuild-edit-{time.time_ns()}"
    # A new date or tag shows only as the page's text changing: the page as it was, to compare.
    changing = label in {"redate", "retag", "newtag"}
    before = [page.read_bytes() for page in tool.pages(slug)] if changing else []
    if label == "edit":
        edit(tool.story(slug), marker)
    elif label == "retitle":
        retitle(tool.story(slug), marker)
    elif label == "redate":
        redate(tool.story(slug))
    elif label == "retag":
        retag(tool.story(slug), other_tag(tool.shape, tool.story(slug)))
    elif label == "newtag":
        retag(tool.story(slug), NEW_TAG)
    measure = build(tool, label, size)
    if label not in EDITS or measure.returncode != 0:
        return measure
    after = [page.read_bytes() for page in tool.pages(slug)]
    shown = after != before if changing else any(marker.encode() in a for a in after)
    return measure if shown else "wrong output: the edited story's page was not rebuilt"


def other_tag(shape: corpus.Shape, story: Path) -> str:
    """The first of the shape's tags that the story as generated does not have: the one its
    tags edit adds and takes away again."""
    generated = corpus.story(int(story.stem.split(".")[0].removeprefix("story-")), shape)[1]
    line = next(line for line in generated.split("\n") if line.startswith("tags:"))
    listed = line.removeprefix("tags:").strip().removeprefix("[").removesuffix("]")
    has = {name.strip() for name in listed.split(",")}
    return next(tag for tag in shape.tags() if tag not in has)


def summary(runs: list[Measure]) -> Measure:
    """The median time of some runs, with the highest peak among them."""
    middle = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    return Measure(middle.seconds, max(run.peak_kb for run in runs), 0)


def builds(tools: list[Tool], size: int, slug: str, times: int) -> None:
    """Cold builds, rebuilds with nothing changed, rebuilds after one story edit; with the
    site's photos, also cold builds that find the photos' variants made.

    The tools take turns run by run, so that both meet the same load on the machine."""
    photos = any(has_photos(tool) for tool in tools)
    labels = ("cold", "photos", "noop", *EDITS) if photos else ("cold", "noop", *EDITS)
    for label in labels:
        runs: dict[str, list[Measure]] = {tool.name: [] for tool in tools}
        for _ in range(times):
            for tool in tools:
                if label in tool.figures:
                    continue  # it failed already
                result = one_run(tool, label, size, slug)
                if isinstance(result, str) or result.returncode != 0:
                    tool.figures[label] = result
                else:
                    runs[tool.name].append(result)
        for tool in tools:
            tool.figures.setdefault(label, summary(runs[tool.name]) if runs[tool.name] else "-")
            print(f"  {tool.name}: {label} {report.seconds(tool.figures[label])}", flush=True)


def has_photos(tool: Tool) -> bool:
    """Whether the tool's copy of the corpus carries the site's photos, which it resizes."""
    folder = tool.source / ("images" if tool.name == "ours" else "assets/images")
    return any(folder.glob("*"))


def serve(tool: Tool, size: int, slug: str) -> None:
    """Save-to-served latency, when the tool has a development server."""
    page = tool.page(slug)
    if page is None:
        tool.figures.update(dict.fromkeys(SAVES, "skipped: no built page to find the story's URL"))
        return
    url_path = "/" + page.parent.relative_to(tool.output).as_posix() + "/"
    port = free_port()
    log = OUT / "logs" / f"{tool.shape.name}-{tool.name}-{size}-serve.log"
    served: Mapping[str, float | str]
    try:
        served = save_to_served(
            tool.serve_command(port),
            f"http://127.0.0.1:{port}{url_path}",
            tool.story(slug),
            log,
            ROOT,
            tag=other_tag(tool.shape, tool.story(slug)),
        )
    except ServeError as exc:
        served = dict.fromkeys(SAVES, f"failed: {exc} (see {log})")
    tool.figures.update(served)


def run_size(
    size: int, base: Path, with_serve: bool, times: int, shape: corpus.Shape
) -> dict[str, Tool]:
    """Every figure for one corpus size of one shape."""
    print(f"corpus of {size:,} story files, shape {shape.name} ({shape.about}) ...", flush=True)
    name = f"{shape.name}-{size}"
    source, hugo_source = CORPUS / name, CORPUS / f"{name}-hugo"
    corpus.make_corpus(size, source, hugo_source, base, shape)
    tools = {
        tool: Tool(tool, folder, OUT / f"{tool}-{name}", OUT / f"{tool}-{name}-cache", shape)
        for tool, folder in (("ours", source), ("hugo", hugo_source))
    }
    stories = size // len(shape.languages) if shape.languages else size
    slug = EDITED.format(middle=stories // 2)
    builds(list(tools.values()), size, slug, times)
    for tool in tools.values():
        if with_serve:
            serve(tool, size, slug)
    return tools


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--sizes", default="1000,10000", help="comma-separated corpus sizes (default: 1000,10000)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="builds per figure; the median counts (default: 3)"
    )
    parser.add_argument("--no-serve", action="store_true", help="skip the serve latency rows")
    parser.add_argument(
        "--shapes",
        default=",".join(corpus.SHAPES),
        help="comma-separated corpus shapes (default: all: " + ", ".join(corpus.SHAPES) + ")",
    )
    parser.add_argument(
        "--base",
        type=Path,
        default=ROOT / "content",
        help="content whose site.yaml, i18n and pages the corpus uses",
    )
    return parser.parse_args(argv)


def sizes_of(text: str) -> list[int]:
    """Parse --sizes; every size a positive integer."""
    sizes = [int(part) for part in text.replace("_", "").split(",") if part.strip()]
    if not sizes or min(sizes) < 1:
        raise ValueError(text)
    return sizes


# Every module of the generator imported, with what Python keeps of them written: their
# classes' methods among it (`sitegen.classes`).
_IMPORT_ALL = (
    "import importlib, pkgutil, sitegen\n"
    "for found in pkgutil.walk_packages(sitegen.__path__, 'sitegen.'):\n"
    "    importlib.import_module(found.name)\n"
)


def compile_generator() -> None:
    """Write the generator's byte code, as Python does on its first run where it may write,
    and the methods of its classes (`sitegen.classes`), kept likewise.

    With PYTHONDONTWRITEBYTECODE set (as in many containers), every build would otherwise
    compile the generator's modules again, which a user's second run never does."""
    for folder in ("sitegen", "functions"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", _IMPORT_ALL], cwd=ROOT, env=environment, check=True)


def main(argv: list[str]) -> int:
    """Run the benchmark and print its table."""
    args = parse_args(argv)
    try:
        sizes = sizes_of(args.sizes)
    except ValueError:
        print(
            f"bench: --sizes wants positive integers like 1000,10000, not {args.sizes!r}",
            file=sys.stderr,
        )
        return 2
    if shutil.which("hugo") is None:
        print(
            "bench: hugo is missing; it is the reference. Install it with: "
            "sudo apt-get install hugo",
            file=sys.stderr,
        )
        return 2
    shapes = [name.strip() for name in args.shapes.split(",") if name.strip()]
    unknown = [name for name in shapes if name not in corpus.SHAPES]
    if unknown or not shapes:
        known = ", ".join(corpus.SHAPES)
        print(f"bench: --shapes takes some of {known}, not {args.shapes!r}", file=sys.stderr)
        return 2
    compile_generator()
    results: dict[str, dict[int, dict[str, dict[str, Measure | float | str]]]] = {}
    # The generator's code, as the figures measure it; an edit during the run makes a rebuild
    # start from scratch and mixes two versions in one table.
    version, changed = code_version(), ""
    try:
        for name in shapes:
            for size in sizes:
                tools = run_size(size, args.base, not args.no_serve, args.repeat, SHAPES[name])
                results.setdefault(name, {})[size] = {n: t.figures for n, t in tools.items()}
                if not changed and code_version() != version:
                    changed = (
                        f"bench: the generator's code changed while shape {name} at {size:,}"
                        " ran: its figures and those after it measure two versions; run again"
                    )
                    print(changed, file=sys.stderr, flush=True)
    finally:
        empty_trash()
    print()
    print(report.table(results))
    if changed:
        print(f"\n{changed}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
