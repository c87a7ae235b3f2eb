"""Errors of the site generator: every content problem names a file, a line and a fix."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sitegen.classes import dataclass

if TYPE_CHECKING:
    import jinja2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, at `path:line`, with a hint on how to fix it."""

    path: Path
    line: int | None
    message: str
    hint: str = ""

    def format(self, root: Path | None = None) -> str:
        """Render as `path:line: message` plus an indented hint line."""
        where = (
            f"{display_path(self.path, root)}:{self.line}"
            if self.line
            else str(display_path(self.path, root))
        )
        text = f"{where}: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def annotation(self, root: Path | None = None) -> str:
        """The problem as a GitHub Actions error: `::error file=...,line=...,title=...::...`."""
        where = str(display_path(self.path, root))
        return github_error(self.format(root), title="Content error", file=where, line=self.line)


def template_problem(error: jinja2.TemplateSyntaxError, path: Path) -> Problem:
    """A template Jinja cannot compile (its syntax, an unknown filter), as a problem at its line."""
    return Problem(path, error.lineno, error.message or "syntax error")


class SiteError(Exception):
    """Base class of every error the generator reports to a person."""


class ContentError(SiteError):
    """The input has problems; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (str(p.path), p.line or 0, p.message))
        super().__init__(f"{len(self.problems)} problem(s) in the content")

    def __reduce__(self) -> tuple[type[ContentError], tuple[list[Problem]]]:
        """Made again from its problems when it comes back from a worker: by default, an
        exception is made again from its message, which this one does not take."""
        return type(self), (self.problems,)

    def format(self, root: Path | None = None) -> str:
        """Every problem, one block each, then a count."""
        return "\n".join([*(p.format(root) for p in self.problems), self.summary()])

    def annotations(self, root: Path | None = None) -> str:
        """Every problem as a GitHub Actions error annotation, one line each."""
        return "\n".join(p.annotation(root) for p in self.problems)

    def summary(self) -> str:
        """`2 errors; nothing was written.`"""
        count = len(self.problems)
        return f"{count} error{'s' if count != 1 else ''}; nothing was written."


class OutputError(SiteError):
    """The output folder cannot be used."""


class WorkerLost(SiteError):
    """A worker process of the build ended before its work was done (killed, out of memory)."""


def display_path(path: Path, root: Path | None = None) -> Path:
    """Show a path relative to `root` (the working directory by default) when it lies inside."""
    try:
        base = (root or Path.cwd()).resolve()
        return path.resolve().relative_to(base)
    except (ValueError, OSError, RuntimeError):  # outside, or links in a loop (RuntimeError)
        return path


def github_error(
    message: str, *, title: str, file: str | None = None, line: int | None = None
) -> str:
    """A GitHub Actions error annotation: `::error file=...,line=...,title=...::message`."""
    properties = {"file": file, "line": str(line) if line else None, "title": title}
    listed = ",".join(f"{k}={_escape_property(v)}" for k, v in properties.items() if v)
    return f"::error {listed}::{_escape_data(message)}"


# GitHub's workflow commands (actions/toolkit, command.ts): data escapes %, CR and LF;
# a property's value also its separators, ':' and ','.
def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class PublishError(SiteError):
    """The site cannot be published: `public/` is not ready, or AWS refused a request."""


class ServeError(SiteError):
    """The development server cannot start: its port is taken or DynamoDB Local fails."""
