"""Images of a text become the same `<picture>` as front-matter images, or content errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.content.schema import Document
from sitegen.errors import Problem
from sitegen.markdown.texts import converted as render_markdown
from sitegen.options import TEMPLATES
from sitegen.render.images import ImageSet, process_images
from sitegen.render.pictures import PICTURE, SIZES, with_pictures
from sitegen.render.templates import make_environment

FIXTURE = Path(__file__).resolve().parents[1] / "fixture"
PATH = Path("content/stories/x.md")


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ImageSet]:
    files = {"photo.png": FIXTURE / "images" / "photo.png"}
    return process_images(files, files, tmp_path_factory.mktemp("cache"))


def pictured(text: str, images: dict[str, ImageSet]) -> tuple[str, list[Problem]]:
    doc = Document("stories", "x", "en", PATH, "T", "S", body=text, body_line=6)
    picture = make_environment(TEMPLATES).get_template(PICTURE).module.picture  # type: ignore[attr-defined]
    return with_pictures(doc, render_markdown(text), images, picture)


def test_an_image_gets_every_width_and_format_as_in_front_matter(
    images: dict[str, ImageSet],
) -> None:
    html, problems = pictured(
        'Before.\n\n![A green field](../images/photo.png "Seen"){: #f }', images
    )
    photo = images["photo.png"]
    assert problems == []
    assert html == (
        "<p>Before.</p>\n<p><picture>\n"
        f'<source type="image/webp" srcset="{photo.srcset("image/webp")}" sizes="{SIZES}">\n'
        f'<img src="{photo.fallback.url}" srcset="{photo.srcset("image/png")}" sizes="{SIZES}"'
        ' width="600" height="400" alt="A green field" id="f" title="Seen"'
        ' loading="lazy" decoding="async">\n</picture>\n</p>'
    )
    assert photo.srcset("image/webp").count("w, ") == 1


def test_alt_text_is_escaped_once(images: dict[str, ImageSet]) -> None:
    html, _ = pictured('![Tom & "Jerry" <3](../images/photo.png)', images)
    assert 'alt="Tom &amp; &#34;Jerry&#34; &lt;3"' in html


def test_a_text_without_images_is_left_as_it_is(images: dict[str, ImageSet]) -> None:
    text = "Words and `![not an image](../images/photo.png)`."
    assert pictured(text, images) == (render_markdown(text), [])


ALT_HINT = "describe what the image shows, for people who cannot see it: ![What it shows]({})"
CASES = {
    "missing": (
        "Intro.\n\n![A cat](../images/cat.jpg)",
        [
            Problem(
                PATH,
                8,
                "image 'cat.jpg' not found",
                "put the file in the images/ folder, or fix the name (it is case-sensitive)",
            )
        ],
    ),
    "no alt": (
        "![](../images/photo.png)",
        [
            Problem(
                PATH,
                6,
                "the image '../images/photo.png' has no alt text",
                ALT_HINT.format("../images/photo.png"),
            )
        ],
    ),
    "blank alt, in HTML": (
        'One.\n<img src="../images/photo.png" alt="  ">',
        [
            Problem(
                PATH,
                7,
                "the image '../images/photo.png' has no alt text",
                ALT_HINT.format("../images/photo.png"),
            )
        ],
    ),
    "remote": (
        "![A cat](https://example.org/cat.jpg)",
        [
            Problem(
                PATH,
                6,
                "the image 'https://example.org/cat.jpg' is on another site, and browsers"
                " block it here",
                "save the file in content/images/ and write ![...](../images/photo.jpg)",
            )
        ],
    ),
    "outside images/": (
        "![A cat](cat.jpg)",
        [
            Problem(
                PATH,
                6,
                "the image 'cat.jpg' is not in images/",
                "put the file in content/images/ and write its path from this file:"
                " ../images/photo.jpg",
            )
        ],
    ),
    "data address": (
        "Intro.\n\n![A dot](data:image/png;base64,AAAA)",
        [
            Problem(
                PATH,
                8,
                "an image has no file to show",
                "only files of content/images/ can be shown: write ![...](../images/photo.jpg)",
            )
        ],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_an_image_that_cannot_be_shown_is_a_problem_at_its_line(
    case: str, images: dict[str, ImageSet]
) -> None:
    text, expected = CASES[case]
    html, problems = pictured(text, images)
    assert problems == expected
    assert html == render_markdown(text)
