"""Images planned without being made have the names and sizes they get when made."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sitegen.render.images import ImageSet, process_images

ROOT = Path(__file__).resolve().parents[3]


def _shape(sets: Mapping[str, ImageSet]) -> dict[str, list[tuple[str, int, int, str]]]:
    return {
        name: [(v.url, v.width, v.height, v.mime) for v in image.variants]
        for name, image in sets.items()
    }


def test_a_plan_matches_what_is_made_and_writes_nothing(tmp_path: Path) -> None:
    files = {path.name: path for path in sorted((ROOT / "content" / "images").iterdir())}
    assert len(files) >= 3
    planned = process_images(files, files, tmp_path / "plan", write=False)
    assert not (tmp_path / "plan").exists()
    made = process_images(files, files, tmp_path / "made")
    assert _shape(planned) == _shape(made)
    assert all(v.cached.is_file() for image in made.values() for v in image.variants)
    # Once made, a plan reads the cache instead.
    again = process_images(files, files, tmp_path / "made", write=False)
    assert again == made
