"""Builds that redo only what changed: documents by file, pages by a key of all their inputs."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sitegen import i18n
from sitegen.assets import Assets, collect_assets
from sitegen.build import BuildOptions, BuildResult, required_strings
from sitegen.cache import (
    BuildState,
    MarkdownCache,
    PageRecord,
    load_model,
    load_state,
    save_state,
    state_path,
)
from sitegen.errors import ContentError, Problem
from sitegen.fingerprint import (
    Fingerprinter,
    code_version,
    digest,
    markdown_version,
    template_digests,
)
from sitegen.images import ImageSet, process_images
from sitegen.links import link_problems
from sitegen.load import Content, load_content
from sitegen.model import Site, build_model, is_visible
from sitegen.outfiles import Outputs, intact_files, scan_inputs
from sitegen.outputs import atom_feed, robots_txt, sitemap
from sitegen.pagework import PageWork, Rendered, body_text, render_page
from sitegen.parallel import map_in_order
from sitegen.render import Renderer
from sitegen.schema import Document
from sitegen.write import check_output_dir

Inputs = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Prepared:
    """The site model and what rendering it needs."""

    site: Site
    renderer: Renderer
    images: dict[str, ImageSet]
    assets: Assets
    bodies: dict[Path, str]


class Builder:
    """Builds the site again and again; keeps the last build's state in memory between builds."""

    def __init__(self, options: BuildOptions) -> None:
        self.options = options
        self.today = options.today or date.today()
        settings = {"drafts": options.drafts, "future": options.future, "today": self.today}
        self.state_file = state_path(options.cache, options.output, settings)
        self.state: BuildState | None = None

    def build(self) -> BuildResult:
        """Bring the output folder up to date; on any error nothing in it changes."""
        started = time.perf_counter()
        options = self.options
        check_output_dir(options.output, options.content, options.templates)
        state = self.state if self.state is not None else load_state(self.state_file)
        inputs = scan_inputs(options.content, options.templates)
        intact = intact_files(options.output, state.files)
        if state.files and inputs == state.inputs and len(intact) == len(state.files):
            self.state = state
            count = len(state.files)
            return BuildResult(len(state.pages), count, 0, count, 0, time.perf_counter() - started)
        if self.state is None:
            load_model(self.state_file, state)
            intact = intact if state.files else {}
        markdown = MarkdownCache(options.cache)
        try:
            outputs = self._build(state, inputs, intact, markdown)
        finally:
            markdown.close()
        save_state(self.state_file, outputs.state)
        self.state = outputs.state
        return outputs.result(time.perf_counter() - started)

    def _build(
        self, state: BuildState, inputs: Inputs, intact: dict[str, str], markdown: MarkdownCache
    ) -> Outputs:
        context = self._context_key(inputs)
        content, bodies = self._load(state, inputs, context)
        prepared = self._prepare(content, bodies)
        self.options.cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self.options.cache, prefix="staging-"))
        outputs = Outputs(self.options.output, staging, state, intact)
        outputs.state.inputs = inputs
        outputs.state.documents = {
            str(doc.path): (inputs[str(doc.path)], context, stripped(doc), bodies[doc.path])
            for doc in content.documents
        }
        try:
            self._fill(outputs, prepared, markdown)
            outputs.commit()
        except BaseException:
            outputs.discard()
            raise
        return outputs

    def _load(
        self, state: BuildState, inputs: Inputs, context: str
    ) -> tuple[Content, dict[Path, str]]:
        """Read changed documents; reuse the rest (without their text) from the last build."""
        reuse: dict[Path, Document] = {}
        bodies: dict[Path, str] = {}
        for path, (stat, key, doc, body) in state.documents.items():
            if key == context and inputs.get(path) == stat:
                reuse[doc.path] = doc
                bodies[doc.path] = body
        uses = required_strings(self.options.templates)
        content = load_content(self.options.content, uses, reuse=reuse)
        for doc in content.documents:
            if doc.path not in bodies:
                bodies[doc.path] = markdown_key(doc.body)
        return content, bodies

    def _context_key(self, inputs: Inputs) -> str:
        """What reading one document depends on beyond its own file: settings and image names."""
        content = str(self.options.content)
        settings = inputs.get(os.path.join(content, "site.yaml"))
        folder = os.path.join(content, "images") + os.sep
        depth = folder.count(os.sep)
        images = sorted(p for p in inputs if p.startswith(folder) and p.count(os.sep) == depth)
        return digest(repr(settings), *images, code_version())

    def _prepare(self, content: Content, bodies: dict[Path, str]) -> Prepared:
        options = self.options
        visible = [
            doc
            for doc in content.documents
            if is_visible(doc, today=self.today, drafts=options.drafts, future=options.future)
        ]
        translators = i18n.translators(content.strings)
        site = build_model(content.config, visible, translators, options.content / "site.yaml")
        names = [doc.image for doc in visible if doc.image]
        images = process_images(names, content.images, options.cache)
        assets = collect_assets(options.templates / "static")
        renderer = Renderer(options.templates, site, assets, images, translators)
        return Prepared(site, renderer, images, assets, bodies)

    def _fill(self, outputs: Outputs, prepared: Prepared, markdown: MarkdownCache) -> None:
        """Render what changed, make the site-wide files, check every link."""
        keys = page_keys(prepared)
        todo = [url for url, key in keys.items() if not outputs.page_is_current(url, key)]
        rendered = self._render(prepared, todo, markdown, outputs)
        for url, key in keys.items():
            result = rendered.get(url)
            if result is None:
                outputs.keep_page(url, outputs.previous.pages[url])
            else:
                outputs.add_page(url, PageRecord(key, result.digest, result.links), result)
        outputs.add_files(self._site_files(prepared, markdown))
        outputs.add_files(prepared.assets.files.items())
        variants = [v for image in prepared.images.values() for v in image.variants]
        outputs.add_copies((v.url.lstrip("/"), v.cached) for v in variants)
        check_links(prepared, outputs, self.options.templates)

    def _render(
        self, prepared: Prepared, urls: list[str], markdown: MarkdownCache, outputs: Outputs
    ) -> dict[str, Rendered]:
        pages = {page.url: page for page in prepared.site.pages}
        work = PageWork(
            prepared.renderer,
            pages,
            prepared.bodies,
            outputs.previous_digests(),
            self.options.cache,
            outputs.staging,
        )
        results: dict[str, Rendered] = {}
        problems: list[Problem] = []
        converted: list[tuple[str, str]] = []
        progress = self.options.progress
        jobs = self.options.jobs
        for done, result in enumerate(map_in_order(render_page, work, urls, jobs=jobs), 1):
            results[result.url] = result
            problems += result.problems
            if result.markdown:
                converted.append(result.markdown)
            if progress:
                progress(done, len(urls))
        markdown.put_many(converted)
        if problems:
            raise ContentError(set(problems))
        return results

    def _site_files(self, prepared: Prepared, markdown: MarkdownCache) -> list[tuple[str, bytes]]:
        site, renderer = prepared.site, prepared.renderer
        config = site.config
        newest = [e.doc for code in config.codes for e in site.stories[code][: config.feed_entries]]
        urls = {e.doc.path: e.url for code in config.codes for e in site.stories[code]}
        html = feed_bodies(newest, prepared.bodies, markdown)
        bodies = {urls[path]: text for path, text in html.items()}
        files = [
            ("index.html", renderer.render_root()),
            ("sitemap.xml", sitemap(config, site.pages)),
            ("robots.txt", robots_txt(config)),
        ]
        for code in config.codes:
            t = renderer.translators[code]
            feed = atom_feed(config, code, t, site.stories[code], bodies, self.today)
            files.append((f"{code}/feed.xml", feed))
        return [(name, text.encode()) for name, text in files]


def page_keys(prepared: Prepared) -> dict[str, str]:
    """Per page, a digest of every input: code, settings, strings, templates and its data."""
    site, renderer = prepared.site, prepared.renderer
    fingerprint = Fingerprinter(prepared.bodies)
    templates = template_digests(renderer.env, {page.template for page in site.pages})
    shared = {
        code: fingerprint.of(
            (
                code_version(),
                site.config,
                dict(site.chrome),
                renderer.translators[code].texts,
                prepared.assets.urls,
                prepared.images,
            )
        )
        for code in site.config.codes
    }
    return {
        page.url: digest(shared[page.lang], templates[page.template], fingerprint.of(page))
        for page in site.pages
    }


def check_links(prepared: Prepared, outputs: Outputs, templates: Path) -> None:
    """Every internal link of every page must lead to a file of this build."""
    existing = outputs.names()
    broken = [url for url, record in outputs.pages() if not existing.issuperset(record.links)]
    if not broken:
        return
    pages = {page.url: page for page in prepared.site.pages}
    for url in broken:
        doc = pages[url].document
        if doc is not None and not doc.body:
            # Kept documents have no text; the error names the line, so read it again.
            full = dataclasses.replace(doc, body=body_text(doc))
            pages[url] = dataclasses.replace(pages[url], document=full)
    texts = {url: outputs.text_of(url) for url in broken}
    raise ContentError(link_problems(pages, texts, existing, templates))


def stripped(doc: Document) -> Document:
    """The document without its text, as the build state keeps it."""
    return dataclasses.replace(doc, body="") if doc.body else doc


def markdown_key(body: str) -> str:
    """The cache key of a body's HTML: its Markdown and the code that converts it."""
    return digest(markdown_version(), body)


def feed_bodies(
    docs: list[Document], keys: dict[Path, str], markdown: MarkdownCache
) -> dict[Path, str]:
    """Body HTML of some documents, from the cache or converted now."""
    from sitegen.markdown import render_markdown

    cached = markdown.get_many(keys[doc.path] for doc in docs)
    html: dict[Path, str] = {}
    for doc in docs:
        found = cached.get(keys[doc.path])
        html[doc.path] = render_markdown(body_text(doc)) if found is None else found
    return html
