"""The images a text shows: files of content/images/, named by a path relative to the text's
own file (`![A kitchen](../images/kitchen.jpg)` in stories/), as a Markdown preview finds them."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

from sitegen.content.schema import Document

FOLDER = "images"
# Wherever a text names a file of images/: in an image, a reference or an HTML tag, and in code
# too. More than the converter makes into images, so that every image is ready for the page.
_MENTION = re.compile(r"images/([^\n)\"'<>\]]+)")


def mentioned_images(text: str) -> tuple[str, ...]:
    """The names of files of images/ a text mentions (some may not exist)."""
    if "images/" not in text:
        return ()
    names = {_file_name(match.group(1)) for match in _MENTION.finditer(text)}
    return tuple(sorted(name for name in names if name and "/" not in name))


def image_name(doc: Document, src: str) -> str | None:
    """The file of images/ an image's address names, relative to the document's file; or None."""
    try:
        path = unquote(urlsplit(src).path)
    except ValueError:  # a host urllib refuses (`//[x`): not a file of images/
        return None
    if not path or path.startswith("/"):
        return None
    head, _, name = posixpath.normpath(posixpath.join(folder_of(doc), path)).partition("/")
    return name if head == FOLDER and name and "/" not in name else None


def folder_of(doc: Document) -> str:
    """The document's folder inside the content folder: `stories`, `pages/help`."""
    return posixpath.join(doc.kind, *doc.slug.split("/")[:-1])


def address_of(doc: Document, name: str) -> str:
    """How the document names a file of images/: `../images/x.jpg` from stories/."""
    return "../" * (folder_of(doc).count("/") + 1) + f"{FOLDER}/{name}"


def _file_name(mention: str) -> str:
    return unquote(mention.split("?")[0].split("#")[0].strip())
