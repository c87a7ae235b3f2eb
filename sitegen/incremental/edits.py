"""From a built model to the kit a later rebuild after text edits reads, and back to a model
of only the pages it renders again."""

from __future__ import annotations

from pathlib import Path

from sitegen.content import i18n
from sitegen.content.load import Content
from sitegen.incremental.compiled import compiled_templates
from sitegen.incremental.kit import Kit, Shared
from sitegen.incremental.prepared import Prepared
from sitegen.render.templates import Renderer
from sitegen.site.model import Page, Site


def kit_of(prepared: Prepared) -> Kit:
    """The pages of each document and the site-wide parts they and the feeds are rendered with."""
    site = prepared.site
    pages: dict[str, list[Page]] = {}
    for page in site.pages:
        if page.document:
            pages.setdefault(str(page.document.path), []).append(page)
    feeds = {code: site.stories[code][: site.config.feed_entries] for code in site.config.codes}
    bodies = {
        str(entry.doc.path): prepared.bodies[entry.doc.path]
        for entries in feeds.values()
        for entry in entries
    }
    shared = Shared(
        site.config,
        site.chrome,
        feeds,
        bodies,
        prepared.content.strings,
        prepared.content.images,
        prepared.images,
        prepared.assets,
        prepared.form,
        prepared.shared,
        prepared.templates,
    )
    return Kit(shared, {path: tuple(found) for path, found in pages.items()})


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
