"""Render one page to a staged file: the unit of work a build spreads over cores."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sitegen.digest import digest
from sitegen.errors import ContentError, Problem
from sitegen.markdown.cache import HtmlCache, HtmlMemo, MarkdownCache
from sitegen.markdown.convert import render_markdown
from sitegen.markdown.texts import body_text
from sitegen.parallel import map_in_order
from sitegen.render.templates import Renderer
from sitegen.site.links import internal_targets, output_path
from sitegen.site.model import Page

FLUSH_EVERY = 256


@dataclass(frozen=True)
class Rendered:
    """A rendered page: its digest and internal links, and the staged file if it changed."""

    url: str
    digest: str
    links: tuple[str, ...]
    staged: Path | None
    markdown: tuple[str, str] | None
    problems: tuple[Problem, ...] = ()


@dataclass
class PageWork:
    """What rendering needs; workers get it by fork and open their own cache connection."""

    renderer: Renderer
    pages: dict[str, Page]
    bodies: dict[Path, str]
    previous: dict[str, str]
    # None: no cache to read or write (a check); HTML is converted and sent back.
    cache_dir: Path | None
    staging: Path
    laid_out: bool = False
    _cache: HtmlCache | None = None
    _cache_pid: int = 0

    def markdown_cache(self) -> HtmlCache:
        """This process's own connection: SQLite connections must not cross a fork."""
        if self._cache is None or self._cache_pid != os.getpid():
            folder = self.cache_dir
            self._cache = HtmlMemo() if folder is None else MarkdownCache(folder)
            self._cache_pid = os.getpid()
        return self._cache

    def body(self, page: Page) -> tuple[str, tuple[str, str] | None]:
        """The page's body HTML, and a new cache entry when it had to be converted."""
        if page.document is None:
            return "", None
        key = self.bodies[page.document.path]
        html = self.markdown_cache().get(key)
        if html is not None:
            return html, None
        html = render_markdown(body_text(page.document))
        return html, (key, html)


def render_page(work: PageWork, url: str) -> Rendered:
    """Render one page; stage its bytes next to the target unless they are already there."""
    page = work.pages[url]
    html, converted = work.body(page)
    try:
        text = work.renderer.render(page, html)
    except ContentError as exc:
        return Rendered(url, "", (), None, converted, tuple(exc.problems))
    data = text.encode()
    name = output_path(url)
    page_digest = digest(data)
    # Interned: the same few hundred targets recur on every page, and the state keeps them all.
    links = tuple(sys.intern(target) for target in internal_targets(url, text))
    if work.previous.get(name) == page_digest:
        return Rendered(url, page_digest, links, None, converted)
    staged = stage(work.staging, name, data, laid_out=work.laid_out)
    return Rendered(url, page_digest, links, staged, converted)


def stage(staging: Path, name: str, data: bytes, *, laid_out: bool = False) -> Path:
    """Write `data` into the staging folder; the build moves it into place when all is well.

    Laid out, files go where they will be in the output folder, which the build can then
    rename into place whole; otherwise into one flat folder, so that nothing but the files
    themselves is left to clean up."""
    staged = staging / name if laid_out else staging / digest(name)
    try:
        file = open(staged, "wb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        if not laid_out:
            raise
        os.makedirs(staged.parent, exist_ok=True)
        file = open(staged, "wb")  # noqa: SIM115 - closed below
    with file:
        # Whatever the umask, the site must be readable.
        os.fchmod(file.fileno(), 0o644)
        file.write(data)
    return staged


def render_all(
    work: PageWork,
    urls: list[str],
    markdown: HtmlCache,
    *,
    jobs: int | None,
    progress: Callable[[int, int], None] | None,
) -> dict[str, Rendered]:
    """Render pages on every core; new Markdown HTML goes to the cache; raise every problem."""
    results: dict[str, Rendered] = {}
    problems: list[Problem] = []
    converted: list[tuple[str, str]] = []
    for done, result in enumerate(map_in_order(render_page, work, urls, jobs=jobs), 1):
        results[result.url] = result
        problems += result.problems
        if result.markdown:
            converted.append(result.markdown)
        if len(converted) >= FLUSH_EVERY:
            # Into the cache as they come, so that memory stays flat however big the site.
            markdown.put_many(converted)
            converted.clear()
        if progress:
            progress(done, len(urls))
    markdown.put_many(converted)
    if problems:
        raise ContentError(set(problems))
    return results
