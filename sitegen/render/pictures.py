"""Images in a page's text, made responsive as front-matter images are: several widths in WebP
and the original format, their sizes, lazy loading. An image that cannot be shown so is a
content error at its line."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping

from sitegen.content.schema import Document
from sitegen.errors import Problem
from sitegen.markdown.images import address_of, image_name
from sitegen.markdown.texts import body_text
from sitegen.render.images import ImageSet

# The macro that writes every `<picture>` of the site, and its `sizes` for the text column.
PICTURE = "partials/picture.html"
SIZES = "(min-width: 48rem) 46rem, 100vw"
# An `<img>` tag as nh3 writes it, every value in double quotes; its attributes.
_IMG = re.compile(r'<img((?:\s+[\w:.-]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE = re.compile(r'\s+([\w:.-]+)(?:="([^"]*)")?')
_KEPT = ("id", "class", "title", "lang", "dir")
_REMOTE = ("http:", "https:", "//")
_ALT_HINT = "describe what the image shows, for people who cannot see it: ![What it shows]({})"

Picture = Callable[..., str]


def with_pictures(
    doc: Document, body: str, images: Mapping[str, ImageSet], picture: Picture
) -> tuple[str, list[Problem]]:
    """The text's HTML with a `<picture>` for each image, and a problem for each that has none."""
    problems: list[Problem] = []

    def replace(tag: re.Match[str]) -> str:
        attributes = {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(tag[1])}
        src, alt = attributes.get("src", ""), attributes.get("alt", "").strip()
        name = image_name(doc, src)
        found = _problems(doc, src, name, alt, images)
        if found or name is None:
            problems.extend(found)
            return tag[0]
        kept = {key: value for key, value in attributes.items() if key in _KEPT}
        return str(picture(images[name], alt, SIZES, attributes=kept))

    return _IMG.sub(replace, body), problems


def _problems(
    doc: Document, src: str, name: str | None, alt: str, images: Mapping[str, ImageSet]
) -> list[Problem]:
    where = _line(doc, src or "![")
    example = address_of(doc, name or "photo.jpg")
    problems = []
    if not src:
        hint = f"only files of content/images/ can be shown: write ![...]({example})"
        problems.append(Problem(doc.path, where, "an image has no file to show", hint))
    elif src.startswith(_REMOTE):
        # The site's Content-Security-Policy (infra/template.yaml) says `img-src 'self' data:`:
        # browsers would not load it, and loading it would tell another site who reads the page.
        hint = f"save the file in content/images/ and write ![...]({example})"
        message = f"the image '{src}' is on another site, and browsers block it here"
        problems.append(Problem(doc.path, where, message, hint))
    elif name is None:
        hint = f"put the file in content/images/ and write its path from this file: {example}"
        problems.append(Problem(doc.path, where, f"the image '{src}' is not in images/", hint))
    elif name not in images:
        hint = "put the file in the images/ folder, or fix the name (it is case-sensitive)"
        problems.append(Problem(doc.path, where, f"image '{name}' not found", hint))
    if not alt:
        hint = _ALT_HINT.format(src or example)
        message = f"the image '{src or name}' has no alt text"
        problems.append(Problem(doc.path, where, message, hint))
    return problems


def _line(doc: Document, needle: str) -> int:
    """The line of the text that names the image (its first if none does)."""
    for number, line in enumerate(body_text(doc).split("\n")):
        if needle in line:
            return doc.body_line + number
    return doc.body_line
