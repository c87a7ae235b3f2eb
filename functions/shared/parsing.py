"""Turn a request body into a mapping of fields; pure functions, no I/O."""

from __future__ import annotations

import json
from typing import Literal
from urllib.parse import parse_qsl

from .errors import BadRequest, UnsupportedMediaType

BodyKind = Literal["json", "form"]
MEDIA_TYPES: dict[str, BodyKind] = {
    "application/json": "json",
    "application/x-www-form-urlencoded": "form",
}
MAX_FORM_FIELDS = 50


def body_kind(content_type: str | None) -> BodyKind:
    """Whether the body is JSON or form data, from the `Content-Type` header."""
    media_type, *params = (content_type or "").split(";")
    kind = MEDIA_TYPES.get(media_type.strip().lower())
    if kind is None:
        raise UnsupportedMediaType("send application/json or application/x-www-form-urlencoded")
    for param in params:
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaType("the only supported charset is utf-8")
    return kind


def parse_body(kind: BodyKind, body: bytes) -> dict[str, object]:
    """The fields of a JSON object or of form data."""
    return parse_json(body) if kind == "json" else parse_form(body)


def parse_json(body: bytes) -> dict[str, object]:
    """The members of a JSON object; BadRequest for anything else."""
    try:
        data = json.loads(
            _utf8(body), parse_constant=_reject_constant, object_pairs_hook=_unique_members
        )
    except (ValueError, RecursionError) as exc:
        raise BadRequest("the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def parse_form(body: bytes) -> dict[str, object]:
    """The fields of `application/x-www-form-urlencoded` data; each name once."""
    try:
        pairs = parse_qsl(
            _utf8(body),
            keep_blank_values=True,
            strict_parsing=bool(body),
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError as exc:
        raise BadRequest("the body is not valid form data") from exc
    fields: dict[str, object] = {}
    for name, value in pairs:
        if name in fields:
            raise BadRequest(f"the form field {name!r} appears more than once")
        fields[name] = value
    return fields


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("the body is not valid UTF-8") from exc


def _unique_members(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # Readers differ on which of two same-named members wins: a body with one is ambiguous.
    members = dict(pairs)
    if len(members) != len(pairs):
        raise BadRequest("a member of a JSON object appears more than once")
    return members


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")
