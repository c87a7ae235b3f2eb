"""The help-request form as the page shows it: the contract's topics, limits and error codes
(read from the API's OpenAPI document at build time), the page's rules and its UI strings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from functions.help_requests.contract import load_contract
from functions.help_requests.errors import ConfigError
from sitegen.errors import SiteError

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


@dataclass(frozen=True)
class Form:
    """What the ask page and its error page show of the form; templates read it as `form`."""

    # The contract it comes from, which errors about its UI strings name.
    source: Path
    topics: tuple[str, ...]
    # Field error codes, `unknown_field` last: the page has a generic message for each.
    codes: tuple[str, ...]
    max_length: Mapping[str, int]
    min_length: Mapping[str, int]
    # What a contact must match, one of them (JavaScript reads them as written).
    contact_patterns: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = RULES
    hidden_rules: tuple[Rule, ...] = HIDDEN_RULES
    request_rules: tuple[Rule, ...] = REQUEST_RULES
    statuses: tuple[str, ...] = STATUSES

    def required_keys(self) -> list[str]:
        """Every UI string the form needs besides those its template names literally."""
        keys = [rule.key for rule in self.rules + self.hidden_rules + self.request_rules]
        keys += [f"errors.generic.{code}" for code in self.codes]
        keys += [f"form.status.{status}" for status in self.statuses]
        keys += [f"topics.{topic}" for topic in self.topics]
        return [*keys, "errors.fallback"]


def read_form(contract: Path) -> Form:
    """The form as the OpenAPI document at `contract` defines it; SiteError if it cannot."""
    try:
        found = load_contract(contract)
    except ConfigError as exc:
        raise SiteError(str(exc)) from exc
    unknown = sorted({rule.code for rule in RULES + HIDDEN_RULES} - set(found.error_codes))
    if unknown:
        raise SiteError(f"{contract}: the form's pages use error codes it lacks: {unknown}")
    codes = [code for code in found.error_codes if code != "unknown_field"]
    return Form(
        contract,
        found.topics,
        (*codes, "unknown_field"),
        found.max_length,
        found.min_length,
        tuple(pattern.pattern for pattern in found.contact_patterns),
    )
