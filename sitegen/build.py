"""The build as a list of steps: load, model, markdown, images, render, outputs, check, write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sitegen import form, i18n
from sitegen.errors import ContentError, Problem
from sitegen.links import link_problems, output_path
from sitegen.load import load_content
from sitegen.markdown import render_markdown
from sitegen.model import CHROME_KEYS, Site
from sitegen.prepared import prepare, site_files
from sitegen.render import Renderer, template_uses
from sitegen.texts import markdown_key
from sitegen.write import Output

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BuildOptions:
    """What to build, from where, to where."""

    content: Path = Path("content")
    output: Path = Path("public")
    templates: Path = TEMPLATES
    cache: Path = Path(".cache")
    drafts: bool = False
    future: bool = False
    today: date | None = None
    progress: Progress | None = field(default=None, compare=False)
    # Worker processes for rendering (None: one per core); the output is the same for any number.
    jobs: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RenderedSite:
    """Every output file in memory (bytes, or a cached file to copy), not yet written."""

    files: dict[str, Output]
    pages: int


@dataclass(frozen=True)
class BuildResult:
    """What a build did."""

    pages: int
    files: int
    written: int
    unchanged: int
    removed: int
    seconds: float


def build_site(options: BuildOptions) -> BuildResult:
    """Render the site and write it; on any error nothing in the output folder changes.

    Reuses the build cache in `options.cache`: only pages whose inputs changed are rendered."""
    # Imported here: the incremental builder is made of the steps this module defines.
    from sitegen.incremental import Builder

    return Builder(options).build()


def render_site(options: BuildOptions, *, make_images: bool = True) -> RenderedSite:
    """Read and check everything, then render every file in memory; raise ContentError.

    Without `make_images`, images missing from the cache are only planned (their names and
    sizes), so that nothing at all is written; their files in the result do not exist."""
    today = options.today or date.today()
    content = load_content(options.content, required_strings(options.templates))
    keys = {doc.path: markdown_key(doc.body) for doc in content.documents}
    prepared = prepare(content, keys, options, today, make_images=make_images)
    site, renderer, images = prepared.site, prepared.renderer, prepared.images
    bodies = {page.url: render_markdown(page.document.body) for page in site.pages if page.document}
    texts = _render_pages(renderer, site, bodies, options.progress)
    files: dict[str, Output] = {output_path(url): text.encode() for url, text in texts.items()}
    files |= dict(site_files(site, renderer, bodies, today))
    files |= dict(prepared.assets.files.items())
    files |= {v.url.lstrip("/"): v.cached for image in images.values() for v in image.variants}
    pages = {page.url: page for page in site.pages}
    problems = link_problems(pages, texts, set(files), options.templates)
    if problems:
        raise ContentError(problems)
    return RenderedSite(files, len(texts))


def required_strings(templates: Path) -> list[i18n.Use]:
    """Every UI string the templates and the generator need."""
    code = Path(__file__)
    keys = [*form.required_keys(), *i18n.DATE_KEYS, *CHROME_KEYS]
    return [*template_uses(templates), *(i18n.Use(key, code, None) for key in keys)]


def _render_pages(
    renderer: Renderer, site: Site, bodies: dict[str, str], progress: Progress | None
) -> dict[str, str]:
    texts: dict[str, str] = {}
    problems: set[Problem] = set()
    total = len(site.pages)
    for done, page in enumerate(site.pages, 1):
        try:
            texts[page.url] = renderer.render(page, bodies.get(page.url, ""))
        except ContentError as exc:
            problems.update(exc.problems)
        if progress:
            progress(done, total)
    if problems:
        raise ContentError(problems)
    return texts
