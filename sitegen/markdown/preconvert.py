"""Convert many documents' Markdown on every core while the main process reads the content.

Markdown is most of a cold build's work and depends on nothing but each file's text, so it
need not wait for the site model: processes forked at the start of a build convert the files
into the Markdown cache, and pages find their HTML there when they are rendered. A file they
cannot read or split is left alone; loading it reports the problem, and a page whose HTML is
missing converts it itself, so the result never depends on these processes. Forked with
them, while the build holds little, are processes that take work aside while the model is
made (reading the form, compiling templates: `sitegen.parallel`); the pages are rendered by
processes forked from the model.

Before converting, they read most documents for the main process (`elsewhere`), which
reads its share meanwhile: reading is what it does alone until the model is made, and
what they send it (documents without their texts) takes a tenth of the time to take in.
Whatever they do not send, it reads itself.

A build with nothing in its cache converts every text: the command line starts these
processes before it loads the generator (`ahead`), and the build takes them over."""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import sys
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sitegen.content.load import (
    Loaded,
    ReadElsewhere,
    find_images,
    load_config,
    load_document,
)
from sitegen.content.schema import Document
from sitegen.errors import ContentError, Problem
from sitegen.markdown.cache import MarkdownCache
from sitegen.markdown.texts import TooDeep, converted, keyed_text, markdown_key, stripped
from sitegen.parallel import (
    MIN_PARALLEL,
    can_fork,
    cores,
    sigterm_held,
    start_workers,
    stop_workers,
    worker_start,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

# Rows per cache transaction: few enough commits, and other writers are not kept waiting.
BATCH = 64
# Files a converting process takes at once from those left, at least.
CHUNK = 16
# So many starts of runs, of 4 bytes each, fit into a pipe (64 KB on Linux, 16 on macOS)
# before any is read.
MOST_RUNS = 4096
_START = array("I").itemsize
# Converting started `ahead`, with what it was started for, until a build takes it over.
_ahead: tuple[tuple[list[str], str, int | None, str | None], Preconverter] | None = None


class Preconverter:
    """Processes converting a list of files into the cache; `join` waits for them."""

    def __init__(
        self,
        processes: list[BaseProcess],
        readers: list[Connection] | None = None,
        read: frozenset[Path] = frozenset(),
    ) -> None:
        self.processes = processes
        self.started = bool(processes)
        self.readers = readers or []
        self.read = read
        # Of each document sent: the document, and its text's cache key.
        self.sent: dict[Path, tuple[Document, str]] = {}

    @classmethod
    def start(
        cls,
        names: Sequence[str],
        cache: Path,
        *,
        jobs: int | None,
        content: Path | None = None,
        park: bool = True,
    ) -> Preconverter:
        """Start converting the files `names`, on `jobs` cores (all by default); with few
        files, do nothing. With `content`, the content folder, they first read all but every
        `workers + 1`-th file (from the first) for `elsewhere`: an equal share each, the main
        process too; each converts its own share, and they share the main process's. With
        `park`, workers are forked to wait for work aside too.

        The same files converted `ahead` are taken over rather than started again."""
        global _ahead
        ahead, _ahead = _ahead, None
        if ahead is not None:
            if ahead[0] == _asked(names, cache, jobs, content):
                converting = ahead[1]
                if converting.started and park and can_fork():
                    start_workers(len(converting.processes))
                return converting
            ahead[1].stop()
        paths = [Path(name) for name in names]
        workers = min(jobs or cores(), len(paths) // (MIN_PARALLEL // 2))
        if workers < 2 or len(paths) < MIN_PARALLEL or not can_fork():
            return cls([])
        import multiprocessing  # here: a rebuild after an edit never starts these processes

        context = multiprocessing.get_context("fork")
        processes: list[BaseProcess] = []
        readers: list[Connection] = []
        read: set[Path] = set()
        # Each process converts the files it reads for the main process, with their texts in
        # hand; the main process's share, as runs that the processes take one at a time from a
        # pipe, whoever is free first: shares fixed ahead end at different times (one process
        # meets the only text that needs Python-Markdown, and loads it), while the build waits
        # for the last, and the runs even them out. Without `content`, all are runs.
        rest = list(paths if content is None else paths[:: workers + 1])
        runs = _runs(len(rest))
        try:
            for index in range(workers):
                reading = None
                if content is not None:
                    reader, writer = context.Pipe(duplex=False)
                    to_read = list(paths[1 + index :: workers + 1])
                    reading = (content, to_read, writer)
                    readers.append(reader)
                    read.update(to_read)
                process = context.Process(
                    target=convert_into_cache, args=(rest, cache, reading, runs), daemon=True
                )
                with sigterm_held():
                    process.start()
                if reading is not None:
                    reading[2].close()  # the process's end: when it ends, reading it ends too
                processes.append(process)
        finally:
            os.close(runs[0])  # theirs now
        # After the processes above: a pool runs threads, and a process with threads cannot
        # fork safely.
        if park:
            start_workers(workers)
        return cls(processes, readers, frozenset(read))

    def elsewhere(self) -> ReadElsewhere | None:
        """The documents these processes read, for `load_content`; None when they read none."""
        return ReadElsewhere(self.read, self._loaded, self.sent) if self.readers else None

    def _loaded(self) -> Iterator[Loaded]:
        """What each process sent, once; from one that ended first, nothing."""
        readers, self.readers = self.readers, []
        for reader in readers:
            with reader:
                try:
                    loaded = reader.recv()
                except (EOFError, OSError):
                    continue
            if isinstance(loaded, Loaded):
                for path, key in loaded.keys.items():
                    self.sent[path] = (loaded.found[path], key)  # type: ignore[assignment]
                yield loaded

    def join(self) -> None:
        """Wait until every file is converted (or its process has failed)."""
        for process in self.processes:
            process.join()
        self.processes = []

    def stop(self) -> None:
        """End the processes now, and those waiting for work aside: the build has failed."""
        for process in self.processes:
            process.terminate()
        self.join()
        for reader in self.readers:
            reader.close()
        self.readers = []
        if self.started:
            stop_workers()
        self.started = False


def ahead(names: Sequence[str], cache: Path, *, jobs: int | None, content: Path) -> None:
    """Start converting the files `names` of the content folder before the build is loaded,
    for a build with nothing in its cache, which converts them all: it takes the processes
    over (`Preconverter.start`). Not when the cache cannot be made: the build says why."""
    try:
        # Made here, as the build makes it before forking: of processes making a new cache
        # at the same moment, only one can set it up.
        MarkdownCache(cache)
    except (OSError, sqlite3.Error):
        return
    converting = Preconverter.start(names, cache, jobs=jobs, content=content, park=False)
    global _ahead
    _ahead = (_asked(names, cache, jobs, content), converting)


def _asked(
    names: Sequence[str], cache: Path, jobs: int | None, content: Path | None
) -> tuple[list[str], str, int | None, str | None]:
    """What converting was started for, as compared."""
    return list(names), os.fspath(cache), jobs, None if content is None else os.fspath(content)


def stop_ahead() -> None:
    """Stop converting ahead, if no build took it over."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is not None:
        ahead[1].stop()


def convert_into_cache(
    paths: Sequence[Path],
    folder: Path,
    reading: tuple[Path, Sequence[Path], Connection] | None = None,
    runs: tuple[int, int] | None = None,
) -> None:
    """Put the HTML of every file's body that the cache lacks into it, plain paragraphs too:
    the pages of a whole build hold their documents without the texts, and one that found
    none would read its file again (looking in the cache, then reading and converting plain
    paragraphs took some 45 us a page at 10,000 stories; finding them, 17). With `reading`
    (the content folder, files, where to send them), first read those files' documents and
    send them as `Loaded`, then convert them too, from the texts read (reading them again
    took a sixth of these processes' time). With `runs` (the pipe of runs of `paths` and its
    length, from `_runs`), only the runs of `paths` this process takes from it."""
    worker_start()
    in_hand: dict[Path, tuple[str, str]] = {}
    left: list[Path] = []
    if reading is not None:
        in_hand = _read_and_send(*reading)
        # Those whose documents could not be read, by path, as the others; apart from
        # `paths`, which the runs taken from the pipe are places in.
        left = [path for path in reading[1] if path not in in_hand]
    # The main process, reading the content meanwhile, is what the build waits for: it goes first.
    os.nice(5)
    cache = MarkdownCache(folder)
    batch: list[tuple[str, str]] = []
    try:
        by_path = itertools.chain(left, paths if runs is None else _taken(paths, *runs))
        texts = itertools.chain(in_hand.values(), map(keyed_text, by_path))
        for found in texts:
            if found is None:
                continue
            text, key = found
            if cache.get(key) is None:
                try:
                    batch.append((key, converted(text)))
                except TooDeep:
                    continue  # its page says why
            if len(batch) >= BATCH:
                cache.put_many(batch)
                batch.clear()
        cache.put_many(batch)
    finally:
        cache.close()


def _runs(count: int) -> tuple[int, int]:
    """A pipe holding where each run of `count` files starts, read end first; and the length
    of a run: at least CHUNK, and long enough that all the starts fit into the pipe at once."""
    length = max(CHUNK, -(-count // MOST_RUNS))
    reading, writing = os.pipe()
    starts = array("I", range(0, count, length)).tobytes()
    with os.fdopen(writing, "wb") as pipe:
        pipe.write(starts)
    return reading, length


def _taken(paths: Sequence[Path], pipe: int, length: int) -> Iterator[Path]:
    """The files of `paths` this process takes, a run at a time, until the pipe is empty.
    Every start in it has the same size, so a read takes one whole start or nothing."""
    with open(pipe, "rb", buffering=0, closefd=True) as runs:
        while len(start := runs.read(_START)) == _START:
            first = int.from_bytes(start, sys.byteorder)
            yield from paths[first : first + length]


def _read_and_send(
    content: Path, paths: Sequence[Path], to: Connection
) -> dict[Path, tuple[str, str]]:
    """Send the documents of `paths` as `Loaded`, without their texts but with their cache
    keys (as the build keeps them); the text and key of each, by path. A file that fails
    otherwise than with a content error is left out (the main process reads it itself, if
    it is content at all); when the settings cannot be read, nothing is sent."""
    texts: dict[Path, tuple[str, str]] = {}
    with to:
        try:
            config = load_config(content)
            images = find_images(content / "images")
        except Exception:  # the main process meets it again, and reports it
            return texts
        found: dict[Path, Document | tuple[Problem, ...]] = {}
        keys: dict[Path, str] = {}
        for path in paths:
            try:
                doc = load_document(content, path, config, images)
            except ContentError as exc:
                found[path] = tuple(exc.problems)
                continue
            except Exception:  # noqa: S112 - e.g. Markdown outside stories/: not content
                continue
            key = keys[path] = markdown_key(doc.body)
            texts[path] = (doc.body, key)
            found[path] = stripped(doc)
        with contextlib.suppress(OSError):  # the main process has stopped
            to.send(Loaded(config, images, found, keys))
    return texts
