"""The site model ready to render, and the keys that tell which of its pages changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sitegen.assets import Assets
from sitegen.cache import BuildState
from sitegen.fingerprint import Fingerprinter, digest
from sitegen.images import ImageSet
from sitegen.load import Content
from sitegen.model import Page, Site
from sitegen.render import Renderer

Inputs = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Prepared:
    """The site model and what rendering it needs."""

    content: Content
    site: Site
    renderer: Renderer
    images: dict[str, ImageSet]
    assets: Assets
    bodies: dict[Path, str]
    shared: dict[str, str]
    templates: dict[str, str]

    def key(self, page: Page, fingerprint: Fingerprinter) -> str:
        """A digest of every input of a page: code, settings, strings, templates, its data."""
        body = self.bodies[page.document.path] if page.document else ""
        parts = (self.shared[page.lang], self.templates[page.template], fingerprint.of(page))
        return digest(*parts, body)


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
    fingerprint = Fingerprinter()
    pages = prepared.site.pages
    if edited is None or {page.url for page in pages} != state.pages.keys():
        return {page.url: prepared.key(page, fingerprint) for page in pages}
    # The model is the same as last time, and page data leaves document text out.
    keys = {url: record.key for url, record in state.pages.items()}
    for page in pages:
        if page.document and page.document.path in edited:
            keys[page.url] = prepared.key(page, fingerprint)
    return keys
