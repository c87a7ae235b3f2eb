"""Check and clean a submission's fields by the form's contract; pure functions, no I/O."""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

if TYPE_CHECKING:
    from .contract import FormContract, OfferContract

FIELDS = (
    "id",
    "name",
    "contact",
    "topic",
    "message",
    "language",
    "consent",
    "website",
    "started_at",
    "sent_at",
)
FORM_ID_NAMESPACE = uuid.UUID("8328b7a2-7c47-41b8-9b06-64c44626d586")

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NUMBER = re.compile(r"\s*[0-9]{1,16}(\.[0-9]+)?\s*")
# Milliseconds since the epoch stay below this (the year 318857), as the document says.
MOMENT_LIMIT = 10**16
ACCEPTED = frozenset({"on", "true"})
# Bidirectional overrides and isolates can disguise text in a moderator's terminal.
INVISIBLE = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x85]")


@dataclass(frozen=True)
class FieldError:
    """One failing field and its stable error code."""

    field: str
    code: str

    def label(self) -> str:
        """`field.code`, safe in a URL or a log: an unknown field's name is the sender's text."""
        field = re.sub(r"[^A-Za-z0-9_-]", "", self.field)[:40] or "field"
        return f"{field}.{self.code}"


@dataclass(frozen=True)
class HelpRequest:
    """A valid, cleaned help request, ready to store."""

    id: str
    name: str
    contact: str
    topic: str
    message: str
    language: str

    def payload_hash(self) -> str:
        """A digest of the content, to tell a same-content retry from a conflicting one."""
        # Not the send times: a retry carries a new `sent_at` and is still the same request.
        content = [self.name, self.contact, self.topic, self.message, self.language]
        encoded = json.dumps(content, ensure_ascii=False).encode()
        return hashlib.sha256(encoded).hexdigest()


class Submission(Protocol):
    """A form's cleaned submission: a dataclass with an id and a digest of its content."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @property
    def id(self) -> str: ...

    def payload_hash(self) -> str: ...


SubmissionT = TypeVar("SubmissionT", bound=Submission)


def with_form_id(submission: SubmissionT, *, sender: str, now: float) -> SubmissionT:
    """The submission under an id made from who sent what on which UTC day."""
    return replace(submission, id=form_id(submission.payload_hash(), sender=sender, now=now))


def form_id(payload_hash: str, *, sender: str, now: float) -> str:
    """An id made from who sent which content on which UTC day."""
    # A plain form has no id of its own; this one makes an identical resend the same day
    # (a double click, a reload after a lost redirect) a replay instead of a second submission.
    day = datetime.fromtimestamp(now, UTC).date().isoformat()
    return str(uuid.uuid5(FORM_ID_NAMESPACE, f"{sender}|{payload_hash}|{day}"))


def clean_text(value: str, *, multiline: bool = False) -> str:
    """NFC-normalise, drop control characters, unify line breaks, and trim."""
    text = LINE_BREAKS.sub("\n", unicodedata.normalize("NFC", value))
    kept = "\n\t" if multiline else ""
    chars = (ch if multiline or ch not in "\n\t" else " " for ch in text)
    return "".join(ch for ch in chars if ch in kept or not _is_control(ch)).strip()


def _is_control(ch: str) -> bool:
    return ch in INVISIBLE or unicodedata.category(ch) in ("Cc", "Cs")


def validate(
    data: Mapping[str, object], contract: FormContract, *, default_id: str | None
) -> HelpRequest | list[FieldError]:
    """The cleaned request or every failing field, in order; no id: `default_id`, or `required`."""
    errors = [FieldError(key, "unknown_field") for key in data if key not in FIELDS]
    values: dict[str, str] = {}
    for key, check in CHECKS.items():
        value, code = check(data.get(key), contract)
        if code is not None:
            errors.append(FieldError(key, code))
        values[key] = value
    if not values["id"] and not any(error.field == "id" for error in errors):
        if default_id is None:
            errors.append(FieldError("id", "required"))
        values["id"] = default_id or ""
    errors.sort(key=lambda error: FIELDS.index(error.field) if error.field in FIELDS else -1)
    if errors:
        return errors
    return HelpRequest(**{key: values[key] for key in HelpRequest.__dataclass_fields__})


Checked = tuple[str, str | None]
Check = Callable[[object, "FormContract"], Checked]


def text_value(raw: object, *, multiline: bool = False) -> str | None:
    """The cleaned text; "" for None, None for anything but a string."""
    if raw is None:
        return ""
    return clean_text(raw, multiline=multiline) if isinstance(raw, str) else None


def length_error(text: str, field: str, contract: FormContract | OfferContract) -> str | None:
    """`too_short` or `too_long` by the contract's limits for `field`, in characters."""
    if len(text) < contract.min_length.get(field, 0):
        return "too_short"
    limit = contract.max_length.get(field)
    return "too_long" if limit is not None and len(text) > limit else None


def check_id(raw: object, contract: FormContract) -> Checked:
    text = text_value(raw)
    if text is None:
        return "", "invalid"
    if not text:
        return "", None
    uuid = text.lower()
    return uuid, None if UUID.match(uuid) and uuid.strip("0-") else "invalid"


def _check_name(raw: object, contract: FormContract) -> Checked:
    text = text_value(raw)
    if text is None:
        return "", "invalid"
    return text, length_error(text, "name", contract) if text else None


def _check_contact(raw: object, contract: FormContract) -> Checked:
    text = text_value(raw)
    if text is None:
        return "", "invalid"
    if not text:
        return "", "required"
    too = length_error(text, "contact", contract)
    if too is not None:
        return text, too
    return text, None if contract.is_contact(text) else "invalid"


def _check_topic(raw: object, contract: FormContract) -> Checked:
    return choice(raw, contract.topics)


def _check_language(raw: object, contract: FormContract) -> Checked:
    return choice(raw, contract.languages)


def choice(raw: object, choices: tuple[str, ...]) -> Checked:
    text = text_value(raw)
    if text is None:
        return "", "invalid_choice"
    if not text:
        return "", "required"
    return text, None if text in choices else "invalid_choice"


def _check_message(raw: object, contract: FormContract) -> Checked:
    text = text_value(raw, multiline=True)
    if text is None:
        return "", "invalid"
    if not text:
        return "", "required"
    return text, length_error(text, "message", contract)


def check_consent(raw: object, contract: FormContract) -> Checked:
    accepted = raw is True or (isinstance(raw, str) and raw.strip().lower() in ACCEPTED)
    return "", None if accepted else "must_accept"


def check_moment(raw: object, contract: FormContract) -> Checked:
    if raw is None or (isinstance(raw, str) and not clean_text(raw)):
        return "", None
    return "", None if parse_epoch_ms(raw) is not None else "invalid"


def ignored(raw: object, contract: FormContract) -> Checked:
    return "", None


CHECKS: dict[str, Check] = {
    "id": check_id,
    "name": _check_name,
    "contact": _check_contact,
    "topic": _check_topic,
    "message": _check_message,
    "language": _check_language,
    "consent": check_consent,
    "website": ignored,
    "started_at": check_moment,
    "sent_at": check_moment,
}


def parse_epoch_ms(raw: object) -> float | None:
    """Milliseconds since the epoch from a JSON number or a form string; None if malformed.

    The limit holds for the value as sent: 9999999999999999 is taken, though as a float it
    rounds up to the limit itself."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return float(raw) if 0 <= raw < MOMENT_LIMIT else None
    if isinstance(raw, float):
        return raw if math.isfinite(raw) and 0 <= raw < MOMENT_LIMIT else None
    if isinstance(raw, str) and NUMBER.fullmatch(raw):
        return float(raw)  # at most 16 digits before the point: below the limit
    return None


def trap(data: Mapping[str, object], *, now_ms: float, min_fill_seconds: float) -> str | None:
    """`honeypot` or `time_trap` when a robot sent the form, else None."""
    website = data.get("website")
    if website not in (None, "") and not (isinstance(website, str) and not website.strip()):
        return "honeypot"
    fill_ms = fill_time_ms(data, now_ms=now_ms)
    # A clock ahead of ours gives a negative time; that says nothing about a robot.
    if fill_ms is not None and 0 <= fill_ms < min_fill_seconds * 1000:
        return "time_trap"
    return None


def fill_time_ms(data: Mapping[str, object], *, now_ms: float) -> float | None:
    """How long the form was open: `sent_at - started_at` on the sender's clock, else ours."""
    started_at = parse_epoch_ms(data.get("started_at"))
    if started_at is None:
        return None
    sent_at = parse_epoch_ms(data.get("sent_at"))
    return (now_ms if sent_at is None else sent_at) - started_at
