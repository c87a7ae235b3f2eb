"""Builds that redo only what changed: documents by file, pages by a key of all their inputs."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sitegen import i18n
from sitegen.assets import Assets, collect_assets
from sitegen.build import BuildOptions, BuildResult, required_strings
from sitegen.cache import BuildState, MarkdownCache, PageRecord, load_state, save_state, state_path
from sitegen.errors import ContentError, Problem
from sitegen.fingerprint import Fingerprinter, code_version, digest, template_digests
from sitegen.images import ImageSet, process_images
from sitegen.links import link_problems
from sitegen.load import load_content
from sitegen.model import Site, build_model, is_visible
from sitegen.outfiles import Outputs, intact_files, scan_inputs
from sitegen.outputs import atom_feed, robots_txt, sitemap
from sitegen.pagework import PageWork, Rendered, render_page
from sitegen.parallel import map_in_order
from sitegen.render import Renderer
from sitegen.schema import Document
from sitegen.write import check_output_dir


@dataclass(frozen=True)
class Prepared:
    """The site model and what rendering it needs."""

    site: Site
    renderer: Renderer
    images: dict[str, ImageSet]
    assets: Assets


class Builder:
    """Builds the site again and again; keeps the last build's state in memory between builds."""

    def __init__(self, options: BuildOptions) -> None:
        self.options, self.jobs = options, options.jobs
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
        if inputs == state.inputs and len(intact) == len(state.files) and state.files:
            self.state = state
            count = len(state.files)
            return BuildResult(len(state.pages), count, 0, count, 0, time.perf_counter() - started)
        markdown = MarkdownCache(options.cache)
        try:
            fresh = self._build(state, inputs, intact, markdown)
        finally:
            markdown.close()
        self.state = fresh.state
        save_state(self.state_file, fresh.state)
        return fresh.result(time.perf_counter() - started)

    def _build(
        self,
        state: BuildState,
        inputs: dict[str, tuple[int, int]],
        intact: dict[str, str],
        markdown: MarkdownCache,
    ) -> Outputs:
        options = self.options
        documents = self._load(state, inputs)
        prepared = self._prepare(documents)
        staging = Path(tempfile.mkdtemp(dir=self._cache_dir(), prefix="staging-"))
        outputs = Outputs(options.output, staging, state, intact)
        context = self._context_key(inputs)
        outputs.state.inputs = inputs
        outputs.state.documents = {
            str(doc.path): (inputs[str(doc.path)], context, doc) for doc in documents
        }
        try:
            self._fill(outputs, prepared, markdown)
            outputs.commit()
        except BaseException:
            outputs.discard()
            raise
        return outputs

    def _fill(self, outputs: Outputs, prepared: Prepared, markdown: MarkdownCache) -> None:
        """Render what changed, make the site-wide files, check every link."""
        keys = self._page_keys(prepared)
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
        self._check_links(prepared, outputs)

    def _load(self, state: BuildState, inputs: dict[str, tuple[int, int]]) -> list[Document]:
        context = self._context_key(inputs)
        reuse = {
            Path(path): doc
            for path, (stat, key, doc) in state.documents.items()
            if key == context and inputs.get(path) == stat
        }
        content = load_content(
            self.options.content, required_strings(self.options.templates), reuse=reuse
        )
        self.content = content
        return list(content.documents)

    def _cache_dir(self) -> Path:
        self.options.cache.mkdir(parents=True, exist_ok=True)
        return self.options.cache

    def _context_key(self, inputs: dict[str, tuple[int, int]]) -> str:
        """What reading one document depends on beyond its own file: settings and image names."""
        content = self.options.content
        settings = inputs.get(str(content / "site.yaml"))
        images = sorted(p for p in inputs if Path(p).parent == content / "images")
        return digest(repr(settings), *images, code_version())

    def _prepare(self, documents: list[Document]) -> Prepared:
        options, content = self.options, self.content
        visible = [
            doc
            for doc in documents
            if is_visible(doc, today=self.today, drafts=options.drafts, future=options.future)
        ]
        translators = i18n.translators(content.strings)
        site = build_model(content.config, visible, translators, options.content / "site.yaml")
        names = [doc.image for doc in visible if doc.image]
        images = process_images(names, content.images, options.cache)
        assets = collect_assets(options.templates / "static")
        renderer = Renderer(options.templates, site, assets, images, translators)
        return Prepared(site, renderer, images, assets)

    def _page_keys(self, prepared: Prepared) -> dict[str, str]:
        site, renderer = prepared.site, prepared.renderer
        fingerprint = Fingerprinter()
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

    def _render(
        self,
        prepared: Prepared,
        urls: list[str],
        markdown: MarkdownCache,
        outputs: Outputs,
    ) -> dict[str, Rendered]:
        pages = {page.url: page for page in prepared.site.pages}
        keys = {url: markdown_key(pages[url].document) for url in urls if pages[url].document}
        previous = outputs.previous_digests()
        work = PageWork(
            prepared.renderer, pages, keys, previous, self.options.cache, outputs.staging
        )
        results: dict[str, Rendered] = {}
        problems: list[Problem] = []
        converted: list[tuple[str, str]] = []
        progress = self.options.progress
        for done, result in enumerate(map_in_order(render_page, work, urls, jobs=self.jobs), 1):
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
        newest = [e for code in config.codes for e in site.stories[code][: config.feed_entries]]
        bodies = feed_bodies(newest, markdown)
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

    def _check_links(self, prepared: Prepared, outputs: Outputs) -> None:
        existing = outputs.names()
        broken = [url for url, record in outputs.pages() if not existing.issuperset(record.links)]
        if not broken:
            return
        pages = {page.url: page for page in prepared.site.pages}
        texts = {url: outputs.text_of(url) for url in broken}
        raise ContentError(link_problems(pages, texts, existing, self.options.templates))


def markdown_key(document: Document | None) -> str:
    """The cache key of a document's HTML: its Markdown and the code that converts it."""
    return digest(code_version(), document.body if document else "")


def feed_bodies(entries: Iterable[object], markdown: MarkdownCache) -> dict[str, str]:
    """Body HTML by URL for feed entries, from the cache or converted now."""
    from sitegen.listing import Entry
    from sitegen.markdown import render_markdown

    wanted = [e for e in entries if isinstance(e, Entry)]
    cached = markdown.get_many(markdown_key(e.doc) for e in wanted)
    bodies: dict[str, str] = {}
    for entry in wanted:
        key = markdown_key(entry.doc)
        bodies[entry.url] = cached.get(key) or render_markdown(entry.doc.body)
    return bodies


def discard(results: Iterable[Rendered]) -> None:
    """Remove staged files of a build that failed."""
    for result in results:
        if result.staged is not None:
            result.staged.unlink(missing_ok=True)
