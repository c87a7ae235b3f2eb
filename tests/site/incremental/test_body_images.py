"""Images in texts: made once however many pages show them, and pages follow their changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from functions.help_requests.contract import CONTRACT_PATH
from sitegen.errors import ContentError
from sitegen.incremental.builder import Builder
from sitegen.options import TEMPLATES
from sitegen.render import images
from tests.site.incremental.test_builder import FIXTURE, Site, snapshot, story

SHOWN = 12


def pictured_story(number: int) -> str:
    return story(number) + f"\n![A painted square, number {number}](../images/square.png)\n"


def paint(path: Path, colour: str) -> None:
    Image.new("RGB", (800, 500), colour).save(path)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    shutil.copytree(FIXTURE, tmp_path / "content")
    shutil.copytree(TEMPLATES, tmp_path / "templates", ignore=shutil.ignore_patterns("js"))
    shutil.copy(CONTRACT_PATH, tmp_path / "openapi.yaml")
    paint(tmp_path / "content" / "images" / "square.png", "navy")
    paint(tmp_path / "content" / "images" / "circle.png", "olive")
    for number in range(SHOWN):
        (tmp_path / "content" / "stories" / f"shows-{number:02d}.md").write_text(
            pictured_story(number)
        )
    (tmp_path / "content" / "stories" / "plain.md").write_text(story(99))
    return Site(tmp_path)


def pages_showing(files: dict[str, bytes], url: bytes) -> set[str]:
    return {name for name, data in files.items() if name.endswith(".html") and url in data}


def test_an_image_shown_by_many_texts_is_made_once(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Path] = []
    make = images._make_variants

    def counted(path: Path, folder: Path) -> None:
        made.append(path)
        make(path, folder)

    monkeypatch.setattr(images, "_make_variants", counted)
    site.build(jobs=2)
    assert sorted(path.name for path in made) == ["photo.png", "square.png"]
    built = snapshot(site.base / "public")
    assert built == site.reference()
    variants = [name for name in built if name.startswith("images/square-")]
    assert len(variants) == 4  # 480 and 800 wide, WebP and PNG
    stories = {f"en/stories/shows-{n:02d}/index.html" for n in range(SHOWN)}
    assert stories <= pages_showing(built, variants[0].encode())
    # An image in images/ that nothing shows is not published.
    assert not [name for name in built if name.startswith("images/circle-")]


def test_a_changed_image_rerenders_the_pages_that_show_it(site: Site) -> None:
    site.build()
    before = snapshot(site.base / "public")
    paint(site.content / "images" / "square.png", "maroon")
    site.build()
    after = snapshot(site.base / "public")
    assert after == site.reference()
    changed = {name for name in after if before.get(name) != after[name]}
    assert {f"en/stories/shows-{n:02d}/index.html" for n in range(SHOWN)} <= changed
    assert not [name for name in after if name in before and name.startswith("images/square-")]


def test_a_text_edit_that_shows_another_image_makes_it(site: Site) -> None:
    builder = Builder(site.options(), keep_model=True)
    builder.build()
    site.edit(
        "content/stories/plain.md", "- a\n", "- a\n\n![An olive circle](../images/circle.png)\n"
    )
    builder.build({(site.content / "stories" / "plain.md").resolve()})
    after = snapshot(site.base / "public")
    assert after == site.reference()
    assert b'alt="An olive circle"' in after["en/stories/plain/index.html"]
    assert [name for name in after if name.startswith("images/circle-")]


def test_a_long_lived_builder_told_of_an_image_change_rerenders(site: Site) -> None:
    builder = Builder(site.options(), keep_model=True)
    builder.build()
    paint(site.content / "images" / "square.png", "teal")
    builder.build({(site.content / "images" / "square.png").resolve()})
    assert snapshot(site.base / "public") == site.reference()


def test_a_missing_image_stops_a_rebuild_before_anything_changes(site: Site) -> None:
    site.build()
    before = snapshot(site.base / "public")
    site.edit("content/stories/shows-03.md", "images/square.png", "images/sqaure.png")
    with pytest.raises(ContentError) as caught:
        site.build()
    assert caught.value.format(site.base).startswith(
        "content/stories/shows-03.md:14: image 'sqaure.png' not found\n"
    )
    assert snapshot(site.base / "public") == before


def test_a_change_to_the_picture_markup_reaches_every_page_showing_an_image(site: Site) -> None:
    about = site.content / "pages" / "about.en.md"
    about.write_text(about.read_text("utf-8") + "\n![A navy square](../images/square.png)\n")
    site.build()
    site.edit("templates/partials/picture.html", "<picture>", '<picture class="shown">')
    site.build()
    after = snapshot(site.base / "public")
    assert after == site.reference()
    assert b'<picture class="shown">' in after["en/about/index.html"]


def test_an_error_in_the_picture_template_is_a_content_error_at_its_line(site: Site) -> None:
    picture = site.templates / "partials" / "picture.html"
    lines = picture.read_text("utf-8").splitlines(keepends=True)
    lines.insert(1, "{{ 'x'|no_such_filter }}\n")  # found when compiled, not when parsed
    picture.write_text("".join(lines), "utf-8")
    with pytest.raises(ContentError) as raised:
        site.build()
    [problem] = raised.value.problems
    assert (problem.path, problem.line) == (picture, 2)
    assert "no_such_filter" in problem.message
    assert not (site.base / "public").exists()
