"""Convert many documents' Markdown on every core while the main process reads the content.

Markdown is most of a cold build's work and depends on nothing but each file's text, so it
need not wait for the site model: processes forked at the start of a build convert the files
into the Markdown cache, and pages find their HTML there when they are rendered. A file they
cannot read or split is left alone; loading it reports the problem, and a page whose HTML is
missing converts it itself, so the result never depends on these processes. Forked while the
build holds little, they then stay parked to render the pages (`sitegen.parallel`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from multiprocessing.pool import AsyncResult
from pathlib import Path

from sitegen.content.frontmatter import body
from sitegen.content.load import read_text
from sitegen.errors import ContentError
from sitegen.markdown.cache import MarkdownCache
from sitegen.markdown.convert import render_markdown
from sitegen.markdown.texts import markdown_key
from sitegen.parallel import (
    MIN_PARALLEL,
    can_fork,
    cores,
    release_freed_memory,
    start_workers,
    stop_workers,
)

# Rows per cache transaction: few enough commits, and other writers are not kept waiting.
BATCH = 64
# The main process, reading the content meanwhile, is what the build waits for: it goes first.
NICENESS = 5


class Preconverter:
    """Processes converting a list of files into the cache; `join` waits for them."""

    def __init__(self, tasks: list[AsyncResult[None]]) -> None:
        self.tasks = tasks
        self.started = bool(tasks)

    @classmethod
    def start(cls, paths: Sequence[Path], cache: Path, *, jobs: int | None) -> Preconverter:
        """Start converting, on `jobs` cores (all by default); with few files, do nothing."""
        workers = min(jobs or cores(), len(paths) // (MIN_PARALLEL // 2))
        if workers < 2 or len(paths) < MIN_PARALLEL or not can_fork():
            return cls([])
        pool = start_workers(workers)
        shares = [list(paths[index::workers]) for index in range(workers)]
        return cls([pool.apply_async(convert_into_cache, (share, cache)) for share in shares])

    def join(self) -> None:
        """Wait until every file is converted (or its process has failed); the processes
        stay, parked for rendering."""
        for task in self.tasks:
            task.wait()
        self.tasks = []

    def stop(self) -> None:
        """End the processes now: the build they were for has failed."""
        if self.started:
            stop_workers()
        self.tasks, self.started = [], False


def convert_into_cache(paths: Sequence[Path], folder: Path) -> None:
    """Put the HTML of every file's body that the cache lacks into it."""
    os.nice(NICENESS)
    cache = MarkdownCache(folder)
    batch: list[tuple[str, str]] = []
    try:
        for path in paths:
            try:
                text = body(read_text(path), path)
            except ContentError:
                continue
            key = markdown_key(text)
            if cache.get(key) is None:
                batch.append((key, render_markdown(text)))
            if len(batch) >= BATCH:
                cache.put_many(batch)
                batch.clear()
        cache.put_many(batch)
    finally:
        cache.close()
        release_freed_memory()
        # Rendering, which this process may do next, is what the build waits for then. Only a
        # privileged process may raise its priority again.
        with contextlib.suppress(PermissionError):
            os.nice(-NICENESS)
