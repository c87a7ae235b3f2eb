"""Front matter schemas per kind of content, and the typed document they produce."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path

from sitegen.classes import dataclass
from sitegen.content.slugs import slugify
from sitegen.content.yamltext import Field, shown
from sitegen.errors import ContentError, Problem

LAYOUTS = ("page", "home", "ask", "thanks", "ask-error", "offer", "offer-error", "not-found")
_FIXED_LAYOUTS = {"index": "home", "404": "not-found"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TAG_LENGTH = 100
# Invisible characters no one means to write, which feeds cannot carry; YAML reads them only
# from a backslash escape in double quotes ("\f", "\e"), often a Windows path's backslash.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_CONTROL_HINT = (
    r"in double quotes a backslash starts an escape: write \\ for one, or use single quotes"
)
_NAMES = {"stories": "stories", "campaigns": "campaign pages", "pages": "pages"}


@dataclass(frozen=True)
class SourceRef:
    """Where a story was first reported."""

    name: str
    url: str


@dataclass(frozen=True)
class Document:
    """One content file, validated: a story, campaign or page in one language."""

    kind: str
    slug: str
    lang: str
    path: Path
    title: str
    summary: str
    body: str = ""
    body_line: int = 1
    # When the text last changed in substance; a translation older than its original is stale.
    updated: date | None = None
    date: date | None = None
    tags: tuple[str, ...] = ()
    image: str | None = None
    image_alt: str | None = None
    location: str | None = None
    draft: bool = False
    source: SourceRef | None = None
    layout: str = "page"
    # The front matter's keys and their lines, for problems found after reading. Not compared,
    # so not in page keys either (`sitegen.incremental.fingerprint`): nothing renders them.
    lines: tuple[tuple[str, int], ...] = dataclasses.field(default=(), compare=False)

    def line_of(self, *keys: str) -> int:
        """The line of the first of `keys` in the front matter; else its first line."""
        found = dict(self.lines)
        return next((found[key] for key in keys if key in found), 1)


class _Invalid(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        self.message, self.hint = message, hint


def _text(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"'{key}' must be text (got {shown(value)})", "quote the value")
    if not value.strip():
        raise _Invalid(f"'{key}' must not be empty")
    return _visible(key, value.strip())


def _visible(key: str, text: str) -> str:
    control = _CONTROL.search(text)
    if control is not None:
        message = f"'{key}' must not hold control characters (got U+{ord(control.group()):04X})"
        raise _Invalid(message, _CONTROL_HINT)
    return text


def _date(key: str, value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    # fromisoformat alone would also take week dates and 20191129.
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        with suppress(ValueError):
            return date.fromisoformat(value)
    message = f"'{key}' must be a date like 2019-11-29 (got {shown(value)})"
    raise _Invalid(message, "write the date as YEAR-MONTH-DAY")


def _tags(key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        message = f"'{key}' must be a list of text like [jobs, mentoring] (got {shown(value)})"
        raise _Invalid(message, "put the tags in square brackets, separated by commas")
    tags = tuple(dict.fromkeys(_visible(key, v.strip()) for v in value))
    for tag in tags:
        # A tag names a folder of the site, and file systems allow 255 bytes for a name.
        if max(len(tag), len(slugify(tag))) > MAX_TAG_LENGTH:
            message = f"'{key}' has a tag of {len(tag)} characters ({shown(tag[:20])}...)"
            raise _Invalid(message, f"a tag can have at most {MAX_TAG_LENGTH} characters")
    return tags


def _bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"'{key}' must be true or false (got {shown(value)})")
    return value


def _image(key: str, value: object) -> str:
    name = _text(key, value)
    if "/" in name or "\\" in name or name.startswith("."):
        raise _Invalid(f"'{key}' must be a file name in images/ (got {shown(value)})")
    return name


def _source(key: str, value: object) -> SourceRef:
    hint = "write it as two indented lines under 'source:': 'name: ...' and 'url: https://...'"
    if not isinstance(value, dict) or set(value) != {"name", "url"}:
        raise _Invalid(f"'{key}' must have exactly 'name' and 'url'", hint)
    name = _text(f"{key}.name", value["name"].value)
    url = _text(f"{key}.url", value["url"].value)
    if not url.startswith(("https://", "http://")):
        raise _Invalid(f"'{key}.url' must start with https:// (got {shown(url)})")
    return SourceRef(name, url)


def _layout(key: str, value: object) -> str:
    if value not in LAYOUTS:
        raise _Invalid(f"'{key}' must be one of {', '.join(LAYOUTS)} (got {shown(value)})")
    return str(value)


_Check = Callable[[str, object], object]
_COMMON: dict[str, _Check] = {"title": _text, "summary": _text, "draft": _bool, "updated": _date}
_STORY: dict[str, _Check] = {
    **_COMMON,
    **{"date": _date, "tags": _tags, "image": _image, "image_alt": _text},
    **{"location": _text, "source": _source},
}
_CAMPAIGN: dict[str, _Check] = {
    **_COMMON,
    **{"date": _date, "tags": _tags, "image": _image, "image_alt": _text},
}
SCHEMAS: dict[str, tuple[dict[str, _Check], tuple[str, ...]]] = {
    "stories": (_STORY, ("title", "date", "summary")),
    "campaigns": (_CAMPAIGN, ("title", "summary")),
    "pages": ({**_COMMON, "layout": _layout}, ("title", "summary")),
}


def validate(
    kind: str,
    slug: str,
    lang: str,
    path: Path,
    fields: dict[str, Field],
    *,
    body: tuple[str, int] = ("", 1),
    images: frozenset[str] = frozenset(),
) -> Document:
    """Check front matter fields against the schema of `kind`; raise every problem at once."""
    checks, required = SCHEMAS[kind]
    problems: list[Problem] = []
    values: dict[str, object] = {}
    for key, field in fields.items():
        if key not in checks:
            problems.append(_unknown(path, kind, key, field.line, checks))
            continue
        try:
            values[key] = checks[key](key, field.value)
        except _Invalid as exc:
            problems.append(Problem(path, field.line, exc.message, exc.hint))
    for key in required:
        if key not in fields:
            problems.append(Problem(path, 1, f"'{key}' is required", f"add '{key}: ...'"))
    problems += _rules(kind, slug, path, fields, values, images)
    if problems:
        raise ContentError(problems)
    values.setdefault("layout", _FIXED_LAYOUTS.get(slug, "page") if kind == "pages" else "page")
    lines = tuple((key, value.line) for key, value in fields.items())
    return Document(
        kind,
        slug,
        lang,
        path,
        body=body[0],
        body_line=body[1],
        lines=lines,
        **values,  # type: ignore[arg-type]
    )


def _rules(
    kind: str,
    slug: str,
    path: Path,
    fields: dict[str, Field],
    values: dict[str, object],
    images: frozenset[str],
) -> list[Problem]:
    problems = []
    image = values.get("image")
    if isinstance(image, str) and image not in images:
        hint = "put the file in the images/ folder, or fix the name (it is case-sensitive)"
        problems.append(Problem(path, fields["image"].line, f"image '{image}' not found", hint))
    if "image" in fields and "image_alt" not in fields:
        hint = "describe what the image shows, for people who cannot see it"
        problems.append(
            Problem(path, fields["image"].line, "'image_alt' is required with 'image'", hint)
        )
    fixed = _FIXED_LAYOUTS.get(slug) if kind == "pages" else None
    if fixed and "layout" in values and values["layout"] != fixed:
        message = f"the page '{slug}' must use layout '{fixed}' (got {shown(values['layout'])})"
        problems.append(Problem(path, fields["layout"].line, message, "remove the 'layout' line"))
    return problems


def _unknown(path: Path, kind: str, key: str, line: int, checks: dict[str, _Check]) -> Problem:
    # Here, not at the top: only a mistake loads it (1 ms of every build).
    import difflib

    allowed = ", ".join(sorted(checks))
    close = difflib.get_close_matches(key, checks, n=1)
    guess = f"did you mean '{close[0]}'? " if close else ""
    return Problem(path, line, f"unknown key '{key}'", f"{guess}{_NAMES[kind]} allow: {allowed}")
