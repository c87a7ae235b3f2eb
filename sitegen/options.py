"""What a build is asked to do and what it did: shared by the command line and the builder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import date
from pathlib import Path

from sitegen.classes import dataclass

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# functions.help_requests.contract.CONTRACT_PATH, without loading the contract's code.
CONTRACT_PATH = TEMPLATES.parent / "functions" / "help_requests" / "openapi.yaml"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BuildOptions:
    """What to build, from where, to where."""

    content: Path = Path("content")
    output: Path = Path("public")
    templates: Path = TEMPLATES
    # The form's contract, the API's OpenAPI document: topics, field limits, error codes.
    contract: Path = CONTRACT_PATH
    cache: Path = Path(".cache")
    drafts: bool = False
    future: bool = False
    today: date | None = None
    progress: Progress | None = field(default=None, compare=False)
    # Worker processes for rendering (None: one per core); the output is the same for any number.
    jobs: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class BuildResult:
    """What a build did."""

    pages: int
    files: int
    written: int
    unchanged: int
    removed: int
    seconds: float
