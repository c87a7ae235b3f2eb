"""Render one page to a staged file: the unit of work a build spreads over cores."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from sitegen.classes import dataclass
from sitegen.digest import digest
from sitegen.errors import ContentError, Problem
from sitegen.incremental.write import make_folder, write_new
from sitegen.markdown.cache import HtmlCache, HtmlMemo, MarkdownCache
from sitegen.markdown.plain import plain_paragraphs
from sitegen.markdown.texts import TooDeep, body_text, markdown_html, too_deep
from sitegen.parallel import map_in_order, release_freed_memory
from sitegen.render.templates import Renderer
from sitegen.site.links import internal_targets, output_path
from sitegen.site.model import Page

FLUSH_EVERY = 256
# Fewer pages than this are rendered here: forking workers, each loading the templates, and
# taking their results back cost some 50 ms, more than two cores save on fewer (after
# edits at 10,000 stories: 75 pages took 35-56 ms here against 60-93 on two workers; a
# date edit rendering 110 pages, 0.53 s against 0.59; one rendering 229, 0.72 against 0.65).
PARALLEL_FROM = 160
# Memory is given back to the system before rendering more pages than this: a rebuild of a
# few pages has freed little, and loading what gives it back costs more.
RELEASE_ABOVE = 500


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered page: its digest and internal links, and the staged file if it changed."""

    url: str
    digest: str
    links: tuple[str, ...]
    staged: Staged | None
    markdown: tuple[str, str] | None
    problems: tuple[Problem, ...] = ()


# A staged file: its path, and its size and modification time (nanoseconds) as written.
Staged = tuple[str, int, int]


@dataclass
class PageWork:
    """What rendering needs; workers get it by fork and open their own cache connection."""

    renderer: Renderer
    pages: dict[str, Page]
    bodies: dict[Path, str]
    previous: Mapping[str, str]
    # None: no cache to read or write (a check); HTML is converted and sent back.
    cache_dir: Path | None
    staging: Path
    laid_out: bool = False
    # Whether staged files need their mode set again (see `modes_kept`).
    chmod: bool = True
    _cache: HtmlCache | None = None
    _cache_pid: int = 0

    def markdown_cache(self) -> HtmlCache:
        """This process's own connection: SQLite connections must not cross a fork."""
        if self._cache is None or self._cache_pid != os.getpid():
            folder = self.cache_dir
            self._cache = HtmlMemo() if folder is None else MarkdownCache(folder)
            self._cache_pid = os.getpid()
        return self._cache

    def body(self, page: Page, key: str | None) -> tuple[str, tuple[str, str] | None]:
        """The page's body HTML, and a new cache entry when it had to be converted;
        ContentError when it cannot be. Plain paragraphs converted here get none: a rebuild
        after an edit converts them in microseconds, and would write to the cache for them.
        Where processes converted the texts ahead (a build converting many), they are found
        there."""
        if page.document is None or key is None:
            return "", None
        html = self.markdown_cache().get(key)
        if html is not None:
            return html, None
        text = body_text(page.document)
        html = plain_paragraphs(text)
        if html is not None:
            return html, None
        try:
            html = markdown_html(text)
        except TooDeep:
            raise ContentError([too_deep(page.document)]) from None
        return html, (key, html)


def render_page(work: PageWork, url: str) -> Rendered:
    """Render one page; stage its bytes next to the target unless they are already there."""
    page = work.pages[url]
    key = work.bodies[page.document.path] if page.document else None
    previous = work.previous.get(output_path(url))
    converted = None
    try:
        html, converted = work.body(page, key)
        text = work.renderer.render(page, html)
    except ContentError as exc:
        return Rendered(url, "", (), None, converted, tuple(exc.problems))
    data = text.encode()
    name = output_path(url)
    page_digest = digest(data)
    # Interned: the same few hundred targets recur on every page, and the state keeps them all.
    links = tuple(sys.intern(target) for target in internal_targets(url, text))
    if previous == page_digest:
        return Rendered(url, page_digest, links, None, converted)
    staged = stage(work.staging, name, data, laid_out=work.laid_out, chmod=work.chmod)
    return Rendered(url, page_digest, links, staged, converted)


def stage(
    staging: Path, name: str, data: bytes, *, laid_out: bool = False, chmod: bool = True
) -> Staged:
    """Write `data` into the staging folder; the build moves it into place when all is well.
    The staged file comes back as its path, a string (workers send one for every page, and
    a Path takes longer to make, to send and to make again, and more memory to keep), with
    its size and time as written, which the build records without looking again.

    Laid out, files go where they will be in the output folder, which the build can then
    rename into place whole; otherwise into one flat folder, so that nothing but the files
    themselves is left to clean up."""
    path = os.path.join(staging, name if laid_out else digest(name))
    try:
        return path, len(data), write_new(path, data, chmod=chmod)
    except FileNotFoundError:
        if not laid_out:
            raise
        make_folder(os.path.dirname(path), chmod=chmod)
        return path, len(data), write_new(path, data, chmod=chmod)


def render_all(
    work: PageWork,
    urls: list[str],
    markdown: HtmlCache,
    *,
    jobs: int | None,
    progress: Callable[[int, int], None] | None,
    meanwhile: Callable[[], None] | None = None,
) -> dict[str, Rendered]:
    """Render pages on every core; new Markdown HTML goes to the cache; raise every problem.
    `meanwhile` is more work of this process that needs no page, done while workers render
    (or after the pages, when this process renders them itself)."""
    if len(urls) > RELEASE_ABOVE:
        # What reading the content freed would otherwise stay with this process to the end,
        # and with each worker forked from it.
        release_freed_memory()
    results: dict[str, Rendered] = {}
    problems: list[Problem] = []
    converted: list[tuple[str, str]] = []
    pending = [meanwhile] if meanwhile else []

    def take(result: Rendered) -> None:
        # Interned again here: a result arrives as a copy, its links as new strings.
        links = tuple(map(sys.intern, result.links))
        results[result.url] = Rendered(
            result.url, result.digest, links, result.staged, result.markdown, result.problems
        )
        problems.extend(result.problems)
        if result.markdown:
            converted.append(result.markdown)
        if len(converted) >= FLUSH_EVERY:
            # Into the cache as they come, so that memory stays flat however big the site.
            markdown.put_many(converted)
            converted.clear()
        if progress:
            progress(len(results), len(urls))

    def idle() -> bool:
        """This process's other work; False when it is done."""
        if pending:
            pending.pop()()
            return True
        return False

    for result in map_in_order(render_page, work, urls, jobs=jobs, idle=idle, least=PARALLEL_FROM):
        take(result)
    while idle():
        pass
    markdown.put_many(converted)
    if problems:
        raise ContentError(set(problems))
    return results
