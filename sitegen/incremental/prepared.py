"""The site model ready to render, and the keys that tell which of its pages changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sitegen.classes import dataclass
from sitegen.content import i18n
from sitegen.content.load import Content
from sitegen.content.schema import Document
from sitegen.digest import digest
from sitegen.incremental.fingerprint import (
    Fingerprinter,
    References,
    code_version,
    remember_references,
    template_digests,
)
from sitegen.incremental.kit import Naming
from sitegen.incremental.state import BuildState
from sitegen.markdown.texts import shown_images
from sitegen.render.assets import Assets, collect_assets
from sitegen.render.form import Form
from sitegen.render.images import ImageSet, process_images
from sitegen.render.pictures import PICTURE
from sitegen.render.templates import Renderer
from sitegen.site.listing import Entry
from sitegen.site.model import Page, Site, build_model, is_visible

if TYPE_CHECKING:
    import jinja2

    from sitegen.options import BuildOptions
    from sitegen.render.outputs import SitemapEntry

Inputs = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Prepared:
    """The site model and what rendering it needs."""

    content: Content
    site: Site
    renderer: Renderer
    images: dict[str, ImageSet]
    assets: Assets
    form: Form
    bodies: dict[Path, str]
    shared: dict[str, str]
    templates: dict[str, str]

    @cached_property
    def sitemap(self) -> list[tuple[str, SitemapEntry]]:
        """The sitemap's entries by URL: worked out once for the sitemap and the kit."""
        from sitegen.render.outputs import sitemap_entries  # see `site_files`

        return sitemap_entries(self.site.config, self.site.pages)

    @cached_property
    def sitemap_files(self) -> list[tuple[str, str]]:
        """The sitemap's files: made once for the site and the kit."""
        from sitegen.render.outputs import sitemap_files  # see `site_files`

        return sitemap_files(self.site.config, [entry for _, entry in self.sitemap])


class PageKeys:
    """The keys of a model's pages: a digest of every input of a page (code, settings,
    strings, templates, its data), which a build compares with the last build's to know which
    pages changed.

    A page's data is taken as the kit saves it: pickled, with the documents it shows named by
    path, and each of these documents by its digest. Documents are digested without their
    text: templates show only their own page's text, as `body`, which the key adds. Equal
    data can pickle apart (a string twice as one object or as two), which renders a page
    again for nothing; different data never pickles alike."""

    def __init__(
        self, prepared: Prepared, fingerprint: Fingerprinter | None = None, *, keep: bool = False
    ) -> None:
        """`fingerprint`: one kept from keys made before, whose documents it need not digest
        again when they are the very same objects (those of `PartMemo`). With `keep`, the
        pages' pickles are kept, for the kit to save (`kept`)."""
        self.prepared = prepared
        self._naming = Naming()
        self.kept: dict[str, tuple[Page, bytes, frozenset[str]]] | None = {} if keep else None
        self._fingerprint = Fingerprinter() if fingerprint is None else fingerprint
        # Each document's digest by path: pages name some 75,000 documents at 10,000 stories,
        # and asking the fingerprinter again for each took 20 to 50 ms more.
        self._documents: dict[str, str] = {}

    def __call__(self, page: Page) -> str:
        """The page's key."""
        naming = self._naming
        with naming.pickled(page) as data:
            if self.kept is not None:
                self.kept[page.url] = (page, bytes(data), frozenset(naming.named))
            return self.of(page, data, naming.named)

    def of(self, page: Page, data: memoryview, named: Mapping[str, Document]) -> str:
        """The key of a page pickled already (`data`), which names the documents `named`."""
        prepared, known = self.prepared, self._documents
        shown = [known.get(path) or self._document(path, doc) for path, doc in named.items()]
        body = prepared.bodies[page.document.path] if page.document else ""
        shared, template = prepared.shared[page.lang], prepared.templates[page.template]
        return digest(shared, template, data, *shown, body)

    def _document(self, path: str, doc: Document) -> str:
        found = self._documents[path] = self._fingerprint.of(doc)
        return found


def prepare(
    content: Content,
    bodies: dict[Path, str],
    options: BuildOptions,
    today: date,
    form: Form,
    *,
    compiled: jinja2.BytecodeCache | None = None,
    make_images: bool = True,
    references: Callable[[], References] | None = None,
) -> Prepared:
    """The model of the visible documents, their images, the assets and a renderer for them.

    With `compiled`, the renderer keeps compiled templates there (`compiled_templates`); without
    `make_images`, images the cache lacks are only planned, and nothing is written there.
    `references`: what the templates use, as other processes found it (waited for once the
    model is made; see `remember_references`)."""
    visible = [
        doc
        for doc in content.documents
        if is_visible(doc, today=today, drafts=options.drafts, future=options.future)
    ]
    translators = i18n.translators(content.strings)
    names = [doc.image for doc in visible if doc.image]
    names += [name for doc in visible for name in shown_images(doc) if name in content.images]
    settings = options.content / "site.yaml"
    if names:
        # Images are made while the model is built; both are done before any page is rendered.
        from concurrent.futures import ThreadPoolExecutor  # not needed without images

        with ThreadPoolExecutor(1) as background:
            made = background.submit(
                process_images, names, content.images, options.cache, write=make_images
            )
            site = build_model(content.config, visible, translators, settings)
            images = made.result()
    else:
        site = build_model(content.config, visible, translators, settings)
        images = process_images((), content.images, options.cache, write=make_images)
    assets = collect_assets(options.templates / "static")
    renderer = Renderer(options.templates, site, assets, images, translators, form, compiled)
    fingerprint = Fingerprinter()
    # Any text may show pictures, whatever its page's template.
    used = {page.template for page in site.pages} | {PICTURE}
    if references is not None:
        remember_references(renderer.env, references())
    templates = template_digests(renderer.env, used)
    shared = {
        code: fingerprint.of(
            [
                code_version(),
                site.config,
                dict(site.chrome),
                translators[code].texts,
                assets.urls,
                images,
                templates[PICTURE],
                form,
            ]
        )
        for code in site.config.codes
    }
    return Prepared(content, site, renderer, images, assets, form, bodies, shared, templates)


def feed_entries(site: Site) -> list[Entry]:
    """The stories the feeds show, in every language."""
    config = site.config
    return [e for code in config.codes for e in site.stories[code][: config.feed_entries]]


def site_files(
    site: Site,
    renderer: Renderer,
    bodies: Mapping[str, str],
    today: date,
    sitemap: Iterable[tuple[str, str]],
) -> list[tuple[str, bytes]]:
    """The root page, sitemap, robots.txt, feeds and the moderators' inbox; `bodies` is body
    HTML by page URL, `sitemap` the sitemap's files."""
    # Here, not at the top: a rebuild after an edit to a text that no feed shows needs neither.
    from sitegen.render.admin import admin_pages
    from sitegen.render.outputs import robots_txt

    config = site.config
    files = [
        ("index.html", renderer.render_root()),
        *sitemap,
        ("robots.txt", robots_txt(config)),
    ]
    files += [(page.output, renderer.render_admin(page)) for page in admin_pages(config)]
    encoded = [(name, text.encode()) for name, text in files]
    return encoded + feed_files(site, renderer, bodies, today, config.codes)


def feed_files(
    site: Site, renderer: Renderer, bodies: Mapping[str, str], today: date, codes: Iterable[str]
) -> list[tuple[str, bytes]]:
    """The feeds of some languages; `bodies` is body HTML by page URL."""
    from sitegen.render.outputs import atom_feed

    config = site.config
    bodies = _pictured(site, renderer, bodies)
    files = []
    for code in codes:
        t = renderer.translators[code]
        feed = atom_feed(config, code, t, site.stories[code], bodies, today)
        files.append((f"{code}/feed.xml", feed.encode()))
    return files


def _pictured(site: Site, renderer: Renderer, bodies: Mapping[str, str]) -> dict[str, str]:
    """Feed bodies with their images made responsive, as on their pages."""
    shown = {e.url: e.doc for e in feed_entries(site) if e.url in bodies}
    return {**bodies, **{url: renderer.pictured(doc, bodies[url])[0] for url, doc in shown.items()}}


def text_edits(state: BuildState, inputs: Inputs, content: Content) -> set[Path] | None:
    """The documents whose text alone changed since the last build, or None if anything else did."""
    changed = {path for path, stat in inputs.items() if state.inputs.get(path) != stat}
    if not changed or inputs.keys() != state.inputs.keys():
        return None
    if not changed <= state.documents.keys():
        return None
    now = {str(doc.path): doc for doc in content.documents}
    if any(now.get(path) != state.documents[path][2] for path in changed):
        return None
    return {Path(path) for path in changed}


def page_keys(prepared: Prepared, state: BuildState, edited: set[Path] | None) -> dict[str, str]:
    """Every page's key; after text edits alone, only the edited documents' pages are new."""
    key = PageKeys(prepared)
    pages = prepared.site.pages
    if edited is None or {page.url for page in pages} != state.pages.keys():
        return {page.url: key(page) for page in pages}
    # The model is the same as last time, and page data leaves document text out.
    keys = {url: record.key for url, record in state.pages.items()}
    for page in pages:
        if page.document and page.document.path in edited:
            keys[page.url] = key(page)
    return keys
