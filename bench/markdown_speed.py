"""Markdown conversion: the site's converter against plain Python-Markdown, same settings.

Converts the bodies of N corpus stories (and every Markdown file in `content/`) with both,
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
from sitegen.markdown.convert import SETTINGS  # noqa: E402


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


def main(argv: list[str]) -> int:
    """Print the figures; exit 1 if any HTML differs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stories", type=int, default=2000, help="corpus stories (default 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best counts (default 3)")
    args = parser.parse_args(argv)
    items = texts(args.stories)
    plain = converter(markdown.Markdown(**SETTINGS))
    ours = converter(fast.Converter(**SETTINGS))
    best = {"plain": float("inf"), "site": float("inf")}
    for _ in range(args.repeat):
        seconds, expected = timed(plain, items)
        best["plain"] = min(best["plain"], seconds)
        seconds, got = timed(ours, items)
        best["site"] = min(best["site"], seconds)
    same = got == expected
    per = 1000 / len(items)
    print(f"{len(items)} texts, best of {args.repeat}")
    print(f"  plain Python-Markdown  {best['plain']:.3f} s  ({best['plain'] * per:.3f} ms/text)")
    print(f"  site converter         {best['site']:.3f} s  ({best['site'] * per:.3f} ms/text)")
    print(f"  ratio {best['site'] / best['plain']:.2f}x; same HTML: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
