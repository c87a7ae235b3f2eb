"""The benchmark's corpus shapes, and goals judged on the worst of them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench import build, corpus, report
from bench.measure import Measure
from sitegen.incremental.builder import build_site
from sitegen.options import BuildOptions
from sitegen.render import images

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
    # Either copy says the same: the benchmark then times builds with the photos made.
    for name, source in (("ours", content), ("hugo", hugo)):
        tool = build.Tool(name, source, tmp_path / "out", tmp_path / "cache")
        assert build.has_photos(tool) == bool(ours)


# Originals narrower and wider than every width, between them and equal to one, in each
# format this project takes.
ORIGINALS = [(300, "png"), (480, "jpg"), (1200, "webp"), (1440, "jpg"), (2000, "png")]


def test_hugo_makes_the_variants_this_project_makes(tmp_path: Path) -> None:
    if shutil.which("hugo") is None:
        pytest.skip("hugo is not installed (sudo apt-get install hugo)")
    from PIL import Image

    base = tmp_path / "base"
    shutil.copytree(ROOT / "content", base)
    for width, ext in ORIGINALS:
        Image.new("RGB", (width, width // 2), "teal").save(base / "images" / f"w{width}.{ext}")
    content, hugo = tmp_path / "content", tmp_path / "hugo"
    corpus.make_corpus(3, content, hugo, base, corpus.SHAPES["site"])
    public, cache = tmp_path / "public", tmp_path / "hugo-cache"
    command = ["hugo", "--quiet", "--source", str(hugo), "--destination", str(public)]
    subprocess.run([*command, "--cacheDir", str(cache)], check=True)

    made: dict[str, set[tuple[int, str, str]]] = {}
    for path in (public / "images").iterdir():
        width, quality = re.findall(r"_(\d+)x0_resize_(q\d+)_", path.name)[0]
        assert "_lanczos" in path.name
        made.setdefault(path.name.split("_")[0], set()).add((int(width), quality, path.suffix))
    for width, ext in ORIGINALS:
        webp = {(w, "q80", ".webp") for w in images._widths(width)}
        own = {(w, "q82", f".{ext}") for w in images._widths(width)} if ext != "webp" else set()
        assert made[f"w{width}"] == webp | own, (width, ext)
    # The site's own photos, 1,600 pixels wide.
    every = {(w, q, s) for w in (480, 960, 1440) for q, s in (("q80", ".webp"), ("q82", ".jpg"))}
    assert made["linkedout"] == every


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
