"""Which files of images/ a text names, and how its image addresses lead there."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sitegen.content.schema import Document
from sitegen.markdown.images import address_of, image_name, mentioned_images
from sitegen.markdown.texts import DocumentWithImages, shown_images, stripped

STORY = Document("stories", "x", "en", Path("content/stories/x.md"), "T", "S")
DEEP_PAGE = Document("pages", "help/money", "en", Path("content/pages/help/money.md"), "T", "S")


def test_a_text_without_images_mentions_none() -> None:
    assert mentioned_images("Words, [a link](/en/) and `code`.\n") == ()


def test_every_way_of_naming_an_image_is_found() -> None:
    text = (
        '![A](../images/a.jpg "Title") and ![B](<../images/my photo.png>)\n'
        "![C][c]\n\n[c]: ../images/c.webp\n"
        '<img src="../images/d.jpg?v=2" alt="D">\n'
        "![E](../images/e%20f.jpg#top) ![F](../images/sub/g.jpg)\n"
    )
    found = ("a.jpg", "c.webp", "d.jpg", "e f.jpg", "my photo.png")
    assert mentioned_images(text) == found


@pytest.mark.parametrize(
    ("doc", "src", "name"),
    [
        (STORY, "../images/a.jpg", "a.jpg"),
        (STORY, "../images/a%20b.jpg?x=1#top", "a b.jpg"),
        (STORY, "./../images/a.jpg", "a.jpg"),
        (STORY, "images/a.jpg", None),
        (STORY, "/images/a.jpg", None),
        (STORY, "../images/sub/a.jpg", None),
        (STORY, "../../images/a.jpg", None),
        (STORY, "https://example.org/images/a.jpg", None),
        (STORY, "", None),
        (DEEP_PAGE, "../../images/a.jpg", "a.jpg"),
        (DEEP_PAGE, "../images/a.jpg", None),
    ],
)
def test_an_address_names_a_file_of_images_relative_to_the_text(
    doc: Document, src: str, name: str | None
) -> None:
    assert image_name(doc, src) == name


def test_the_address_to_write_depends_on_the_folder() -> None:
    assert address_of(STORY, "a.jpg") == "../images/a.jpg"
    assert address_of(DEEP_PAGE, "a.jpg") == "../../images/a.jpg"


def test_a_stripped_document_keeps_the_names_of_its_images() -> None:
    plain = Document("stories", "x", "en", Path("x.md"), "T", "S", body="Just words.\n")
    pictured = Document("stories", "x", "en", Path("x.md"), "T", "S", body="![A](../images/a.jpg)")
    assert type(stripped(plain)) is Document
    assert stripped(plain).body == ""
    kept = stripped(pictured)
    assert isinstance(kept, DocumentWithImages)
    assert (kept.body, kept.body_images, shown_images(kept)) == ("", ("a.jpg",), ("a.jpg",))
    assert shown_images(pictured) == ("a.jpg",)
    assert stripped(kept) is kept
    # Read again without images, it is a plain document once more.
    again = stripped(dataclasses.replace(kept, body="No image now."))
    assert type(again) is Document
