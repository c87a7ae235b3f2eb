"""Check what moderators send: query parameters and JSON bodies; pure functions, no I/O.

The limits are those of the contract, `openapi.yaml` (a test holds them to it)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..shared.parsing import body_kind, parse_json
from .errors import FieldError, Invalid, UnsupportedMediaType
from .introductions import Introduction
from .records import SETTABLE_STATUSES, STATUSES, decode_cursor
from .store import Listing

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# An e-mail address has an @, a phone number digits; the document's pattern says the same.
CONTACT_LIKE = re.compile("[@0-9]")
MAX_LENGTH = {"topic": 50, "language": 10, "cursor": 2000, "note": 2000, "contact": 200}
# The personal line a moderator adds to an introduction's e-mail to the helper.
INTRODUCTION_NOTE_LENGTH = 500
LIMITS = (1, 100)
DEFAULT_LIMIT = 50
FORMATS = ("csv", "json")


@dataclass(frozen=True)
class StatusChange:
    """A new status, the version it applies to, and a note for the history."""

    status: str
    version: int
    note: str | None


def request_id(value: str) -> str | None:
    """The id in its stored spelling, or None when it cannot be a request's id."""
    value = value.strip().lower()
    return value if UUID.match(value) else None


def known_query(pairs: Iterable[tuple[str, str]], known: Iterable[str]) -> dict[str, str]:
    """The query's parameters, when each is `known` and given once; else Invalid naming the rest."""
    names = [name for name, _ in pairs]
    query = dict(pairs)
    repeated = sorted({name for name in names if names.count(name) > 1} & set(known))
    errors = _unknown(query, set(known)) + [FieldError(name, "invalid") for name in repeated]
    if errors:
        raise Invalid(*errors)
    return query


def listing(query: Mapping[str, str], *, paged: bool = True) -> tuple[Listing, str | None]:
    """The listing a list or export asks for, and its cursor; Invalid naming each bad one."""
    errors: list[FieldError] = []
    status = query.get("status", "new")
    if status not in STATUSES:
        errors.append(FieldError("status", "invalid_choice"))
    topic = _text(query, "topic", errors)
    language = _text(query, "language", errors)
    limit = _limit(query.get("limit"), errors) if paged else DEFAULT_LIMIT
    cursor = _text(query, "cursor", errors) if paged else None
    if errors:
        raise Invalid(*errors)
    return Listing(status=status, topic=topic, language=language, limit=limit), cursor


def start_key(cursor: str | None, status: str) -> dict[str, Any] | None:
    """The index key a cursor stands for."""
    return None if cursor is None else decode_cursor(cursor, status)


def export_format(query: Mapping[str, str]) -> str:
    """`csv` or `json`."""
    value = query.get("format")
    if value is None:
        raise Invalid(FieldError("format", "required"))
    if value not in FORMATS:
        raise Invalid(FieldError("format", "invalid_choice"))
    return value


def versioned(body: Mapping[str, Any]) -> int:
    """The version of `{"version": n}`."""
    errors = _unknown(body, {"version"})
    version = _version(body, errors)
    if errors:
        raise Invalid(*errors)
    return version


def status_change(body: Mapping[str, Any]) -> StatusChange:
    """A status change: `{"status", "version", "note"?}`."""
    errors = _unknown(body, {"status", "version", "note"})
    status = body.get("status")
    if status is None:
        errors.append(FieldError("status", "required"))
    elif status in STATUSES and status not in SETTABLE_STATUSES:
        # Only an introduction's own flow moves a request into or through these.
        errors.append(FieldError("status", "not_settable"))
    elif status not in STATUSES:
        errors.append(FieldError("status", "invalid_choice"))
    version = _version(body, errors)
    note = _note(body, MAX_LENGTH["note"], errors)
    if errors:
        raise Invalid(*errors)
    return StatusChange(str(status), version, note)


def introduction(body: Mapping[str, Any]) -> Introduction:
    """An introduction: `{"helper", "version", "note"?}`."""
    errors = _unknown(body, {"helper", "version", "note"})
    helper = body.get("helper")
    if helper is None or helper == "":
        errors.append(FieldError("helper", "required"))
    elif not isinstance(helper, str) or request_id(helper) is None:
        errors.append(FieldError("helper", "invalid"))
    version = _version(body, errors)
    note = _note(body, INTRODUCTION_NOTE_LENGTH, errors)
    if errors:
        raise Invalid(*errors)
    return Introduction(str(request_id(str(helper))), version, note)


def _note(body: Mapping[str, Any], limit: int, errors: list[FieldError]) -> str | None:
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        errors.append(FieldError("note", "invalid"))
    elif isinstance(note, str) and len(note) > limit:
        errors.append(FieldError("note", "too_long"))
    elif isinstance(note, str):
        return note.strip() or None
    return None


def confirmed(body: Mapping[str, Any]) -> None:
    """An erasure must say `"confirm": true`."""
    if body.get("confirm") is not True:
        raise Invalid(FieldError("confirm", "must_confirm"))


def contact(body: Mapping[str, Any]) -> str:
    """The contact of an access request: an address or number, in any spelling."""
    errors: list[FieldError] = []
    value = _contact(body, errors)
    if errors:
        raise Invalid(*errors)
    return value


def contact_erasure(body: Mapping[str, Any]) -> str:
    """The contact of an erasure request, which must also say `"confirm": true`."""
    errors: list[FieldError] = []
    value = _contact(body, errors)
    if body.get("confirm") is not True:
        errors.append(FieldError("confirm", "must_confirm"))
    if errors:
        raise Invalid(*errors)
    return value


def json_object(content_type: str | None, body: bytes) -> dict[str, Any]:
    """The members of a JSON object sent as application/json (UTF-8)."""
    if body_kind(content_type) != "json":
        raise UnsupportedMediaType("send application/json")
    return parse_json(body)


def _text(query: Mapping[str, str], name: str, errors: list[FieldError]) -> str | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    if len(value) > MAX_LENGTH[name]:
        errors.append(FieldError(name, "too_long"))
    return value


def _contact(body: Mapping[str, Any], errors: list[FieldError]) -> str:
    value = body.get("contact")
    if value is None or value == "":
        errors.append(FieldError("contact", "required"))
    elif not isinstance(value, str) or not CONTACT_LIKE.search(value):
        errors.append(FieldError("contact", "invalid"))
    elif len(value) > MAX_LENGTH["contact"]:
        errors.append(FieldError("contact", "too_long"))
    else:
        return value.strip()
    return ""


def _limit(value: str | None, errors: list[FieldError]) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,3}", value) or not LIMITS[0] <= int(value) <= LIMITS[1]:
        errors.append(FieldError("limit", "invalid"))
        return DEFAULT_LIMIT
    return int(value)


# The largest whole number every JSON reader keeps exactly (2^53 - 1), as the document says.
MAX_VERSION = 9_007_199_254_740_991


def _version(body: Mapping[str, Any], errors: list[FieldError]) -> int:
    value = body.get("version")
    if value is None:
        errors.append(FieldError("version", "required"))
    elif (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not value.is_integer())
        or not 1 <= value <= MAX_VERSION
    ):
        errors.append(FieldError("version", "invalid"))
    else:
        return int(value)
    return 0


def _unknown(body: Mapping[str, Any], known: set[str]) -> list[FieldError]:
    # The field's name is the caller's text: it is answered, never logged.
    return [FieldError(str(name)[:40], "invalid") for name in body if name not in known]
