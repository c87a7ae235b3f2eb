"""From a built model to the kit a later rebuild after edits reads, and back to a model
of only the pages it renders again."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import jinja2

from sitegen.content import i18n
from sitegen.content.load import Content
from sitegen.content.schema import Document
from sitegen.incremental.compiled import compiled_templates
from sitegen.incremental.kit import Kit, Lists, Shared, Tags, listed
from sitegen.incremental.prepared import Prepared
from sitegen.markdown.texts import shown_images
from sitegen.render.assets import Assets
from sitegen.render.images import ImageSet
from sitegen.render.once import Once
from sitegen.render.templates import Renderer, make_environment
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


def prepared_from(
    shared: Shared,
    pages: list[Page],
    templates: Path,
    cache: Path,
    kept: KeptRenderer | None = None,
) -> Prepared:
    """A model of only these pages and the site-wide parts, as the kit saved them: the
    renderer reads no more of the site than its settings and menus. With `kept`, what it
    renders with comes from there when the same as before."""
    site = Site(shared.config, tuple(pages), shared.chrome, shared.feeds)
    renderer = (kept or KeptRenderer()).renderer(shared, site, templates, cache)
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


# What pages of a language are rendered with beside their templates: its translators, the
# images, the assets.
SiteWide = tuple[dict[str, i18n.Translator], dict[str, ImageSet], Assets]


class KeptRenderer:
    """What a long-lived builder renders with after each edit: the templates' environment, the
    translators, images and assets, made again only when they change. A story's card is the
    same on every list that shows it, and on those lists again after the next edit: parts
    rendered once (`sitegen.render.once`) are found by these very objects: with new ones each
    time, every card of every list a story joining a tag shifts was rendered again.

    At most `parts` rendered parts are kept: past that, all are let go."""

    def __init__(self, parts: int = 65_536) -> None:
        self.parts = parts
        # The environment, by the templates and cache folders and the templates' digests.
        self._environment: tuple[tuple[object, ...], jinja2.Environment] | None = None
        # The translators, images and assets, by the digests of the site-wide parts of each
        # language (`Prepared.shared`): comparing those is all but free, comparing the images
        # themselves 25 ms for every thousand.
        self._site_wide: tuple[dict[str, str], SiteWide] | None = None

    def renderer(self, shared: Shared, site: Site, templates: Path, cache: Path) -> Renderer:
        """A renderer of `site` with the shared parts as saved, reusing what is the same."""
        source = (templates, cache, shared.templates)
        if self._environment is None or self._environment[0] != source:
            environment = make_environment(templates, compiled_templates(cache))
            self._environment = ((templates, cache, dict(shared.templates)), environment)
        environment = self._environment[1]
        rendered = environment.extensions[Once.identifier].rendered  # type: ignore[attr-defined]
        if self._site_wide is None or self._site_wide[0] != shared.shared:
            translators = i18n.translators(shared.strings)
            self._site_wide = (dict(shared.shared), (translators, shared.images, shared.assets))
            # Parts shown with translators, images or assets of before are found no more.
            rendered.clear()
        if len(rendered) > self.parts:
            rendered.clear()
        translators, images, assets = self._site_wide[1]
        return Renderer(
            templates, site, assets, images, translators, shared.form, environment=environment
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
