"""Digests of everything that decides an output: data, templates, code and package versions."""

from __future__ import annotations

import dataclasses
import operator
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import cache
from pathlib import Path, PosixPath, PurePath
from typing import cast

import jinja2
import jinja2.meta

from sitegen.content.load import unreadable
from sitegen.content.schema import Document
from sitegen.digest import digest
from sitegen.errors import ContentError, Problem, template_problem
from sitegen.incremental import noop
from sitegen.packages import package_version

PACKAGES = ("markdown", "nh3", "jinja2", "markupsafe", "pyyaml", "pillow")
_CODE = Path(__file__).resolve().parents[1]


@cache
def code_version() -> str:
    """The generator's own sources, Python's version and the versions of the packages it uses;
    as the no-change check found it recorded, when it did (reading the sources takes longer)."""
    recorded = noop.recorded_version()
    if recorded is not None:
        return recorded
    versions = [f"{name}={package_version(name)}" for name in PACKAGES]
    sources = [path.read_bytes() for path in sorted(_CODE.rglob("*.py"))]
    return digest(sys.version, *versions, *sources)


# The templates a site's pages may use, by the ends of their names.
TEMPLATE_SUFFIXES = (".html", ".xml", ".txt")
# Values that stand for themselves (a document's path is one of every document's fields).
_PLAIN = frozenset({str, int, float, bool, type(None), date, PosixPath})


class Fingerprinter:
    """Digests of data (the documents, the site-wide parts of the page keys); objects met
    again, such as a document several parts hold, are digested once.

    A document is digested without its text: templates show only their own page's text, as
    `body`, so the page key adds that one (see `sitegen.incremental.prepared.PageKeys`)."""

    def __init__(self) -> None:
        # Keyed by id(), and each object digested is kept alive here: the id of one freed
        # could be taken by another object with other fields.
        self._memo: dict[int, str] = {}
        self._kept: list[object] = []
        # Per kind of dataclass: its name and what gets the fields that count, as a tuple.
        self._kinds: dict[type, tuple[str, Callable[[object], tuple[object, ...]]]] = {}

    def kept(self) -> int:
        """How many objects it keeps, digested."""
        return len(self._kept)

    def of(self, value: object) -> str:
        """The digest of a value built from dataclasses, collections and plain values."""
        token = self._token(value)
        if type(value) in self._kinds:
            return cast("str", token)  # a dataclass's token is its digest already
        return digest(repr(token))

    def _token(self, value: object) -> object:
        """A value of plain types only, whose repr stands for `value`; dataclasses by digest."""
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind in self._kinds:
            # A kind of dataclass seen before: the checks below would come to the same.
            return self._memo.get(id(value)) or self._dataclass(value)
        if kind is tuple or kind is list:
            return self._tokens(value)  # type: ignore[arg-type]
        if kind is dict:
            # Before the checks below: most mappings are dicts.
            return self._pairs(cast("dict[object, object]", value))
        if isinstance(value, str | int | float | date | PurePath):
            return value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self._memo.get(id(value)) or self._dataclass(value)
        if isinstance(value, Mapping):
            return self._pairs(value)
        if isinstance(value, frozenset | set):
            return ("set", tuple(sorted(repr(self._token(item)) for item in value)))
        raise TypeError(f"cannot fingerprint a {type(value).__name__}; add it to {__name__}")

    def _pairs(self, mapping: Mapping[object, object]) -> tuple[str, tuple[object, ...]]:
        """A mapping's keys and values, pair by pair in its order."""
        keys, values = self._tokens(mapping), self._tokens(mapping.values())
        return ("{", tuple(zip(keys, values, strict=True)))

    def _tokens(self, values: Iterable[object]) -> tuple[object, ...]:
        # Most values are plain: tested here, they cost no call.
        return tuple([v if type(v) in _PLAIN else self._token(v) for v in values])

    def _dataclass(self, value: object) -> str:
        kind = type(value)
        known = self._kinds.get(kind)
        if known is None:
            known = self._kinds[kind] = (kind.__name__, _field_getter(kind))
        name, fields = known
        token = self._memo[id(value)] = digest(name, repr(self._tokens(fields(value))))
        self._kept.append(value)
        return token


def _field_getter(kind: type) -> Callable[[object], tuple[object, ...]]:
    """What gets the fields of a dataclass that count, as a tuple, in their order: those that
    count for equality (a document's lines do not: they only say where a problem is)."""
    skip = {"body"} if kind is Document else set()
    names = [f.name for f in dataclasses.fields(kind) if f.compare and f.name not in skip]
    if not names:
        return lambda value: ()
    if len(names) == 1:
        only = names[0]
        return lambda value: (getattr(value, only),)
    return operator.attrgetter(*names)


def template_digests(env: jinja2.Environment, names: Iterable[str]) -> dict[str, str]:
    """Per template, a digest of its source and of every template it extends or includes,
    by whatever literal name it is included (`./card.html`, `icon.svg`).

    Only these templates and those they use are parsed, not every one in the folder (it holds
    the e-mails' too, which the site does not render); each that does not parse, and any
    template that cannot be read as UTF-8, is a content error at its line."""
    sources: dict[str, tuple[str, str | None]] = {}
    problems: list[Problem] = []
    # Names looked up and not found, or found unreadable (a problem already).
    lacking: set[str] = set()

    def source_of(name: str) -> tuple[str, str | None] | None:
        if name not in sources and name not in lacking:
            found = _source(env, name, problems)
            if found is None:
                lacking.add(name)
            else:
                sources[name] = found
        return sources.get(name)

    for name in env.list_templates(filter_func=lambda n: n.endswith(TEMPLATE_SUFFIXES)):
        source_of(name)
    everything = digest(*(f"{n}\0{s}" for n, (s, _) in sorted(sources.items())))
    uses: dict[str, frozenset[str] | None] = {}

    def used_by(name: str) -> frozenset[str] | None:
        if name not in uses:
            found = source_of(name)
            try:
                uses[name] = frozenset() if found is None else _referenced(env, name, *found)
            except ContentError as error:
                problems.extend(error.problems)
                uses[name] = frozenset()
        return uses[name]

    digests = {name: _closure_digest(name, sources, used_by, everything) for name in names}
    if problems:
        raise ContentError(problems)
    return digests


def _source(
    env: jinja2.Environment, name: str, problems: list[Problem]
) -> tuple[str, str | None] | None:
    """A template's source and file as the loader finds it by `name`; None when it finds none
    (rendering reports that) or cannot read it (a problem)."""
    if env.loader is None:
        return None
    try:
        return env.loader.get_source(env, name)[:2]
    except jinja2.TemplateNotFound:
        return None
    except (UnicodeDecodeError, OSError) as exc:
        folder = getattr(env.loader, "searchpath", ["."])[0]
        problems.append(unreadable(Path(folder, name), exc))
        return None


# A template's source, and the templates that source extends, includes or imports (None:
# one named at run time).
Uses = tuple[str, frozenset[str] | None]
# What templates use, by name, as another process found it (`template_references`).
References = Mapping[str, Uses]
# What `_referenced` found, by the syntax it parsed with and the template's name (`_syntax`):
# parsing every template took half of the development server's rebuild after a change to a
# text's front matter. One entry a template, whatever its edits.
_REFERENCED: dict[tuple[object, tuple[str, ...], str], Uses] = {}


def _syntax(env: jinja2.Environment, name: str) -> tuple[object, tuple[str, ...], str]:
    """The key of a template in `_REFERENCED`: environments of the same syntax (the lexer,
    which jinja2 shares between them, and the extensions) parse it alike."""
    return (env.lexer, tuple(sorted(env.extensions)), name)


def _referenced(
    env: jinja2.Environment, name: str, source: str, filename: str | None
) -> frozenset[str] | None:
    """The templates a template's source extends, includes or imports; None when it names one
    at run time. Kept for the next build in this process (each has an environment of its
    own, with the same syntax: the lexer, which jinja2 shares between them, and extensions).
    An environment that can keep the parsed template for its compile (`parse_ahead`) is
    asked to: a build with nothing compiled yet then parses each template once."""
    key = _syntax(env, name)
    known = _REFERENCED.get(key)
    if known is not None and known[0] == source:
        return known[1]
    parse = getattr(env, "parse_ahead", env.parse)
    try:
        tree = parse(source, name, filename)
    except jinja2.TemplateSyntaxError as exc:
        raise ContentError([template_problem(exc, Path(filename or name))]) from exc
    referenced = list(jinja2.meta.find_referenced_templates(tree))
    found = None if None in referenced else frozenset(n for n in referenced if n is not None)
    _REFERENCED[key] = (source, found)
    return found


def template_references(env: jinja2.Environment, names: Iterable[str]) -> dict[str, Uses]:
    """What each of `names` uses, parsed as `template_digests` parses it, for a build that
    takes it in (`remember_references`) rather than parsing each template again: waiting
    workers find it as they compile the templates, from the trees they compile. A template
    that cannot be read or parsed is left out: `template_digests` meets it and says why."""
    found: dict[str, Uses] = {}
    for name in names:
        source = _source(env, name, [])
        if source is None:
            continue
        try:
            found[name] = (source[0], _referenced(env, name, *source))
        except ContentError:
            continue
    return found


def remember_references(env: jinja2.Environment, found: References) -> None:
    """Take what another process found templates use (`template_references`, with an
    environment of the same syntax) as parsed here: `template_digests` parses only those
    whose source is not the one found. Parsing the templates of a build was some 25 ms of
    this process's time before any page is rendered, with workers' parses of the very same
    texts waiting to be compiled."""
    for name, known in found.items():
        _REFERENCED[_syntax(env, name)] = known


def _closure_digest(
    name: str,
    sources: dict[str, tuple[str, str | None]],
    used_by: Callable[[str], frozenset[str] | None],
    everything: str,
) -> str:
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        referenced = used_by(current)
        if referenced is None:
            # A template named at run time could be any of them.
            return everything
        todo.extend(referenced)
    return digest(*(f"{n}\0{sources.get(n, ('', None))[0]}" for n in sorted(seen)))
