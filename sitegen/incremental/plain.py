"""Saved documents as plain values, which marshal writes in half of pickle's time and reads
in a third, made again into documents only when asked for: the build state's model and the
kit hold every document, and an edit that moves a story in a tag's list reads some 5,000 of
them back for the 400 its pages show.

What marshal cannot hold as it is (a subclass of text or of a number, a date with a time) is
held pickled instead, so that every document comes back as it was."""

from __future__ import annotations

import copyreg
import dataclasses
import io
import marshal
import operator
import pickle
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sitegen.content.schema import Document, SourceRef
from sitegen.markdown.texts import DOCUMENT_TYPES

_PATH = type(Path())
_Kind = TypeVar("_Kind")


def field_names(kind: type) -> tuple[str, ...]:
    """The names of a dataclass's fields, in order: the order its values are saved in."""
    return tuple(field.name for field in dataclasses.fields(kind))


def made_again(kind: type[_Kind], names: Sequence[str], values: Iterable[object]) -> _Kind:
    """An object of a dataclass made again from the values of its fields `names`, as pickle
    makes one again: its fields set, without calling the class."""
    made: _Kind = kind.__new__(kind)
    made.__dict__.update(zip(names, values, strict=True))
    return made


# Each class of document, by its number in its values, with its fields in order.
_FIELDS = tuple(field_names(kind) for kind in DOCUMENT_TYPES)
_NUMBERS = {kind: number for number, kind in enumerate(DOCUMENT_TYPES)}
_VALUES = tuple(operator.attrgetter(*names) for names in _FIELDS)
# Where the fields held otherwise than as themselves are, in each class.
_AT = tuple(
    tuple(names.index(name) for name in ("path", "updated", "date", "source")) for names in _FIELDS
)


def plain_document(doc: Document) -> tuple[Any, ...] | None:
    """A document as plain values: its class's number and its fields, the path as text, the
    days as numbers, the source as its name and URL; None when a field is of another class
    than these (marshal is left to refuse the rest)."""
    number = _NUMBERS.get(type(doc))
    updated, day, source = doc.updated, doc.date, doc.source
    if (
        number is None
        or type(doc.path) is not _PATH
        or not (updated is None or type(updated) is date)
        or not (day is None or type(day) is date)
        or not (source is None or type(source) is SourceRef)
    ):
        return None
    values = [number, *_VALUES[number](doc)]
    at_path, at_updated, at_date, at_source = _AT[number]
    values[1 + at_path] = str(doc.path)
    values[1 + at_updated] = None if updated is None else updated.toordinal()
    values[1 + at_date] = None if day is None else day.toordinal()
    values[1 + at_source] = None if source is None else (source.name, source.url)
    return tuple(values)


def document_from(values: tuple[Any, ...]) -> Document:
    """The document `plain_document` gave these values of."""
    number, *fields = values
    names = _FIELDS[number]
    if len(fields) != len(names):
        raise ValueError("not a saved document")
    at_path, at_updated, at_date, at_source = _AT[number]
    fields[at_path] = _path(fields[at_path])
    if (updated := fields[at_updated]) is not None:
        fields[at_updated] = date.fromordinal(updated)
    if (day := fields[at_date]) is not None:
        fields[at_date] = date.fromordinal(day)
    if (source := fields[at_source]) is not None:
        fields[at_source] = SourceRef(*source)
    kind: type[Document] = DOCUMENT_TYPES[number]
    return made_again(kind, names, fields)


# A path of each folder documents were found in, by the folder's text: another file's path in
# it is made from it by its name in less than half the time that parsing the whole text takes.
_SIBLINGS: dict[str, Path] = {}


def _path(text: str) -> Path:
    """`Path(text)` of a path's text as `str` gives it."""
    folder, slash, name = text.rpartition("/")
    if not slash or name in ("", ".", ".."):
        return _PATH(text)
    sibling = _SIBLINGS.get(folder)
    if sibling is None:
        sibling = _SIBLINGS[folder] = _PATH(text)
        return sibling
    return sibling.with_name(name)


def _reduce_path(path: Path) -> tuple[type[Path], tuple[str]]:
    return type(path), (str(path),)


# Paths pickled as their text: made again from it, a path takes half the time it takes from
# its parts, as pathlib pickles it.
_PATHS_AS_TEXT = {**copyreg.dispatch_table, _PATH: _reduce_path}


def pickled(value: object) -> bytes:
    """What marshal cannot hold, pickled, with its paths as text."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _PATHS_AS_TEXT
    pickler.dump(value)
    return buffer.getvalue()


def dumps(rows: dict[Any, Any] | tuple[Any, ...], original: Callable[[Any], object]) -> bytes:
    """Rows, by key or in order, in marshal's format; a row marshal cannot hold as it is is
    held as `original(key or place)` pickled, as bytes, which no row of plain values is."""
    try:
        return marshal.dumps(rows)
    except ValueError:
        if isinstance(rows, dict):
            return marshal.dumps({key: _held(row, original, key) for key, row in rows.items()})
        return marshal.dumps(tuple(_held(row, original, n) for n, row in enumerate(rows)))


def _held(row: Any, original: Callable[[Any], object], key: object) -> Any:
    try:
        marshal.dumps(row)
    except ValueError:
        return pickled(original(key))
    return row


def unpickled(row: bytes, kind: type[_Kind]) -> _Kind:
    """A row held pickled, which must be of `kind`."""
    found = pickle.loads(row)  # noqa: S301 - our own cache file
    if not isinstance(found, kind):
        raise TypeError("not a saved value")
    return found
