"""Digests of everything that decides an output: data, templates, code and package versions."""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from importlib import metadata
from pathlib import Path, PurePath

import jinja2
import jinja2.meta

PACKAGES = ("markdown", "nh3", "jinja2", "markupsafe", "pyyaml", "pillow")
_CODE = Path(__file__).resolve().parent


def digest(*parts: str | bytes) -> str:
    """A short stable hex digest of some text."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(part.encode() if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()


@cache
def code_version() -> str:
    """The generator's own sources, Python's version and the versions of the packages it uses."""
    versions = [f"{name}={_version(name)}" for name in PACKAGES]
    sources = [path.read_bytes() for path in sorted(_CODE.rglob("*.py"))]
    return digest(sys.version, *versions, *sources)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


class Fingerprinter:
    """Digests of page data; shared objects (entries, tags) are digested once per build."""

    def __init__(self) -> None:
        # Keyed by id(): the model keeps every object alive for the whole build.
        self._memo: dict[int, str] = {}

    def of(self, value: object) -> str:
        """The digest of a value built from dataclasses, collections and plain values."""
        parts: list[str] = []
        self._encode(value, parts)
        return digest("\x1f".join(parts))

    def _encode(self, value: object, out: list[str]) -> None:
        if value is None or isinstance(value, str | int | float | bool | date | PurePath):
            out.append(repr(value))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            out.append(self._dataclass(value))
        elif isinstance(value, Mapping):
            out.append("{")
            for key, item in value.items():
                self._encode(key, out)
                self._encode(item, out)
            out.append("}")
        elif isinstance(value, list | tuple | frozenset | set):
            items = sorted(value, key=repr) if isinstance(value, frozenset | set) else value
            out.append("[")
            for item in items:
                self._encode(item, out)
            out.append("]")
        else:
            raise TypeError(f"cannot fingerprint a {type(value).__name__}; add it to {__name__}")

    def _dataclass(self, value: object) -> str:
        known = self._memo.get(id(value))
        if known is None:
            parts = [type(value).__name__]
            for field in dataclasses.fields(value):  # type: ignore[arg-type]
                self._encode(getattr(value, field.name), parts)
            known = self._memo[id(value)] = digest("\x1f".join(parts))
        return known


def template_digests(env: jinja2.Environment, names: Iterable[str]) -> dict[str, str]:
    """Per template, a digest of its source and of every template it extends or includes."""
    sources: dict[str, str] = {}
    uses: dict[str, set[str] | None] = {}
    for name in env.list_templates(filter_func=lambda n: n.endswith((".html", ".xml", ".txt"))):
        sources[name] = env.loader.get_source(env, name)[0] if env.loader else ""
        found = jinja2.meta.find_referenced_templates(env.parse(sources[name]))
        referenced = list(found)
        uses[name] = None if None in referenced else {n for n in referenced if n is not None}
    everything = digest(*(f"{n}\0{s}" for n, s in sorted(sources.items())))
    return {name: _closure_digest(name, sources, uses, everything) for name in names}


def _closure_digest(
    name: str, sources: dict[str, str], uses: dict[str, set[str] | None], everything: str
) -> str:
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        referenced = uses.get(current, set())
        if referenced is None:
            # A template named at run time could be any of them.
            return everything
        todo.extend(referenced)
    return digest(*(f"{n}\0{sources.get(n, '')}" for n in sorted(seen)))
