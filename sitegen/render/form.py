"""The help-request form as the API defines it: fields, limits, topics and error codes."""

from __future__ import annotations

from dataclasses import dataclass

TOPICS = ("job-search", "career-change", "mentoring", "business", "returning-to-work", "other")
CODES = ("required", "too_short", "too_long", "invalid", "invalid_choice", "must_accept")
STATUSES = (
    "sending",
    "sent",
    "retrying",
    "restored",
    "network",
    "rate_limited",
    "unavailable",
    "conflict",
    "failed",
)


@dataclass(frozen=True)
class Rule:
    """One way a field can be rejected; the error page lists each one."""

    field: str
    code: str

    @property
    def key(self) -> str:
        """The UI string of its message."""
        return f"errors.{self.field}.{self.code}"

    @property
    def element_id(self) -> str:
        """The id of its item on the error page."""
        return f"error-{self.field}-{self.code}"


# Rules a person can fix by changing what they typed, in the order of the form.
RULES = tuple(
    Rule(field, code)
    for field, codes in (
        ("name", ("too_long",)),
        ("contact", ("required", "invalid", "too_long")),
        ("topic", ("required", "invalid_choice")),
        ("message", ("required", "too_short", "too_long")),
        ("consent", ("required", "must_accept")),
    )
    for code in codes
)
# Rules about fields the page or its script fill in; a reload fixes them.
HIDDEN_RULES = (
    Rule("language", "required"),
    Rule("language", "invalid_choice"),
    Rule("id", "invalid"),
    Rule("started_at", "invalid"),
)
# Requests the API refused as a whole (`request.<code>` on the error page): too many, our
# failure, or a body it could not take. Going Back brings the person's text back.
REQUEST_RULES = tuple(
    Rule("request", code)
    for code in ("rate_limited", "unavailable", "id_conflict", "too_large", "invalid")
)
MAX_LENGTH = {"name": 100, "contact": 200, "message": 5000}
MIN_LENGTH = {"message": 10}


def required_keys() -> list[str]:
    """Every UI string the form needs besides those its template names literally."""
    keys = [rule.key for rule in RULES + HIDDEN_RULES + REQUEST_RULES]
    keys += [f"errors.generic.{code}" for code in (*CODES, "unknown_field")]
    keys += [f"form.status.{status}" for status in STATUSES]
    keys += [f"topics.{topic}" for topic in TOPICS]
    return [*keys, "errors.fallback"]
