"""Read, check and clean a helper's offer by the forms' contract; pure functions, no I/O."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import parse_qsl

from ..shared.errors import BadRequest
from ..shared.parsing import MAX_FORM_FIELDS, BodyKind, parse_json
from .validation import (
    FieldError,
    check_consent,
    check_id,
    check_moment,
    choice,
    length_error,
    text_value,
)

if TYPE_CHECKING:
    from .contract import FormContract

FIELDS = (
    "id",
    "name",
    "email",
    "topics",
    "languages",
    "ways",
    "capacity",
    "region",
    "language",
    "consent",
    "website",
    "started_at",
    "sent_at",
)
# The plain form sends one field per ticked box: these names may repeat.
LISTS = frozenset({"topics", "languages", "ways"})
WHOLE = re.compile(r"[0-9]{1,3}")
Value = TypeVar("Value")


@dataclass(frozen=True)
class HelperOffer:
    """A valid, cleaned offer of help, ready to store; lists in the contract's order."""

    id: str
    name: str
    email: str
    topics: tuple[str, ...]
    languages: tuple[str, ...]
    ways: tuple[str, ...]
    capacity: int
    region: str
    language: str

    def payload_hash(self) -> str:
        """A digest of the content, to tell a same-content retry from a conflicting one."""
        content = [
            self.name,
            self.email,
            self.topics,
            self.languages,
            self.ways,
            self.capacity,
            self.region,
            self.language,
        ]
        encoded = json.dumps(content, ensure_ascii=False).encode()
        return hashlib.sha256(encoded).hexdigest()


def parse_offer_body(kind: BodyKind, body: bytes) -> dict[str, object]:
    """The fields of a JSON object, or of form data whose list fields may repeat."""
    return parse_json(body) if kind == "json" else parse_form_lists(body)


def parse_form_lists(body: bytes) -> dict[str, object]:
    """Form data as fields: each list field's values in a list, any other field once."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError as exc:  # UnicodeDecodeError too
        raise BadRequest("the body is not valid form data in UTF-8") from exc
    fields: dict[str, object] = {}
    for name, value in pairs:
        listed = fields.setdefault(name, []) if name in LISTS else None
        if isinstance(listed, list):
            listed.append(value)
        elif name in fields:
            raise BadRequest(f"the form field {name!r} appears more than once")
        else:
            fields[name] = value
    return fields


def validate_offer(
    data: Mapping[str, object], contract: FormContract, *, default_id: str | None
) -> HelperOffer | list[FieldError]:
    """The cleaned offer or every failing field, in order; no id: `default_id`, or `required`."""
    found = Found([FieldError(key, "unknown_field") for key in data if key not in FIELDS])
    offer = HelperOffer(
        id=found.take("id", check_id(data.get("id"), contract)),
        name=found.take("name", _check_name(data.get("name"), contract)),
        email=found.take("email", _check_email(data.get("email"), contract)),
        topics=found.take("topics", _choices(data.get("topics"), contract.topics)),
        languages=found.take("languages", _choices(data.get("languages"), contract.languages)),
        ways=found.take("ways", _choices(data.get("ways"), contract.offer.ways)),
        capacity=found.take("capacity", _check_capacity(data.get("capacity"), contract)),
        region=found.take("region", _check_region(data.get("region"), contract)),
        language=found.take("language", choice(data.get("language"), contract.languages)),
    )
    for key in ("consent", "started_at", "sent_at"):
        check = check_consent if key == "consent" else check_moment
        found.take(key, check(data.get(key), contract))
    if not offer.id and "id" not in found.fields():
        if default_id is None:
            found.append(FieldError("id", "required"))
        offer = replace(offer, id=default_id or "")
    found.sort(key=lambda error: FIELDS.index(error.field) if error.field in FIELDS else -1)
    return list(found) if found else offer


class Found(list[FieldError]):
    """The errors found so far."""

    def take(self, field: str, checked: tuple[Value, str | None]) -> Value:
        """The checked value, noting its error code if it has one."""
        value, code = checked
        if code is not None:
            self.append(FieldError(field, code))
        return value

    def fields(self) -> set[str]:
        """The fields that failed."""
        return {error.field for error in self}


def _check_name(raw: object, contract: FormContract) -> tuple[str, str | None]:
    text = text_value(raw)
    if text is None:
        return "", "invalid"
    if not text:
        return "", "required"
    return text, length_error(text, "name", contract.offer)


def _check_email(raw: object, contract: FormContract) -> tuple[str, str | None]:
    text = text_value(raw)
    if text is None:
        return "", "invalid"
    if not text:
        return "", "required"
    too = length_error(text, "email", contract.offer)
    if too is not None:
        return text, too
    return text, None if contract.offer.is_email(text) else "invalid"


def _check_region(raw: object, contract: FormContract) -> tuple[str, str | None]:
    text = text_value(raw)
    if text is None:
        return "", "invalid"
    return text, length_error(text, "region", contract.offer) if text else None


def _choices(raw: object, choices: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """Several of `choices`, each once, in their order: `required` when none."""
    if raw is None or raw == []:
        return (), "required"
    if not isinstance(raw, list):
        return (), "invalid"
    picked = [choice(item, choices) for item in raw]
    if any(code is not None for _, code in picked):
        return (), "invalid_choice"
    chosen = {value for value, _ in picked}
    if len(chosen) < len(picked):
        return (), "invalid"
    return tuple(value for value in choices if value in chosen), None


def _check_capacity(raw: object, contract: FormContract) -> tuple[int, str | None]:
    """People a month: a whole JSON number, or the form's digits, in the contract's range."""
    if raw is None:
        return 0, "required"
    number: int | None = None
    if isinstance(raw, str):
        text = text_value(raw) or ""
        if not text:
            return 0, "required"
        number = int(text) if WHOLE.fullmatch(text) and text[0] != "0" else None
    elif isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    elif isinstance(raw, float) and raw.is_integer():
        number = int(raw)
    fewest, most = contract.offer.capacity
    if number is None or not fewest <= number <= most:
        return 0, "invalid"
    return number, None
