"""Long runs of random edits, each built as it comes: after every build the output folder is
what a cold, in-memory build of the same sources writes.

The edits are those editors make, in an order drawn from a seed: texts (with pictures in them
or not), titles, summaries, dates near and far (ties among them), tags added, dropped and
spelt otherwise, drafts, pictures, stories moved into the future, translations added and
removed, new stories and stories removed, a page, a campaign, a UI string, a template and a
photo, several at once, mistakes that stop the build until they are mended, files of the
output folder changed or removed by hand, and builds into it with other settings (drafts,
stories of the future) or another cache. Each kind of rebuild meets them: a new builder for
each build, as the command line makes one (from the saved pages where it can), one long-lived
builder told which files changed, as `build.py serve` keeps (it takes the output folder to be
as it left it), and the command line itself."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from sitegen.errors import ContentError, Problem
from sitegen.incremental import noop
from sitegen.incremental.builder import Builder, build_site
from sitegen.incremental.write import MARKER
from sitegen.site.listing import tag_slug
from tests.site.incremental.test_builder import ROOT, TODAY, Site, site, snapshot
from tests.site.reference import files_written

__all__ = ["site"]

# `make bench` runs ten times the sequences.
SCALE = int(os.environ.get("ASK_FUZZ_SCALE", "1") or "1")
# Tag names as editors write them: some are one URL name in two spellings; a story may be the
# first to have one, or to have one the Polish stories have ("praca").
TAGS = [
    *("jobs", "Jobs", "mentoring", "courage", "Ünïcödé Tag", "small business", "Small-Business"),
    *("zebra crossing", "praca"),
]
WORDS = (
    *("asked", "help", "answer", "neighbour", "kitchen", "letter"),
    *("courage", "first", "call", "week", "city", "quiet"),
)
# Every kind of edit comes once in each round of this many edits, in an order of its own.
KINDS = (
    *("text", "title", "summary", "date", "date", "tags", "tags", "draft", "picture"),
    *("future", "translated", "new", "removed", "site-wide", "photo", "several", "mistake"),
    *("output", "other build"),
)
# Other builds into the same output folder: their cache (below the site's folder) and flags.
OTHER_BUILDS = (
    ("cache", ("--drafts",)),
    ("cache", ("--future",)),
    ("cache", ("--drafts", "--future")),
    ("other-cache", ()),
)
# What several edits at once are made of.
STORY_KINDS = KINDS[:13]
# Files of the whole site, each edited back and forth.
SITE_WIDE = (
    ("pages/about.en.md", "summary: Who we are.", "summary: Who we were."),
    ("campaigns/together.en.md", "title: Together", "title: All together"),
    ("i18n/en.yaml", "related: Related stories", "related: More stories like this"),
    ("../templates/story.html", '<article class="story">', '<article class="story told">'),
    ("../templates/partials/card.html", '<li class="card">', '<li class="card told">'),
)


@dataclass
class Story:
    """A story file as the sequence writes it."""

    title: str
    day: date
    summary: str
    tags: list[str]
    text: str
    draft: bool = False
    image: bool = False

    def source(self) -> str:
        lines = [
            "---",
            f"title: {json.dumps(self.title)}",
            f"date: {self.day.isoformat()}",
            f"summary: {json.dumps(self.summary)}",
            f"tags: [{', '.join(json.dumps(tag) for tag in self.tags)}]",
        ]
        if self.image:
            lines += ["image: photo.png", "image_alt: A photo."]
        if self.draft:
            lines.append("draft: true")
        return "\n".join([*lines, "---", "", self.text, ""])


@dataclass
class Sequence:
    """The stories a sequence edits (by file name), and the random source of its edits."""

    site: Site
    rng: random.Random
    # The day the builds take as today: later stories are not published.
    today: date = TODAY
    # The kinds of edit it makes.
    kinds: tuple[str, ...] = KINDS
    # Builds into the same output folder, given a cache and flags (`OTHER_BUILDS`).
    other_build: Callable[[str, tuple[str, ...]], None] | None = None
    stories: dict[str, Story] = field(default_factory=dict)
    added: int = 0
    deck: list[str] = field(default_factory=list)
    # Stories written with a mistake, as they would be without it, by file name, and the
    # edits left until it is mended.
    mistaken: dict[str, Story] = field(default_factory=dict)
    mended_in: int = 0

    def folder(self) -> Path:
        return self.site.content / "stories"

    def write(self, name: str) -> Path:
        path = self.folder() / name
        path.write_text(self.stories[name].source(), "utf-8")
        return path

    def new_story(self) -> Story:
        rng = self.rng
        day = date(2017, 1, 1) + timedelta(days=rng.randrange(900))
        return Story(
            title=self.words(3),
            day=day,
            summary=self.words(6) + ".",
            tags=rng.sample(TAGS, rng.choice([0, 1, 1, 2, 3])),
            text=self.paragraphs(),
        )

    def words(self, count: int) -> str:
        chosen = self.rng.choices(WORDS, k=count)
        if self.rng.random() < 0.2:
            chosen.append(self.rng.choice(['& "quoted"', "<b>", "Zażółć"]))
        return " ".join(chosen).capitalize()

    def paragraphs(self) -> str:
        rng = self.rng
        parts = [self.words(8) + "." for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.3:
            parts.append("- " + self.words(2) + "\n- " + self.words(2))
        if rng.random() < 0.3:
            parts.append(f"See [the first story](/en/stories/one/), *{self.words(2)}*.")
        if rng.random() < 0.15:
            parts.append("![Two people talking](../images/photo.png)")
        return "\n\n".join(parts)

    def edit(self) -> tuple[str, list[Path]]:
        """Make the next edit (or a few at once); its kind and the files it touched."""
        if self.mistaken:
            if not self.mended_in:
                return "mended", self.mend()
            self.mended_in -= 1
        if not self.deck:
            self.deck = self.rng.sample(self.kinds, len(self.kinds))
        # A build that fails leaves the output folder alone: it is touched once one passes.
        kinds = [k for k in self.deck if not (self.mistaken and k in ("output", "other build"))]
        if not kinds:
            return "mended", self.mend()
        kind = kinds[-1]
        self.deck.remove(kind)
        if kind == "several":
            edits = [self.edit_one(self.rng.choice(STORY_KINDS)) for _ in range(3)]
            return " + ".join(kind for kind, _ in edits), [p for _, ps in edits for p in ps]
        if kind == "mistake":
            return kind, self.mistake()
        if kind == "site-wide":
            return kind, self.site_wide()
        if kind == "photo":
            return kind, self.photo()
        if kind == "output":
            return kind, self.output()
        if kind == "other build":
            assert self.other_build is not None
            self.other_build(*self.rng.choice(OTHER_BUILDS))
            return kind, []
        return self.edit_one(kind)

    def edit_one(self, kind: str) -> tuple[str, list[Path]]:
        rng = self.rng
        if kind == "new" or not self.stories:
            self.added += 1
            name = f"added-{self.added:03d}.md"
            self.stories[name] = self.new_story()
            return "new", [self.write(name)]
        if kind == "translated":
            return kind, self.translated()
        name = rng.choice(sorted(self.stories))
        story = self.stories[name]
        if kind == "removed":
            del self.stories[name]
            path = self.folder() / name
            path.unlink()
            return kind, [path]
        if kind == "text":
            story.text = self.paragraphs()
        elif kind == "title":
            story.title = self.words(rng.randint(1, 4))
        elif kind == "summary":
            story.summary = self.words(5) + "."
        elif kind == "date":
            story.day = self.new_day(story.day)
        elif kind == "tags":
            story.tags = self.new_tags(story.tags)
        elif kind == "draft":
            story.draft = not story.draft
        elif kind == "picture":
            story.image = not story.image
        else:  # the future: not published yet, or published again
            future = story.day > self.today
            later = self.today + timedelta(days=rng.randint(1, 30))
            story.day = date(2016, 5, 5) if future else later
        return kind, [self.write(name)]

    def new_day(self, day: date) -> date:
        rng = self.rng
        choice = rng.random()
        if choice < 0.5:  # a day or a few: a place or two in the lists
            return day + timedelta(days=rng.choice([-3, -2, -1, 1, 2, 3]))
        if choice < 0.75:  # another story's day: ordered by name among those of that day
            return rng.choice([story.day for story in self.stories.values()])
        return date(2015, 1, 1) + timedelta(days=rng.randrange(3000))

    def new_tags(self, tags: list[str]) -> list[str]:
        rng = self.rng
        choice = rng.random()
        if choice < 0.35 or not tags:
            missing = [tag for tag in TAGS if tag not in tags]
            return [*tags, rng.choice(missing)] if missing else tags[:-1]
        if choice < 0.45:  # one no English story has: its list is made (the Polish one's too)
            english = [story for name, story in self.stories.items() if not name.endswith(".pl.md")]
            had = {tag_slug(tag) for story in english for tag in story.tags}
            fresh = [tag for tag in (*TAGS, f"new {self.words(1)}") if tag_slug(tag) not in had]
            if fresh:
                return [*tags, rng.choice(fresh)]
        if choice < 0.65:
            return [tag for tag in tags if tag != rng.choice(tags)]
        if choice < 0.85:  # spelt otherwise: the tag's name may change on every page
            respelt = {"jobs": "Jobs", "Jobs": "jobs", "small business": "Small-Business"}
            return [respelt.get(tag, tag) for tag in tags]
        return rng.sample(TAGS, rng.randint(0, 3))

    def translated(self) -> list[Path]:
        """A Polish translation added to a story without one, or one removed."""
        rng = self.rng
        polish = [name for name in self.stories if name.endswith(".pl.md")]
        english = [
            name
            for name in self.stories
            if not name.endswith(".pl.md") and f"{name[:-3]}.pl.md" not in self.stories
        ]
        if polish and (not english or rng.random() < 0.4):
            name = rng.choice(sorted(polish))
            del self.stories[name]
            path = self.folder() / name
            path.unlink()
            return [path]
        if not english:
            return []
        translating = rng.choice(sorted(english))
        original, name = self.stories[translating], f"{translating[:-3]}.pl.md"
        self.stories[name] = Story(
            title=f"Po polsku: {original.title}",
            day=original.day,
            summary="Ktoś poprosił o pomoc.",
            tags=rng.sample(["praca", "mentoring", "Odwaga"], rng.randint(0, 2)),
            text="Zażółć gęślą jaźń.",
        )
        return [self.write(name)]

    def site_wide(self) -> list[Path]:
        """A page, a campaign, a UI string or a template edited, or edited back."""
        relative, one, other = self.rng.choice(SITE_WIDE)
        path = (self.site.content / relative).resolve()
        text = path.read_text("utf-8")
        old, new = (one, other) if one in text else (other, one)
        path.write_text(text.replace(old, new, 1), "utf-8")
        return [path]

    def photo(self) -> list[Path]:
        """The photo the stories show, replaced by another of a size of its own."""
        from PIL import Image

        rng = self.rng
        path = self.site.content / "images" / "photo.png"
        size = (rng.choice([320, 600, 1600]), rng.choice([200, 400, 900]))
        Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3))).save(path)
        return [path]

    def output(self) -> list[Path]:
        """A file of the output folder changed or removed by hand: the next build puts it back
        as it was built. No input changed."""
        rng = self.rng
        public = self.site.base / "public"
        files = sorted(p for p in public.rglob("*") if p.is_file() and p.name != MARKER)
        touched = rng.choice(files)
        if rng.random() < 0.5:
            touched.write_bytes(touched.read_bytes()[: rng.randrange(200)] + b"<!-- by hand -->")
        else:
            touched.unlink()
        return []

    def mistake(self) -> list[Path]:
        """A story written with a date that is none: the build stops until it is mended, after
        up to two more edits."""
        if not self.stories:
            return self.edit_one("new")[1]
        # Left alone by other edits until mended.
        name = self.rng.choice(sorted(self.stories))
        self.mistaken[name] = self.stories.pop(name)
        self.mended_in = self.rng.randint(0, 2)
        path = self.folder() / name
        path.write_text(self.mistaken[name].source().replace("date: ", "date: 31.02.", 1), "utf-8")
        return [path]

    def mend(self) -> list[Path]:
        name, story = self.mistaken.popitem()
        self.stories[name] = story
        return [self.write(name)]


def started(
    site: Site,
    seed: int,
    today: date = TODAY,
    kinds: tuple[str, ...] = KINDS,
    other_build: Callable[[str, tuple[str, ...]], None] | None = None,
    stories: int = 24,
) -> Sequence:
    """A sequence whose own stories join the fixture's."""
    sequence = Sequence(site, random.Random(seed), today, kinds, other_build)
    for _ in range(stories):
        sequence.edit_one("new")
    return sequence


def run(
    sequence: Sequence,
    build: Callable[[list[Path]], object],
    steps: int,
    reference: Callable[[], dict[str, bytes]] | None = None,
) -> list[str]:
    """Edit and build `steps` times, checking each build's output against a cold build's
    (`reference`, by default the site's); the kinds of edit made, in order. While a story has
    a mistake, `build` must fail, and the output stays as the last build that passed left it.
    """
    site = sequence.site
    reference = reference or site.reference
    build([])
    built = snapshot(site.base / "public")
    assert built == reference()
    made = []
    for step in range(steps):
        kind, paths = sequence.edit()
        made.append(kind)
        if sequence.mistaken:
            with pytest.raises(ContentError) as raised:
                build(paths)
            assert any("'date' must be a date" in p.message for p in raised.value.problems)
            assert snapshot(site.base / "public") == built, f"step {step}: {made}"
        else:
            try:
                build(paths)
            except ContentError as error:
                pytest.fail(f"step {step}: {made}: {[str(p) for p in error.problems]}")
            built = snapshot(site.base / "public")
            assert built == reference(), f"step {step}: {made}"
        # The next build, in this process, is a new command line's: what a check saw is not
        # its to take.
        noop._seen.clear()
        noop._answers.clear()
    if sequence.mistaken:
        build(sequence.mend())
        assert snapshot(site.base / "public") == reference(), f"mended at last: {made}"
    return made


@pytest.fixture
def whole_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the builds that make the whole model (one entry each)."""
    counted: list[int] = []
    whole = Builder._build

    def counting(self: Builder, *args: Any, **kwargs: Any) -> Any:
        counted.append(1)
        return whole(self, *args, **kwargs)

    monkeypatch.setattr(Builder, "_build", counting)
    return counted


STEPS = 2 * len(KINDS)


@pytest.mark.parametrize("seed", range(SCALE))
def test_a_new_builder_for_each_edit_builds_what_a_cold_build_does(
    site: Site, seed: int, whole_builds: list[int]
) -> None:
    def other_build(cache: str, flags: tuple[str, ...]) -> None:
        build_site(
            site.options(cache=cache, drafts="--drafts" in flags, future="--future" in flags)
        )

    sequence = started(site, seed, other_build=other_build)
    made = run(sequence, lambda _: site.build(), steps=STEPS)
    assert sorted(set(made) & {*KINDS, "mended"}) == sorted({*KINDS, "mended"} - {"several"})
    # Edits of what one story shows (its text, title, date, tags) are built from the saved
    # pages, without the whole model, unless they change what else the site has.
    assert 0 < len(whole_builds) <= STEPS - STEPS // 5


@pytest.mark.parametrize("seed", range(100, 100 + SCALE))
def test_a_long_lived_builder_told_of_each_edit_builds_what_a_cold_build_does(
    site: Site, seed: int, whole_builds: list[int]
) -> None:
    # Told of every change, it does not look at the output folder again.
    kinds = tuple(kind for kind in KINDS if kind not in ("output", "other build"))
    sequence = started(site, seed, kinds=kinds)
    builder = Builder(site.options(), keep_model=True)
    made = run(sequence, lambda paths: builder.build([p.resolve() for p in paths]), steps=STEPS)
    assert len(made) == STEPS
    assert 0 < len(whole_builds) <= STEPS - STEPS // 5
    assert builder.build().written == 0


@pytest.mark.parametrize("seed", range(200, 200 + SCALE))
def test_the_command_line_after_each_edit_builds_what_a_cold_build_does(
    site: Site, seed: int
) -> None:
    command = [sys.executable, str(ROOT / "build.py"), "build"]
    command += ["--content", str(site.content), "--templates", str(site.templates)]
    command += ["--output", str(site.base / "public")]

    def cli(cache: str, *flags: str) -> subprocess.CompletedProcess[str]:
        asked = [*command, "--cache", str(site.base / cache), *flags]
        return subprocess.run(asked, capture_output=True, text=True, check=False)

    def other_build(cache: str, flags: tuple[str, ...]) -> None:
        other = cli(cache, *flags)
        assert other.returncode == 0, other.stderr

    sequence = started(site, seed, today=date.today(), other_build=other_build)

    def build(_: list[Path]) -> None:
        done = cli("cache")
        if done.returncode == 1 and "nothing was written" in done.stderr:
            raise ContentError([Problem(Path("-"), None, done.stderr)])
        assert done.returncode == 0, done.stderr

    def reference() -> dict[str, bytes]:
        # As the command line builds: as of today.
        options = site.options("reference", cache="reference-cache")
        return files_written(dataclasses.replace(options, today=None))

    made = run(sequence, build, steps=len(KINDS), reference=reference)
    assert len(made) == len(KINDS)
