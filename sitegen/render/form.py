"""The site's two forms as their pages show them, the help request and the helper's offer: the
contract's choices, limits and error codes (read from the API's OpenAPI document at build time),
the pages' rules and their UI strings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from pathlib import Path

from sitegen.classes import dataclass
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
    # The group of UI strings its message is in.
    group: str = "errors"

    @property
    def key(self) -> str:
        """The UI string of its message."""
        return f"{self.group}.{self.field}.{self.code}"

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
REQUEST_CODES = ("rate_limited", "unavailable", "id_conflict", "too_large", "invalid")
REQUEST_RULES = tuple(Rule("request", code) for code in REQUEST_CODES)

# The offer form's rules, in the order of its fields; its messages are in the `offer` strings.
OFFER_RULES = tuple(
    Rule(field, code, "offer.errors")
    for field, codes in (
        ("name", ("required", "too_long")),
        ("email", ("required", "invalid", "too_long")),
        ("topics", ("required", "invalid_choice")),
        ("languages", ("required", "invalid_choice")),
        ("ways", ("required", "invalid_choice")),
        ("capacity", ("required", "invalid")),
        ("region", ("too_long",)),
        ("consent", ("required", "must_accept")),
    )
    for code in codes
)
OFFER_REQUEST_RULES = tuple(Rule("request", code, "offer.errors") for code in REQUEST_CODES)
# Fields a person fills in on the offer form, each with a label and a hint.
OFFER_FIELDS = ("name", "email", "topics", "languages", "ways", "capacity", "region", "consent")


@dataclass(frozen=True)
class OfferForm:
    """What the offer page and its error page show of the helper's form: `form.offer`."""

    topics: tuple[str, ...]
    languages: tuple[str, ...]
    ways: tuple[str, ...]
    # The fewest and most people a month.
    capacity: tuple[int, int]
    max_length: Mapping[str, int]
    email_pattern: str
    codes: tuple[str, ...]
    rules: tuple[Rule, ...] = OFFER_RULES
    hidden_rules: tuple[Rule, ...] = HIDDEN_RULES
    request_rules: tuple[Rule, ...] = OFFER_REQUEST_RULES
    statuses: tuple[str, ...] = STATUSES
    # The group of its labels and statuses, and the message for an error it has none for.
    strings: str = "offer"
    fallback: str = "offer.errors.fallback"

    @property
    def values(self) -> dict[str, int]:
        """What its messages may name: the fewest and most people a month."""
        return {"fewest": self.capacity[0], "most": self.capacity[1]}

    def required_keys(self) -> list[str]:
        """Every UI string the offer form needs besides those its template names literally."""
        keys = [rule.key for rule in self.rules + self.request_rules]
        keys += [f"offer.{name}.{part}" for name in OFFER_FIELDS for part in ("label", "hint")]
        keys += [f"offer.status.{status}" for status in self.statuses]
        keys += [f"offer.way_names.{way}" for way in self.ways]
        keys += [f"offer.language_names.{language}" for language in self.languages]
        return [*keys, self.fallback, "offer.error_summary"]


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
    # The helper's form, which shares the contract's topics, languages and error codes.
    offer: OfferForm | None = None
    # As the offer form's: the group of its labels and statuses, the message for an error it
    # has none for, and what its messages may name (nothing).
    strings: str = "form"
    fallback: str = "errors.fallback"
    values: Mapping[str, int] = field(default_factory=dict)

    def required_keys(self) -> list[str]:
        """Every UI string the forms need besides those their templates name literally."""
        keys = [rule.key for rule in self.rules + self.hidden_rules + self.request_rules]
        keys += [f"errors.generic.{code}" for code in self.codes]
        keys += [f"form.status.{status}" for status in self.statuses]
        keys += [f"topics.{topic}" for topic in self.topics]
        keys += self.offer.required_keys() if self.offer else []
        return [*keys, self.fallback]


def read_form(contract: Path) -> Form:
    """The form as the OpenAPI document at `contract` defines it; SiteError if it cannot."""
    # Here, not at the top: a rebuild after an edit to a text takes the form as it was saved.
    from functions.help_requests.contract import load_contract
    from functions.help_requests.errors import ConfigError

    try:
        found = load_contract(contract)
    except ConfigError as exc:
        raise SiteError(str(exc)) from exc
    unknown = sorted(
        {rule.code for rule in RULES + HIDDEN_RULES + OFFER_RULES} - set(found.error_codes)
    )
    if unknown:
        raise SiteError(f"{contract}: the form's pages use error codes it lacks: {unknown}")
    codes = (*(code for code in found.error_codes if code != "unknown_field"), "unknown_field")
    offer = found.offer
    return Form(
        contract,
        found.topics,
        codes,
        found.max_length,
        found.min_length,
        tuple(pattern.pattern for pattern in found.contact_patterns),
        offer=OfferForm(
            found.topics,
            found.languages,
            offer.ways,
            offer.capacity,
            offer.max_length,
            offer.email_pattern,
            codes,
        ),
    )
