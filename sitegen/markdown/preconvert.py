"""Convert many documents' Markdown on every core while the main process reads the content.

Markdown is most of a cold build's work and depends on nothing but each file's text, so it
need not wait for the site model: processes forked at the start of a build convert the files
into the Markdown cache, and pages find their HTML there when they are rendered. A file they
cannot read or split is left alone; loading it reports the problem, and a page whose HTML is
missing converts it itself, so the result never depends on these processes. The processes
that will render the pages are forked with them, while the build holds little, and wait
(`sitegen.parallel`); converting leaves a process holding more than rendering needs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sitegen.content.frontmatter import body
from sitegen.content.load import read_text
from sitegen.errors import ContentError
from sitegen.markdown.cache import MarkdownCache
from sitegen.markdown.convert import render_with_markdown
from sitegen.markdown.plain import plain_paragraphs
from sitegen.markdown.texts import markdown_key
from sitegen.parallel import (
    MIN_PARALLEL,
    can_fork,
    cores,
    sigterm_held,
    start_workers,
    stop_workers,
    worker_signals,
)

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

# Rows per cache transaction: few enough commits, and other writers are not kept waiting.
BATCH = 64


class Preconverter:
    """Processes converting a list of files into the cache; `join` waits for them."""

    def __init__(self, processes: list[BaseProcess]) -> None:
        self.processes = processes
        self.started = bool(processes)

    @classmethod
    def start(cls, paths: Sequence[Path], cache: Path, *, jobs: int | None) -> Preconverter:
        """Start converting, on `jobs` cores (all by default); with few files, do nothing."""
        workers = min(jobs or cores(), len(paths) // (MIN_PARALLEL // 2))
        if workers < 2 or len(paths) < MIN_PARALLEL or not can_fork():
            return cls([])
        import multiprocessing  # here: a rebuild after an edit never starts these processes

        context = multiprocessing.get_context("fork")
        processes: list[BaseProcess] = []
        for index in range(workers):
            share = list(paths[index::workers])
            process = context.Process(target=convert_into_cache, args=(share, cache), daemon=True)
            with sigterm_held():
                process.start()
            processes.append(process)
        # After the processes above: a pool runs threads, and a process with threads cannot
        # fork safely.
        start_workers(workers)
        return cls(processes)

    def join(self) -> None:
        """Wait until every file is converted (or its process has failed)."""
        for process in self.processes:
            process.join()
        self.processes = []

    def stop(self) -> None:
        """End the processes now, and those waiting to render: the build has failed."""
        for process in self.processes:
            process.terminate()
        self.join()
        if self.started:
            stop_workers()
        self.started = False


def convert_into_cache(paths: Sequence[Path], folder: Path) -> None:
    """Put the HTML of every file's body that the cache lacks into it; texts of plain
    paragraphs are left out, as pages leave them out (converting one costs less than finding
    it in the cache)."""
    worker_signals()
    # The main process, reading the content meanwhile, is what the build waits for: it goes first.
    os.nice(5)
    cache = MarkdownCache(folder)
    batch: list[tuple[str, str]] = []
    try:
        for path in paths:
            try:
                text = body(read_text(path), path)
            except ContentError:
                continue
            if plain_paragraphs(text) is not None:
                continue
            key = markdown_key(text)
            if cache.get(key) is None:
                batch.append((key, render_with_markdown(text)))
            if len(batch) >= BATCH:
                cache.put_many(batch)
                batch.clear()
        cache.put_many(batch)
    finally:
        cache.close()
