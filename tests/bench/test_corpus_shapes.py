"""The benchmark's corpus shapes, and goals judged on the worst of them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench import corpus, report
from bench.measure import Measure
from sitegen.incremental.builder import build_site
from sitegen.options import BuildOptions

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("shape", list(corpus.SHAPES.values()), ids=list(corpus.SHAPES))
def test_every_shape_is_a_corpus_that_builds(tmp_path: Path, shape: corpus.Shape) -> None:
    content, hugo = tmp_path / "content", tmp_path / "hugo"
    corpus.make_corpus(12, content, hugo, ROOT / "content", shape)

    files = sorted((content / "stories").glob("story-*.md"))
    assert len(files) == 12
    assert sorted(p.name for p in (hugo / "content" / "stories").iterdir()) == [
        p.name for p in files
    ]
    assert (content / "site.yaml").exists() == shape.with_site
    result = build_site(BuildOptions(content, tmp_path / "public", cache=tmp_path / "cache"))
    assert result.pages > 12
    slug = "story-00001"
    assert (content / "stories" / corpus.file_of(slug, shape)).exists()


@pytest.mark.parametrize("shape", ["tags", "short"])
def test_hugo_gets_the_sites_photos_to_resize_when_the_shape_has_the_site(
    tmp_path: Path, shape: str
) -> None:
    content, hugo = tmp_path / "content", tmp_path / "hugo"
    corpus.make_corpus(3, content, hugo, ROOT / "content", corpus.SHAPES[shape])

    ours = sorted(p.name for p in (content / "images").glob("*")) if content.exists() else []
    theirs = sorted(p.name for p in (hugo / "assets" / "images").glob("*"))
    assert theirs == ours
    assert bool(ours) == corpus.SHAPES[shape].with_site
    if shutil.which("hugo") is None or not ours:
        return
    public = tmp_path / "public"
    subprocess.run(
        ["hugo", "--quiet", "--source", str(hugo), "--destination", str(public)], check=True
    )
    # Each photo 1,600 pixels wide, as this project makes it: 480, 960 and 1440, two formats.
    made = [[*re.findall(r"_(\d+)x0_", p.name), p.suffix] for p in (public / "images").iterdir()]
    each = [[width, ext] for width in ("1440", "480", "960") for ext in (".jpg", ".webp")]
    assert sorted(made) == sorted(each * len(ours))


def test_shapes_differ_in_what_they_claim() -> None:
    def text_of(shape: str) -> list[str]:
        return [text for _, text in corpus.stories(30, corpus.SHAPES[shape])]

    def mean_length(shape: str) -> float:
        texts = text_of(shape)
        return sum(map(len, texts)) / len(texts)

    assert mean_length("front-matter") < 500 < mean_length("short") < mean_length("site")
    assert mean_length("site") * 3 < mean_length("long")
    links = {shape: sum(t.count("](https://") for t in text_of(shape)) for shape in corpus.SHAPES}
    assert links["inline"] > 3 * links["site"]
    tags = {tag for text in text_of("tags") for tag in text.split("tags: [")[1][:-1].split(", ")}
    assert len(tags) > 100
    names = [name for name, _ in corpus.stories(6, corpus.SHAPES["translated"])]
    assert names == [f"story-0000{i}.{lang}" for i in (0, 1) for lang in ("en", "de", "pl")]


def test_the_default_shape_writes_what_it_always_wrote() -> None:
    # Figures from before shapes existed stay comparable: story 7 of the default shape.
    slug, text = corpus.story(7)
    assert slug == "story-00007"
    assert corpus.story(7, corpus.SHAPES["site"]) == (slug, text)
    assert corpus.story(7, corpus.SHAPES["short"]) != (slug, text)


def figures(ours_cold: float, hugo_cold: float, peak: int = 10) -> dict[str, dict[str, object]]:
    return {
        "ours": {"cold": Measure(ours_cold, peak, 0), "serve": 0.1},
        "hugo": {"cold": Measure(hugo_cold, 1000, 0)},
    }


def test_builds_that_find_the_photos_made_compare_with_hugos_of_that_kind() -> None:
    site = figures(2.0, 4.0)
    site["ours"]["photos"] = Measure(1.4, 10, 0)
    site["hugo"]["photos"] = Measure(1.0, 500, 0)
    site["ours"]["noop"] = Measure(0.1, 10, 0)
    results = {"site": {1000: site}, "short": {1000: figures(1.2, 1.0)}}

    lines = report.goals(results)  # type: ignore[arg-type]
    [cold] = [line for line in lines if line.startswith("cold build, 1,000 ")]
    assert "1.20x" in cold
    assert "worst: short" in cold
    # The shape without photos counts with its cold build.
    [photos] = [line for line in lines if line.startswith("cold build, 1,000, photos made")]
    assert "1.40x" in photos
    assert "PASS" in photos
    assert "worst: site" in photos
    assert any("site 1.40x, short 1.20x" in line for line in lines)
    rows = report.size_table(1000, site)  # type: ignore[arg-type]
    [row] = [row for row in rows if row.startswith("cold, photos made")]
    assert "1.40x" in row
    assert report.PHOTOS_NOTE in rows
    # Every other figure is a multiple of Hugo's build with the photos made, the smaller.
    [noop] = [row for row in rows if row.startswith("rebuild, nothing changed")]
    assert "0.10x" in noop
    assert report.goal_value(site, "peak", "cold") == 10 / 500  # type: ignore[arg-type]
    [cold_row] = [row for row in rows if row.startswith("cold build")]
    assert "0.50x" in cold_row
    plain = report.size_table(1000, figures(1.2, 1.0))  # type: ignore[arg-type]
    assert not any("photos" in row for row in plain)


def test_a_goal_is_judged_on_the_worst_shape() -> None:
    results = {
        "site": {1000: figures(1.2, 1.0)},
        "short": {1000: figures(1.8, 1.0)},
    }
    lines = report.goals(results)  # type: ignore[arg-type]

    [cold_1000] = [line for line in lines if line.startswith("cold build, 1,000 ")]
    assert "1.80x" in cold_1000
    assert "MISS" in cold_1000
    assert "worst: short" in cold_1000
    assert any("site 1.20x, short 1.80x" in line for line in lines)
    assert any(line.startswith("cold build, 10,000 ") and "not measured" in line for line in lines)
