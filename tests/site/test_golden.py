"""One whole build of a small fixture site, compared file by file with the checked-in output.

Regenerate the expected files after an intended change with `UPDATE_GOLDEN=1 pytest tests/site`.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from sitegen.incremental.builder import build_site
from sitegen.incremental.write import MARKER
from sitegen.options import TEMPLATES, BuildOptions

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixture"
GOLDEN = HERE / "golden"
BINARY = {".png", ".jpg", ".webp"}
IMAGES = "images.txt"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("golden")
    templates = base / "templates"
    # Scripts change on their own schedule; the golden pages are about markup, so leave them out.
    shutil.copytree(TEMPLATES, templates, ignore=shutil.ignore_patterns("js"))
    options = BuildOptions(
        content=FIXTURE,
        output=base / "public",
        templates=templates,
        cache=base / "cache",
        today=date(2024, 6, 1),
    )
    build_site(options)
    return options.output


def snapshot(folder: Path) -> dict[str, str]:
    """Text files by path; binary images as one listing of names and sizes."""
    files: dict[str, str] = {}
    images = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if path.suffix in BINARY:
            with Image.open(path) as image:
                images.append(f"{name} {image.format} {image.width}x{image.height}")
        elif name == MARKER:
            files[name] = ""  # names the build that wrote the folder last
        else:
            files[name] = path.read_text("utf-8")
    if images:
        files[IMAGES] = "\n".join(images) + "\n"
    return files


def write_golden(files: dict[str, str]) -> None:
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for name, text in files.items():
        (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
        (GOLDEN / name).write_text(text, "utf-8")


def test_build_matches_the_golden_output(built: Path) -> None:
    actual = snapshot(built)
    if os.environ.get("UPDATE_GOLDEN"):
        write_golden(actual)
    expected = snapshot(GOLDEN)
    assert sorted(actual) == sorted(expected)
    for name, text in expected.items():
        assert actual[name] == text, f"{name} differs from tests/site/golden/{name}"


def test_drafts_and_future_pages_stay_out(built: Path) -> None:
    assert not (built / "en/stories/draft").exists()
    assert not (built / "en/stories/future").exists()
    assert (built / "en/stories/one/index.html").is_file()
