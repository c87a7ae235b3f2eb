"""The forms' contract, read from `openapi.yaml`: topics, languages, field limits, error codes.

The document is the one place these are written. The API validates by them, and the site's
build reads them to make the form, so a topic added there is offered and accepted alike."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONTRACT_PATH = Path(__file__).with_name("openapi.yaml")
# The Lambda artifact carries the document as JSON, written from the YAML by its build: the
# same data, read at a cold start without loading a YAML parser.
BUILT_CONTRACT_PATH = CONTRACT_PATH.with_suffix(".json")
REQUEST_SCHEMA = "HelpRequest"
OFFER_SCHEMA = "HelperOffer"
SCHEMA_REFERENCE = "#/components/schemas/"


@dataclass(frozen=True)
class OfferContract:
    """What the document says a helper's offer may hold, besides what a help request shares."""

    ways: tuple[str, ...]
    # Limits in characters of the cleaned text, by field.
    max_length: Mapping[str, int]
    min_length: Mapping[str, int]
    # The fewest and most people a month.
    capacity: tuple[int, int]
    # Compiled at its first use (and cached by `re`): a help request's cold start skips it.
    email_pattern: str

    def is_email(self, text: str) -> bool:
        """Whether `text` is an e-mail address as the document defines one."""
        return re.fullmatch(self.email_pattern, text) is not None


@dataclass(frozen=True)
class FormContract:
    """What the document says a help request may hold."""

    topics: tuple[str, ...]
    languages: tuple[str, ...]
    # Limits in characters of the cleaned text, by field.
    max_length: Mapping[str, int]
    min_length: Mapping[str, int]
    # Every code a failing field may be given.
    error_codes: tuple[str, ...]
    # A contact is valid when one of these matches the whole cleaned text.
    contact_patterns: tuple[re.Pattern[str], ...]
    # The offer form's own parts; its topics and languages are the ones above.
    offer: OfferContract

    def is_contact(self, text: str) -> bool:
        """Whether `text` is an e-mail address or a phone number as the document defines them."""
        return any(pattern.fullmatch(text) for pattern in self.contact_patterns)


def load_contract(path: Path | None = None) -> FormContract:
    """Read the document (by default this function's, as YAML or as built); a part it lacks
    is a ConfigError that names the part and the file."""
    if path is None:
        path = CONTRACT_PATH if CONTRACT_PATH.exists() else BUILT_CONTRACT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the form's contract ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the form's contract is not UTF-8 text") from exc
    if path.suffix != ".json":
        return parse_contract(_yaml(text, path), path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}:{exc.lineno}: the form's contract is not JSON: {exc.msg}"
        ) from exc
    return parse_contract(document, path)


def _yaml(text: str, path: Path) -> object:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "it does not parse"
        raise ConfigError(f"{where}: the form's contract is not YAML: {problem}") from exc


def parse_contract(document: object, path: Path) -> FormContract:
    """The contract from the parsed document."""
    schemas = _at(document, path, "components", "schemas")
    properties = _at(schemas, path, REQUEST_SCHEMA, "properties")
    fields = ("name", "contact", "message")
    errors = ("FieldError", "properties", "code", "enum")
    return FormContract(
        topics=_strings(_at(schemas, path, "Topic", "enum"), path, "Topic.enum"),
        languages=_strings(_at(schemas, path, "Language", "enum"), path, "Language.enum"),
        max_length=_limits(schemas, properties, "maxLength", fields, path),
        min_length=_limits(schemas, properties, "minLength", fields, path),
        error_codes=_strings(_at(schemas, path, *errors), path, ".".join(errors)),
        contact_patterns=_patterns(_at(schemas, path, "Contact", "anyOf"), path, "Contact.anyOf"),
        offer=parse_offer(schemas, path),
    )


def parse_offer(schemas: Any, path: Path) -> OfferContract:
    """The offer form's part of the contract, from the document's schemas."""
    properties = _at(schemas, path, OFFER_SCHEMA, "properties")
    fields = ("name", "email", "region")
    capacity = _at(schemas, path, "Capacity")
    return OfferContract(
        ways=_strings(_at(schemas, path, "Way", "enum"), path, "Way.enum"),
        max_length=_limits(schemas, properties, "maxLength", fields, path, OFFER_SCHEMA),
        min_length=_limits(schemas, properties, "minLength", fields, path, OFFER_SCHEMA),
        capacity=(
            _whole(capacity.get("minimum"), path, "Capacity.minimum"),
            _whole(capacity.get("maximum"), path, "Capacity.maximum"),
        ),
        email_pattern=_pattern(_at(schemas, path, "Email", "pattern"), path, "Email.pattern"),
    )


def _at(node: object, path: Path, *keys: str) -> Any:
    for depth, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            where = ".".join(keys[: depth + 1])
            raise ConfigError(f"{path}: the form's contract has no {where}")
        node = node[key]
    return node


def _strings(values: object, path: Path, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{path}: {where} must be a list of strings")
    return tuple(values)


def _limits(
    schemas: Any,
    properties: Any,
    limit: str,
    fields: tuple[str, ...],
    path: Path,
    schema_name: str = REQUEST_SCHEMA,
) -> dict[str, int]:
    found: dict[str, int] = {}
    for field in fields:
        schema = _at(properties, path, field)
        reference = schema.get("$ref") if isinstance(schema, dict) else None
        if isinstance(reference, str) and reference.startswith(SCHEMA_REFERENCE):
            schema = _at(schemas, path, reference.removeprefix(SCHEMA_REFERENCE))
        value = schema.get(limit) if isinstance(schema, dict) else None
        if value is not None:
            found[field] = _whole(value, path, f"{schema_name}.{field}.{limit}")
    return found


def _whole(value: object, path: Path, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{path}: {where} must be a whole number")
    return value


def _pattern(pattern: object, path: Path, where: str) -> str:
    if not isinstance(pattern, str) or not pattern:
        raise ConfigError(f"{path}: {where} must be a regular expression")
    return pattern


def _patterns(choices: object, path: Path, where: str) -> tuple[re.Pattern[str], ...]:
    patterns = [c.get("pattern") for c in choices] if isinstance(choices, list) else []
    if not patterns or not all(isinstance(p, str) for p in patterns):
        raise ConfigError(f"{path}: every choice of {where} must have a pattern")
    try:
        return tuple(re.compile(pattern) for pattern in patterns)
    except re.error as exc:
        raise ConfigError(f"{path}: {where} has a pattern Python cannot read ({exc})") from exc
