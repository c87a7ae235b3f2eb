"""Deterministic benchmark corpus: N Markdown stories for this project and for Hugo."""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BODY_BYTES = 7000
TAG_TEXT = (
    "career-change mentoring job-search returning-to-work small-business export childcare "
    "networking disability veterans relocation confidence parenthood apprenticeships "
    "volunteering interviews salaries negotiation remote-work retraining community "
    "hamburg grimsby poland berlin vienna zurich krakow london fishing crafts "
    "technology healthcare teaching hospitality logistics farming retail design"
)
TAGS = tuple(TAG_TEXT.split())
WORD_TEXT = (
    "help ask asking support friend neighbour stranger street city town work job career "
    "mentor offer answer question courage first step letter message call meeting coffee "
    "morning evening week month year team colleague manager customer export business "
    "market skill training course school child family parent return leave salary "
    "experience network profile post discussion reply idea plan change move new old "
    "small large quiet loud honest kind patient brave tired hopeful careful open "
    "found learned wrote asked answered listened waited tried shared started finished "
    "because although while after before until when where together alone again"
)
WORDS = tuple(WORD_TEXT.split())
LINK_HOSTS = ("example.org", "example.com", "example.net")
START_DATE = dt.date(2015, 1, 1)


def sentence(rng: random.Random) -> str:
    """One sentence of six to sixteen words, sometimes emphasised."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    pick = rng.randrange(len(words))
    style = rng.random()
    if style < 0.15:
        words[pick] = f"*{words[pick]}*"
    elif style < 0.25:
        words[pick] = f"**{words[pick]}**"
    elif style < 0.35:
        words[pick] = f"[{words[pick]}](https://{rng.choice(LINK_HOSTS)}/{rng.choice(WORDS)})"
    elif style < 0.40:
        words[pick] = f"`{words[pick]}`"
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    """Three to seven sentences."""
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 7)))


def block(rng: random.Random) -> str:
    """One body block: mostly paragraphs, with headings, lists and quotes mixed in."""
    kind = rng.random()
    if kind < 0.12:
        return f"## {sentence(rng).rstrip('.').title()[:60]}"
    if kind < 0.18:
        return f"### {sentence(rng).rstrip('.')[:50]}"
    if kind < 0.30:
        return "\n".join(f"- {sentence(rng)}" for _ in range(rng.randint(3, 6)))
    if kind < 0.36:
        return "\n".join(f"{n}. {sentence(rng)}" for n in range(1, rng.randint(3, 6)))
    if kind < 0.44:
        return "\n>\n".join(f"> {paragraph(rng)}" for _ in range(rng.randint(1, 2)))
    return paragraph(rng)


def body(rng: random.Random) -> str:
    """About BODY_BYTES of Markdown."""
    blocks = [f"## {sentence(rng).rstrip('.').title()[:60]}"]
    size = 0
    while size < BODY_BYTES:
        blocks.append(block(rng))
        size += len(blocks[-1]) + 2
    return "\n\n".join(blocks) + "\n"


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (the text never holds quotes or backslashes)."""
    return f'"{text}"'


def story(index: int) -> tuple[str, str]:
    """The slug and file text of story number `index`; depends on nothing else."""
    rng = random.Random(f"story-{index}")
    title = sentence(rng).rstrip(".").replace("*", "").replace("`", "")[:70]
    title = title.split("[")[0].strip() or f"Story {index}"
    date = START_DATE + dt.timedelta(days=index % 3650)
    tags = sorted(set(rng.sample(TAGS, rng.randint(1, 4))))
    summary = " ".join(rng.choice(WORDS) for _ in range(18)).capitalize() + "."
    front = "\n".join(
        [
            "---",
            f"title: {quoted(title)}",
            f"date: {date.isoformat()}",
            "tags: [" + ", ".join(tags) + "]",
            f"summary: {quoted(summary)}",
            "---",
        ]
    )
    return f"story-{index:05d}", f"{front}\n\n{body(rng)}"


def stories(count: int) -> Iterator[tuple[str, str]]:
    """Every story of a corpus of `count`."""
    return (story(index) for index in range(count))


HUGO_CONFIG = """\
baseURL = "https://example.org/"
languageCode = "en"
title = "Benchmark"
paginate = 20
disableKinds = ["robotsTXT", "404"]

[taxonomies]
tag = "tags"

[markup.goldmark.renderer]
unsafe = false
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ .Title }} | {{ .Site.Title }}</title>
<meta name="description" content="{{ .Summary | plainify }}">
</head><body>
<nav><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a></nav>
<main>{{ block "main" . }}{{ end }}</main>
</body></html>
""",
    "_default/single.html": """\
{{ define "main" }}<article><h1>{{ .Title }}</h1>
<time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
<ul>{{ range .Params.tags }}
<li><a href="{{ "/tags/" | relURL }}{{ . | urlize }}/">{{ . }}</a></li>{{ end }}</ul>
{{ .Content }}</article>{{ end }}
""",
    "_default/list.html": """\
{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
<p>{{ .Params.summary }}</p></li>{{ end }}</ul>
{{ with .Paginator }}{{ if .HasNext }}<a href="{{ .Next.URL }}">next</a>{{ end }}{{ end }}{{ end }}
""",
}


def write(path: Path, text: str) -> None:
    """Write `text` to `path`, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def copy_base(base: Path, target: Path) -> None:
    """Copy the site's content into `target`: its pages and campaigns link to its stories."""
    for entry in sorted(base.iterdir()):
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name)
        else:
            shutil.copy2(entry, target / entry.name)


def make_corpus(count: int, target: Path, hugo: Path, base: Path) -> None:
    """Write the corpus of `count` stories to `target` (this project) and `hugo` (Hugo)."""
    for folder in (target, hugo):
        if folder.exists():
            shutil.rmtree(folder)
    target.mkdir(parents=True)
    copy_base(base, target)
    (target / "stories").mkdir(exist_ok=True)
    write(hugo / "hugo.toml", HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        write(hugo / "layouts" / name, text)
    hugo_stories = hugo / "content" / "stories"
    hugo_stories.mkdir(parents=True)
    for slug, text in stories(count):
        (target / "stories" / f"{slug}.md").write_text(text, encoding="utf-8")
        (hugo_stories / f"{slug}.md").write_text(text, encoding="utf-8")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", type=int, help="number of stories")
    parser.add_argument("dir", type=Path, help="content folder to write (DIR/stories/*.md)")
    parser.add_argument("--hugo", type=Path, help="Hugo site folder (default: DIR-hugo)")
    parser.add_argument(
        "--base",
        type=Path,
        default=ROOT / "content",
        help="the site content copied in beside the stories (default: content/)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Entry point."""
    args = parse_args(argv)
    if args.count < 1:
        print("corpus: count must be at least 1", file=sys.stderr)
        return 2
    if not (args.base / "site.yaml").is_file():
        print(f"corpus: {args.base}/site.yaml not found; pass --base", file=sys.stderr)
        return 2
    hugo = args.hugo or args.dir.with_name(args.dir.name + "-hugo")
    make_corpus(args.count, args.dir, hugo, args.base)
    print(f"wrote {args.count} stories to {args.dir}/stories and {hugo}/content/stories")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
