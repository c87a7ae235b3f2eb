"""From a built model to the kit a later rebuild after edits reads, and back to a model
of only the pages it renders again."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import partial
from pathlib import Path

from sitegen.content import i18n
from sitegen.content.load import Content
from sitegen.content.schema import Document
from sitegen.incremental.compiled import compiled_templates
from sitegen.incremental.kit import Kit, Lists, Shared, Tags, listed
from sitegen.incremental.prepared import Prepared
from sitegen.markdown.texts import shown_images
from sitegen.render.images import ImageSet
from sitegen.render.templates import Renderer
from sitegen.site.model import Page, Site


def kit_of(prepared: Prepared) -> Kit:
    """Every page, the cache key of each document's text, and the site-wide parts the pages
    and the feeds are rendered with."""
    site = prepared.site
    bodies = {
        str(page.document.path): prepared.bodies[page.document.path]
        for page in site.pages
        if page.document
    }
    feeds = {code: site.stories[code][: site.config.feed_entries] for code in site.config.codes}
    feed_bodies = {
        str(entry.doc.path): prepared.bodies[entry.doc.path]
        for entries in feeds.values()
        for entry in entries
    }
    shared = Shared(
        site.config,
        site.chrome,
        feeds,
        feed_bodies,
        prepared.content.strings,
        prepared.content.images,
        prepared.images,
        prepared.assets,
        prepared.form,
        prepared.shared,
        prepared.templates,
    )
    return Kit(shared, site.pages, bodies, partial(_lists, prepared))


def _lists(prepared: Prepared) -> Lists:
    """The lists of the site `prepared`, for the kit (see `Lists`)."""
    from sitegen.render.outputs import kept_sitemap  # made with the sitemap: loaded already

    site = prepared.site
    alike: dict[Tags, Tags] = {}
    stories = {
        code: tuple(listed(entry.doc, entry.url, alike) for entry in entries)
        for code, entries in site.stories.items()
    }
    homes: dict[str, list[str]] = {code: [] for code in site.config.codes}
    for page in site.pages:
        if "stories" in page.data:
            homes[page.lang].append(page.url)
    return Lists(
        stories,
        {code: tuple(urls) for code, urls in homes.items()},
        kept_sitemap(prepared.sitemap_files, prepared.sitemap),
    )


def prepared_from(shared: Shared, pages: list[Page], templates: Path, cache: Path) -> Prepared:
    """A model of only these pages and the site-wide parts, as the kit saved them: the
    renderer reads no more of the site than its settings and menus."""
    site = Site(shared.config, tuple(pages), shared.chrome, shared.feeds)
    translators = i18n.translators(shared.strings)
    renderer = Renderer(
        templates,
        site,
        shared.assets,
        shared.images,
        translators,
        shared.form,
        compiled_templates(cache),
    )
    content = Content(shared.config, shared.strings, (), shared.content_images)
    bodies = {Path(path): key for path, key in shared.feed_bodies.items()}
    return Prepared(
        content,
        site,
        renderer,
        shared.images,
        shared.assets,
        shared.form,
        bodies,
        dict(shared.shared),
        dict(shared.templates),
    )


# What an edit may change in a document and leave the site's structure as it was: what the
# pages and feeds that show it render of it, not whether, where, or in which lists it is.
SHOWN = frozenset(
    {"title", "summary", "image", "image_alt", "location", "source", "body_line", "body_images"}
)
_STRUCTURE = tuple(
    field.name
    for field in dataclasses.fields(Document)
    if field.compare and field.name not in SHOWN
)
# A story's date and tags place it in the lists, and are shown; an edit to them moves the
# story there (`sitegen.incremental.moves`).
_MOVING = tuple(name for name in _STRUCTURE if name not in {"date", "tags"})


def shows_alike(
    kept: Document, now: Document, images: Mapping[str, ImageSet], *, moving: bool = False
) -> bool:
    """Whether a document, as edited, differs from the one kept (both without their text) in
    what it shows alone (`moving`: and its date and tags, for a story), and still shows the pictures
    it showed, and no other the site lacks: a picture no longer shown may be shown by no page
    at all, and then leaves the site."""
    structure = _MOVING if moving and kept.kind == "stories" else _STRUCTURE
    if any(getattr(kept, name) != getattr(now, name) for name in structure):
        return False
    before, after = _pictures(kept), _pictures(now)
    return before <= after and all(name in images for name in after)


def _pictures(doc: Document) -> set[str]:
    return {name for name in (doc.image, *shown_images(doc)) if name}
