"""The Markdown cache in `.cache/markdown.sqlite`: sanitised HTML by a digest of its Markdown
and of the code that converts it, shared by every build and process."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Protocol

from sitegen.digest import digest
from sitegen.packages import package_version

_CODE = Path(__file__).resolve().parent


@cache
def markdown_version() -> str:
    """What Markdown HTML depends on besides the text: the converter's code and packages."""
    versions = [f"{name}={package_version(name)}" for name in ("markdown", "nh3")]
    names = ("convert.py", "fast.py", "plain.py", "simple.py")
    sources = [(_CODE / name).read_bytes() for name in names]
    return digest(sys.version, *versions, *sources)


class HtmlCache(Protocol):
    """Body HTML by the key of its Markdown (`sitegen.markdown.texts.markdown_key`)."""

    def get(self, key: str) -> str | None: ...
    def get_many(self, keys: Iterable[str]) -> dict[str, str]: ...
    def put_many(self, items: Iterable[tuple[str, str]]) -> None: ...


class HtmlMemo:
    """Body HTML kept in this process's memory only, for a check that writes nothing."""

    def __init__(self) -> None:
        self.html: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        """The HTML, if this process converted it."""
        return self.html.get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """The HTML of every key this process converted."""
        return {key: self.html[key] for key in keys if key in self.html}

    def put_many(self, items: Iterable[tuple[str, str]]) -> None:
        """Keep HTML for later pages."""
        self.html.update(items)


class MarkdownCache:
    """Sanitised HTML by a digest of its Markdown source and of the converter.

    The database is made ready here and then closed, and opened again on first use: a build
    forks processes after making its cache, and SQLite must not see a connection (nor its
    locks) carried into a forked child. Making it ready first means the processes that open
    it at the same moment later find it in WAL mode, which only one of them could switch."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "markdown.sqlite"
        self._db: sqlite3.Connection | None = None
        self._open().close()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA synchronous=NORMAL")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS html (key TEXT PRIMARY KEY, html TEXT)")
        except BaseException:
            # Closed now (a file that is not a database, one locked too long): else only the
            # cycle collector would, which a build runs without, and the open file would go
            # into every process forked meanwhile.
            db.close()
            raise
        return db

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, opened now if it is not yet."""
        if self._db is None:
            self._db = self._open()
        return self._db

    def get(self, key: str) -> str | None:
        """The cached HTML, if any."""
        row = self.db.execute("SELECT html FROM html WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """The cached HTML of every key that has some."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, html FROM html WHERE key IN ({marks})"  # noqa: S608 - only ?s
            found.update(self.db.execute(query, chunk).fetchall())
        return found

    def put_many(self, items: Iterable[tuple[str, str]]) -> None:
        """Store HTML in one transaction."""
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO html VALUES (?, ?)", items)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes; roll back on error."""
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        """Release the database."""
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def is_open(self) -> bool:
        """Whether this process holds a connection."""
        return self._db is not None
