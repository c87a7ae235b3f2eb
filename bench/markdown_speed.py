"""Markdown conversion: the site's converter against plain Python-Markdown, same settings;
and the site's whole conversion (texts in the common subset written directly, the rest
through Python-Markdown) against the whole pipeline for every text.

Converts the bodies of N corpus stories (and every Markdown file in `content/`) both ways,
in turns, and prints the time of each, the ratio, and whether every HTML text is the same.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make the repository's packages importable

import markdown  # noqa: E402

from bench import corpus  # noqa: E402
from sitegen.markdown import fast  # noqa: E402
from sitegen.markdown.convert import SETTINGS, render_with_markdown  # noqa: E402
from sitegen.markdown.plain import plain_paragraphs  # noqa: E402
from sitegen.markdown.simple import simple_markdown  # noqa: E402
from sitegen.markdown.texts import converted  # noqa: E402


def texts(count: int) -> list[str]:
    """The bodies of `count` corpus stories and of the site's own content."""
    found = [text.split("---\n", 2)[2] for _, text in corpus.stories(count)]
    found += [path.read_text("utf-8") for path in sorted((ROOT / "content").rglob("*.md"))]
    return found


def timed(convert: Callable[[str], str], items: list[str]) -> tuple[float, list[str]]:
    """Seconds to convert every text, and the HTML."""
    started = time.perf_counter()
    html = [convert(text) for text in items]
    return time.perf_counter() - started, html


def converter(md: markdown.Markdown) -> Callable[[str], str]:
    """One text at a time, each from a clean state, as the site converts them."""
    return lambda text: md.reset().convert(text)


def compared(
    names: tuple[str, str],
    ways: tuple[Callable[[str], str], Callable[[str], str]],
    items: list[str],
    repeat: int,
) -> bool:
    """Time two ways of converting the texts in turns (best of `repeat` each); print both
    times and their ratio; say whether every HTML text came out the same."""
    best = [float("inf"), float("inf")]
    html: list[list[str]] = [[], []]
    for _ in range(repeat):
        for which, way in enumerate(ways):
            seconds, html[which] = timed(way, items)
            best[which] = min(best[which], seconds)
    same = html[0] == html[1]
    per = 1000 / len(items)
    for name, seconds in zip(names, best, strict=True):
        print(f"  {name:<22} {seconds:.3f} s  ({seconds * per:.3f} ms/text)")
    print(f"  ratio {best[1] / best[0]:.2f}x; same HTML: {'yes' if same else 'NO'}")
    return same


def main(argv: list[str]) -> int:
    """Print the figures; exit 1 if any HTML differs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stories", type=int, default=2000, help="corpus stories (default 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best counts (default 3)")
    args = parser.parse_args(argv)
    items = texts(args.stories)
    plain = converter(markdown.Markdown(**SETTINGS))
    ours = converter(fast.Converter(**SETTINGS))
    print(f"{len(items)} texts, best of {args.repeat}")
    names = ("plain Python-Markdown", "site converter")
    same = compared(names, (plain, ours), items, args.repeat)
    direct = sum(plain_paragraphs(t) is not None or simple_markdown(t) is not None for t in items)
    print(f"whole conversion, sanitiser included; {direct} of {len(items)} texts written directly")
    names = ("every text through it", "site's conversion")
    alike = compared(names, (render_with_markdown, converted), items, args.repeat)
    return 0 if same and alike else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
