"""Deterministic benchmark corpora: N Markdown stories for this project and for Hugo, in
several shapes (length, headings, lists, links, tags, languages, with or without the site)."""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `sitegen` importable

from sitegen.render import images  # noqa: E402

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
LANGUAGES = ("en", "de", "pl")


@dataclass(frozen=True)
class Shape:
    """What the stories of a corpus look like; a story depends only on its shape and number."""

    name: str
    about: str
    body_bytes: int = 7000
    # Chances per sentence of emphasis, strong, a link and inline code (cumulative cut-offs).
    inline: tuple[float, float, float, float] = (0.15, 0.25, 0.35, 0.40)
    # Chances per block of h2, h3, a list, a numbered list, a quote (cumulative cut-offs).
    blocks: tuple[float, float, float, float, float] = (0.12, 0.18, 0.30, 0.36, 0.44)
    tag_pool: int = len(TAGS)
    tags_per_story: tuple[int, int] = (1, 4)
    # Each story in these languages (one file each), or only the default one.
    languages: tuple[str, ...] = ()
    # Whether the site's own content comes along (settings, UI strings, pages, campaigns).
    with_site: bool = True

    def tags(self) -> tuple[str, ...]:
        """The shape's tag vocabulary."""
        if self.tag_pool <= len(TAGS):
            return TAGS[: self.tag_pool]
        return (*TAGS, *(f"topic-{n:03d}" for n in range(self.tag_pool - len(TAGS))))


SHAPES = {
    shape.name: shape
    for shape in (
        Shape("site", "the site's content and 7 KB stories with headings, lists and quotes"),
        Shape(
            "short",
            "a bare stories/ folder with the defaults, 1.5 KB bodies, a dozen tags",
            body_bytes=1500,
            blocks=(0.04, 0.06, 0.12, 0.14, 0.18),
            tag_pool=12,
            tags_per_story=(1, 3),
            with_site=False,
        ),
        Shape(
            "long",
            "25 KB bodies, dense with headings, lists and quotes",
            body_bytes=25_000,
            blocks=(0.18, 0.30, 0.50, 0.60, 0.72),
        ),
        Shape(
            "inline",
            "7 KB bodies where most sentences carry a link, emphasis or code",
            inline=(0.20, 0.35, 0.75, 0.95),
        ),
        Shape(
            "front-matter",
            "front matter and one sentence each",
            body_bytes=0,
            with_site=False,
        ),
        Shape(
            "tags",
            "400 tags, 5 to 12 on each story",
            body_bytes=3000,
            tag_pool=400,
            tags_per_story=(5, 12),
        ),
        Shape(
            "translated",
            "each story in English, German and Polish (a third as many stories, as many files)",
            body_bytes=4000,
            languages=LANGUAGES,
        ),
    )
}
DEFAULT_SHAPE = SHAPES["site"]


def sentence(rng: random.Random, shape: Shape = DEFAULT_SHAPE) -> str:
    """One sentence of six to sixteen words, sometimes emphasised, linked or code."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    pick = rng.randrange(len(words))
    style = rng.random()
    emphasis, strong, link, code = shape.inline
    if style < emphasis:
        words[pick] = f"*{words[pick]}*"
    elif style < strong:
        words[pick] = f"**{words[pick]}**"
    elif style < link:
        words[pick] = f"[{words[pick]}](https://{rng.choice(LINK_HOSTS)}/{rng.choice(WORDS)})"
    elif style < code:
        words[pick] = f"`{words[pick]}`"
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, shape: Shape = DEFAULT_SHAPE) -> str:
    """Three to seven sentences."""
    return " ".join(sentence(rng, shape) for _ in range(rng.randint(3, 7)))


def block(rng: random.Random, shape: Shape = DEFAULT_SHAPE) -> str:
    """One body block: mostly paragraphs, with headings, lists and quotes mixed in."""
    kind = rng.random()
    h2, h3, bullets, numbers, quotes = shape.blocks
    if kind < h2:
        return f"## {sentence(rng, shape).rstrip('.').title()[:60]}"
    if kind < h3:
        return f"### {sentence(rng, shape).rstrip('.')[:50]}"
    if kind < bullets:
        return "\n".join(f"- {sentence(rng, shape)}" for _ in range(rng.randint(3, 6)))
    if kind < numbers:
        return "\n".join(f"{n}. {sentence(rng, shape)}" for n in range(1, rng.randint(3, 6)))
    if kind < quotes:
        return "\n>\n".join(f"> {paragraph(rng, shape)}" for _ in range(rng.randint(1, 2)))
    return paragraph(rng, shape)


def body(rng: random.Random, shape: Shape = DEFAULT_SHAPE) -> str:
    """About `shape.body_bytes` of Markdown; one sentence when that is 0."""
    if shape.body_bytes == 0:
        return sentence(rng, shape) + "\n"
    blocks = [f"## {sentence(rng, shape).rstrip('.').title()[:60]}"]
    size = 0
    while size < shape.body_bytes:
        blocks.append(block(rng, shape))
        size += len(blocks[-1]) + 2
    return "\n\n".join(blocks) + "\n"


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (the text never holds quotes or backslashes)."""
    return f'"{text}"'


def story(index: int, shape: Shape = DEFAULT_SHAPE) -> tuple[str, str]:
    """The slug and file text of story number `index`; depends on nothing else."""
    seed = f"story-{index}" if shape == DEFAULT_SHAPE else f"{shape.name}-story-{index}"
    rng = random.Random(seed)
    title = sentence(rng, shape).rstrip(".").replace("*", "").replace("`", "")[:70]
    title = title.split("[")[0].strip() or f"Story {index}"
    date = START_DATE + dt.timedelta(days=index % 3650)
    low, high = shape.tags_per_story
    tags = sorted(set(rng.sample(shape.tags(), rng.randint(low, high))))
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
    return f"story-{index:05d}", f"{front}\n\n{body(rng, shape)}"


def stories(count: int, shape: Shape = DEFAULT_SHAPE) -> Iterator[tuple[str, str]]:
    """Every story file of a corpus of `count` files: (file name without `.md`, text).

    A translated shape has a third as many stories, each in every language."""
    if not shape.languages:
        return (story(i, shape) for i in range(count))
    per_story = len(shape.languages)
    return (
        (f"{slug}.{language}", text)
        for slug, text in (story(i, shape) for i in range(max(1, count // per_story)))
        for language in shape.languages
    )


def file_of(slug: str, shape: Shape = DEFAULT_SHAPE) -> str:
    """The file name of story `slug` in the default language."""
    return f"{slug}.{shape.languages[0]}.md" if shape.languages else f"{slug}.md"


HUGO_CONFIG = """\
baseURL = "https://example.org/"
languageCode = "en"
title = "Benchmark"
paginate = 20
disableKinds = ["robotsTXT", "404"]
{languages}
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
{{ with .Paginator }}{{ if .HasNext }}<a href="{{ .Next.URL }}">next</a>{{ end }}{{ end }}
{{ if .IsHome }}{{ partial "pictures.html" . }}{{ end }}{{ end }}
""",
}


# Hugo's partial that makes of every photo the variants this project makes: the widths below
# the original's and the original's up to the widest, each in WebP and, unless WebP, in the
# original's format, with Lanczos. Shapes with the site carry the photos, and both generators
# then do that work. WIDEST, NARROWER and the qualities come from sitegen/render/images.py.
HUGO_PICTURES = """\
{{ range resources.Match "images/*.{jpg,jpeg,png,webp}" }}{{ $image := . }}
{{ $format := replace .MediaType.SubType "jpeg" "jpg" }}
{{ $widths := slice (cond (lt .Width WIDEST) .Width WIDEST) }}
{{ range slice NARROWER }}{{ if lt . $image.Width }}
{{ $widths = $widths | append . }}{{ end }}{{ end }}
<picture>{{ range $widths | uniq }}
{{ $webp := $image.Resize (printf "%dx webp qWEBP_QUALITY Lanczos" .) }}
<source type="image/webp" srcset="{{ $webp.RelPermalink }} {{ . }}w">
{{ if ne $format "webp" }}
{{ $own := $image.Resize (printf "%dx %s qOWN_QUALITY Lanczos" . $format) }}
<img src="{{ $own.RelPermalink }}" alt="">
{{ end }}
{{ end }}</picture>{{ end }}
"""


def hugo_pictures() -> str:
    """`HUGO_PICTURES` with this project's widths and qualities."""
    *narrower, widest = images.WIDTHS
    values = {
        "WIDEST": str(widest),
        "NARROWER": " ".join(map(str, narrower)),
        "WEBP_QUALITY": str(images.SAVE_OPTIONS["webp"]["quality"]),
        "OWN_QUALITY": str(images.SAVE_OPTIONS["jpg"]["quality"]),
    }
    text = HUGO_PICTURES
    for name, value in values.items():
        text = text.replace(name, value)
    return text


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


HUGO_LANGUAGES = """\
defaultContentLanguage = "en"
[languages.en]
weight = 1
[languages.de]
weight = 2
[languages.pl]
weight = 3
"""


def make_corpus(
    count: int, target: Path, hugo: Path, base: Path, shape: Shape = DEFAULT_SHAPE
) -> None:
    """Write the corpus of `count` story files to `target` (this project) and `hugo` (Hugo)."""
    for folder in (target, hugo):
        if folder.exists():
            shutil.rmtree(folder)
    target.mkdir(parents=True)
    if shape.with_site:
        copy_base(base, target)
        if (base / "images").is_dir():
            shutil.copytree(base / "images", hugo / "assets" / "images")
    (target / "stories").mkdir(exist_ok=True)
    languages = HUGO_LANGUAGES if shape.languages else ""
    write(hugo / "hugo.toml", HUGO_CONFIG.format(languages=languages))
    for name, text in HUGO_LAYOUTS.items():
        write(hugo / "layouts" / name, text)
    write(hugo / "layouts" / "partials" / "pictures.html", hugo_pictures())
    hugo_stories = hugo / "content" / "stories"
    hugo_stories.mkdir(parents=True)
    for name, text in stories(count, shape):
        (target / "stories" / f"{name}.md").write_text(text, encoding="utf-8")
        (hugo_stories / f"{name}.md").write_text(text, encoding="utf-8")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", type=int, help="number of stories")
    parser.add_argument("dir", type=Path, help="content folder to write (DIR/stories/*.md)")
    parser.add_argument("--hugo", type=Path, help="Hugo site folder (default: DIR-hugo)")
    parser.add_argument(
        "--shape", choices=sorted(SHAPES), default=DEFAULT_SHAPE.name, help="default: site"
    )
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
    make_corpus(args.count, args.dir, hugo, args.base, SHAPES[args.shape])
    print(f"wrote {args.count} stories to {args.dir}/stories and {hugo}/content/stories")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
