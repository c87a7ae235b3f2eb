"""Document text kept apart from the site model: cache keys, and the text read again on demand."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

from sitegen.classes import dataclass
from sitegen.content.frontmatter import body
from sitegen.content.load import read_text
from sitegen.content.schema import Document
from sitegen.digest import digest
from sitegen.errors import ContentError, Problem
from sitegen.markdown.cache import HtmlCache, markdown_version
from sitegen.markdown.images import mentioned_images
from sitegen.markdown.plain import plain_paragraphs


@dataclass(frozen=True)
class DocumentWithImages(Document):
    """A document kept without its text, with the files of images/ the text mentions."""

    body_images: tuple[str, ...] = ()


# Every class of document the model holds.
DOCUMENT_TYPES: tuple[type[Document], ...] = (Document, DocumentWithImages)


def stripped(doc: Document) -> Document:
    """The document without its text, as the model and the build state keep it: with the
    names of the images the text shows, if it shows any."""
    if not doc.body:
        return doc
    names = mentioned_images(doc.body)
    if not names and type(doc) is Document:
        return dataclasses.replace(doc, body="")
    fields = {field.name: getattr(doc, field.name) for field in dataclasses.fields(Document)}
    fields["body"] = ""
    return DocumentWithImages(**fields, body_images=names) if names else Document(**fields)


def shown_images(doc: Document) -> tuple[str, ...]:
    """The names of the files of images/ a document's text mentions."""
    if isinstance(doc, DocumentWithImages):
        return doc.body_images
    return mentioned_images(doc.body)


def markdown_key(body: str) -> str:
    """The cache key of a body's HTML: its Markdown and the code that converts it."""
    return digest(markdown_version(), body)


def keyed_text(path: Path) -> tuple[str, str] | None:
    """A Markdown file's body and its cache key; None for a file that cannot be read or
    split, which its page says why of."""
    try:
        text = body(read_text(path), path)
    except ContentError:
        return None
    return text, markdown_key(text)


def cacheable_text(path: Path) -> tuple[str, str] | None:
    """`keyed_text`, when converting the text ahead of its page is worth it: None for plain
    paragraphs (`sitegen.markdown.plain`), which a page holding the text converts faster than
    it would find them in the cache."""
    found = keyed_text(path)
    if found is None or plain_paragraphs(found[0]) is not None:
        return None
    return found


def body_text(doc: Document) -> str:
    """A document's Markdown, read again from its file when the model holds it without."""
    if doc.body:
        return doc.body
    return body(read_text(doc.path), doc.path)


def with_text(doc: Document) -> Document:
    """The document with its text, for errors that quote it."""
    return doc if doc.body else dataclasses.replace(doc, body=body_text(doc))


def html_of(
    docs: Iterable[Document], keys: Mapping[Path, str], markdown: HtmlCache
) -> dict[Path, str]:
    """Body HTML of some documents, from the cache or converted now; ContentError for those
    that cannot be converted."""
    wanted = list(docs)
    cached = markdown.get_many(keys[doc.path] for doc in wanted)
    html: dict[Path, str] = {}
    problems = []
    for doc in wanted:
        found = cached.get(keys[doc.path])
        try:
            html[doc.path] = converted(body_text(doc)) if found is None else found
        except TooDeep:
            problems.append(too_deep(doc))
    if problems:
        raise ContentError(problems)
    return html


def converted(text: str) -> str:
    """Markdown text as HTML that cannot run scripts; external links get rel="noopener".
    Texts of plain paragraphs are converted without Python-Markdown, to the same HTML."""
    plain = plain_paragraphs(text)
    return markdown_html(text) if plain is None else plain


def markdown_html(text: str) -> str:
    """`converted` for a text that is not plain paragraphs: written directly when it holds
    nothing but what `sitegen.markdown.simple` converts, to the same HTML."""
    # Here, not at the top: a rebuild after an edit whose text is cached converts none (1 ms).
    from sitegen.markdown.simple import simple_markdown

    html = simple_markdown(text)
    return with_markdown(text) if html is None else html


class TooDeep(Exception):
    """A text nests lists (or other blocks) deeper than Python-Markdown's recursion goes:
    some 250 levels, where quotes go thousands deep."""


def too_deep(doc: Document) -> Problem:
    """The problem of a document whose text is `TooDeep`, at the text's first line."""
    hint = "keep lists and quotes fewer levels within each other"
    return Problem(doc.path, doc.body_line, "the text nests blocks too deeply to convert", hint)


def with_markdown(text: str) -> str:
    """`converted` through Python-Markdown, whatever the text; TooDeep if it cannot."""
    # Imported on demand: Python-Markdown and nh3 take some 40 ms to load, and a build whose
    # texts are in the cache or plain paragraphs (converted without them) never needs them.
    from sitegen.markdown.convert import render_with_markdown

    try:
        return render_with_markdown(text)
    except RecursionError:
        raise TooDeep from None
