"""Render one page to a staged file: the unit of work a build spreads over cores."""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable, Mapping, ValuesView
from dataclasses import dataclass
from pathlib import Path

from sitegen.digest import digest
from sitegen.errors import ContentError, Problem
from sitegen.incremental.write import make_folder, write_new
from sitegen.markdown.cache import HtmlCache, HtmlMemo, MarkdownCache
from sitegen.markdown.plain import plain_paragraphs
from sitegen.markdown.texts import TooDeep, body_text, markdown_html, too_deep
from sitegen.parallel import cores, map_in_order, parked_workers, release_freed_memory
from sitegen.render.templates import Renderer, make_environment
from sitegen.site.links import internal_targets, output_path
from sitegen.site.listing import Entry
from sitegen.site.model import Page, Site

FLUSH_EVERY = 256
# Memory is given back to the system before rendering more pages than this: a rebuild of a
# few pages has freed little, and loading what gives it back costs more.
RELEASE_ABOVE = 500
# A page listing more entries than this is rendered in the main process: sent to a worker
# forked before the model was made, it would arrive as a copy of most of the model (the tag
# index lists every story of every tag).
HEAVY = 1000
# The parts the `once` tag keeps in a worker forked before the model was made: each page comes
# with copies of the stories it shows, which the tag would otherwise keep to the end. Related
# stories are neighbours in date order, and so mostly on pages of the same chunk of work.
ONCE_KEPT = 2048


@dataclass(frozen=True, slots=True)
class PageTask:
    """One page to render; for workers forked before the model was made, with all it needs."""

    url: str
    page: Page | None = None
    key: str | None = None
    previous: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered page: its digest and internal links, and the staged file if it changed."""

    url: str
    digest: str
    links: tuple[str, ...]
    staged: str | None
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
    # Whether staged files need their mode set again (see `modes_kept`).
    chmod: bool = True
    _cache: HtmlCache | None = None
    _cache_pid: int = 0

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """For workers forked before the model was made: no pages (each task brings its own)
        and a renderer that compiles its templates again in the worker."""
        fields = dict(vars(self.renderer))
        env = fields.pop("env")
        site: Site = fields["site"]
        fields["site"] = Site(site.config, (), site.chrome, {})
        renderer = (fields, env.bytecode_cache)
        return _portable_work, (renderer, self.cache_dir, self.staging, self.laid_out, self.chmod)

    def markdown_cache(self) -> HtmlCache:
        """This process's own connection: SQLite connections must not cross a fork."""
        if self._cache is None or self._cache_pid != os.getpid():
            folder = self.cache_dir
            self._cache = HtmlMemo() if folder is None else MarkdownCache(folder)
            self._cache_pid = os.getpid()
        return self._cache

    def task(self, url: str, *, whole: bool) -> PageTask:
        """The task of rendering one page; `whole`: with all it needs of this work."""
        if not whole:
            return PageTask(url)
        page = self.pages[url]
        key = self.bodies[page.document.path] if page.document else None
        return PageTask(url, page, key, self.previous.get(output_path(url)))

    def body(self, page: Page, key: str | None) -> tuple[str, tuple[str, str] | None]:
        """The page's body HTML, and a new cache entry when it had to be converted (plain
        paragraphs are converted faster than they are looked up, so they get none);
        ContentError when it cannot be."""
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


def _portable_work(
    renderer: tuple[dict[str, object], object],
    cache_dir: Path | None,
    staging: Path,
    laid_out: bool,
    chmod: bool,
) -> PageWork:
    fields, compiled = renderer
    rebuilt = Renderer.__new__(Renderer)
    vars(rebuilt).update(fields)
    rebuilt.env = make_environment(
        rebuilt.templates_dir,
        compiled,  # type: ignore[arg-type]
        once_limit=ONCE_KEPT,
    )
    return PageWork(rebuilt, {}, {}, {}, cache_dir, staging, laid_out, chmod)


def render_page(work: PageWork, task: PageTask) -> Rendered:
    """Render one page; stage its bytes next to the target unless they are already there."""
    url = task.url
    page = task.page or work.pages[url]
    key = task.key if task.page else _body_key(work, page)
    previous = task.previous if task.page else work.previous.get(output_path(url))
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


def _rendered_here(work: PageWork, urls: list[str]) -> tuple[list[str], list[str]]:
    """Pages this process renders while workers forked before the model render the rest: the
    heavy ones, which only this process renders, then lists up to a third of all pages (a
    list sends many entries to a worker for one page; a story few), which go to the workers
    after all if they are done first."""
    pages = work.pages
    heavy = [url for url in urls if _lists(pages[url].data) > HEAVY]
    known = set(heavy)
    lists = [url for url in urls if pages[url].document is None and url not in known]
    return heavy, lists[: max(0, len(urls) // 3 - len(heavy))]


def _lists(value: object) -> int:
    """How many entries a page's data lists."""
    if isinstance(value, Entry):
        return 1
    if isinstance(value, Mapping):
        value = value.values()
    if isinstance(value, (list, tuple, ValuesView)):
        return sum(_lists(item) for item in value)
    return 0


def _body_key(work: PageWork, page: Page) -> str | None:
    return work.bodies[page.document.path] if page.document else None


def stage(
    staging: Path, name: str, data: bytes, *, laid_out: bool = False, chmod: bool = True
) -> str:
    """Write `data` into the staging folder; the build moves it into place when all is well.
    The staged file's path comes back as a string: workers send one for every page, and a
    Path takes longer to make, to send and to make again, and more memory to keep.

    Laid out, files go where they will be in the output folder, which the build can then
    rename into place whole; otherwise into one flat folder, so that nothing but the files
    themselves is left to clean up."""
    path = os.path.join(staging, name if laid_out else digest(name))
    try:
        write_new(path, data, chmod=chmod)
    except FileNotFoundError:
        if not laid_out:
            raise
        make_folder(os.path.dirname(path), chmod=chmod)
        write_new(path, data, chmod=chmod)
    return path


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

    With workers forked before the model, this process renders a share of the pages too
    while it waits for their results, and gives them the rest of its share when they are
    done with theirs. `meanwhile` is more work of this process that needs no page, done
    first, while the workers start."""
    if len(urls) > RELEASE_ABOVE:
        # What reading the content freed would otherwise stay with this process to the end.
        release_freed_memory()
    results: dict[str, Rendered] = {}
    problems: list[Problem] = []
    converted: list[tuple[str, str]] = []
    whole = parked_workers()
    heavy, lists = _rendered_here(work, urls) if whole else ([], [])
    here = {*heavy, *lists}
    # This process's share, in the order it renders it: the heavy pages, then the lists.
    queue, share = deque(heavy), deque(lists)
    pending = [meanwhile] if meanwhile else []
    workers = jobs or cores()

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
        """This process's other work, or a page of its share; False when all is done."""
        if pending:
            pending.pop()()
        elif queue or share:
            take(render_page(work, PageTask((queue or share).popleft())))
        else:
            return False
        return True

    def more() -> list[PageTask]:
        """Of the lists this process has not rendered yet, the workers' part (as if shared
        among all from the start), now that they are done with theirs."""
        given = [share.pop() for _ in range(len(share) * workers // (workers + 1))]
        return [work.task(url, whole=whole) for url in reversed(given)]

    elsewhere = [work.task(url, whole=whole) for url in urls if url not in here]
    for result in map_in_order(render_page, work, elsewhere, jobs=jobs, idle=idle, more=more):
        take(result)
    while idle():
        pass
    markdown.put_many(converted)
    if problems:
        raise ContentError(set(problems))
    return results
