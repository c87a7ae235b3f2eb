"""Field rules and text cleaning, without any I/O."""

from __future__ import annotations

from typing import Any

import pytest

from functions.help_requests.contract import load_contract
from functions.help_requests.validation import (
    FieldError,
    HelpRequest,
    clean_text,
    parse_epoch_ms,
    trap,
    validate,
)

CONTRACT = load_contract()
VALID: dict[str, Any] = {
    "id": "6F1C7F0E-2B0A-4C53-9A53-2F0E3B4F5A61",
    "contact": "grimsby@example.co.uk",
    "topic": "mentoring",
    "message": "Ich brauche Hilfe beim Lebenslauf.",
    "language": "de",
    "consent": True,
}


@pytest.mark.parametrize(
    ("raw", "multiline", "cleaned"),
    [
        ("  Anna  ", False, "Anna"),
        ("e\u0301", False, "\u00e9"),
        ("line\r\nnext\rthird\u2028fourth", True, "line\nnext\nthird\nfourth"),
        ("line\nnext\ttab", False, "line next tab"),
        ("keep\ttab", True, "keep\ttab"),
        ("bell\x07null\x00del\x7f", False, "bellnulldel"),
        ("\ufeffbom and \u202eoverride\u2066isolate\u2069", False, "bom and overrideisolate"),
        ("lone \ud800 surrogate", False, "lone  surrogate"),
        ("emoji \U0001f469\u200d\U0001f4bb stays", False, "emoji \U0001f469\u200d\U0001f4bb stays"),
        ("<script>&amp;</script>", False, "<script>&amp;</script>"),
    ],
)
def test_clean_text(raw: str, multiline: bool, cleaned: str) -> None:
    assert clean_text(raw, multiline=multiline) == cleaned


@pytest.mark.parametrize(
    "contact",
    [
        "anna@example.org",
        "anna.nowak+help@sub.example.com.pl",
        "jürgen@müller.de",
        "+48 600 700 800",
        "0049 (40) 123-4567",
        "040/1234567",
        "+44 1472 123456",
    ],
)
def test_contacts_people_use_are_accepted(contact: str) -> None:
    assert CONTRACT.is_contact(contact)


@pytest.mark.parametrize(
    "contact",
    [
        "anna",
        "anna@",
        "@example.org",
        "anna@example",
        "anna@example.o",
        "an na@example.org",
        "a@b@example.org",
        "<anna@example.org>",
        "12345",
        "+48 600 700 800 900 100",
        "call me",
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667",
        "anna@example.org\nBcc: eve@example.org",
    ],
)
def test_other_contacts_are_refused(contact: str) -> None:
    assert not CONTRACT.is_contact(contact)


def test_a_valid_request_is_cleaned() -> None:
    result = validate({**VALID, "name": "  Chelsey ", "website": ""}, CONTRACT, default_id=None)

    assert result == HelpRequest(
        id="6f1c7f0e-2b0a-4c53-9a53-2f0e3b4f5a61",
        name="Chelsey",
        contact="grimsby@example.co.uk",
        topic="mentoring",
        message="Ich brauche Hilfe beim Lebenslauf.",
        language="de",
    )


def test_a_form_without_an_id_gets_the_one_given() -> None:
    form = {**{k: v for k, v in VALID.items() if k != "id"}, "consent": "on"}
    result = validate(form, CONTRACT, default_id="0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a")

    assert isinstance(result, HelpRequest)
    assert result.id == "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a"


def test_a_malformed_id_is_invalid_not_replaced() -> None:
    result = validate(
        {**VALID, "id": "abc"}, CONTRACT, default_id="0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a"
    )
    assert result == [FieldError("id", "invalid")]


@pytest.mark.parametrize("consent", [True, "on", "true", "TRUE", " on "])
def test_consent_forms_that_mean_yes(consent: object) -> None:
    assert isinstance(
        validate({**VALID, "consent": consent}, CONTRACT, default_id=None), HelpRequest
    )


@pytest.mark.parametrize("consent", [False, "off", "false", "yes", 1, "", None, []])
def test_anything_else_is_no_consent(consent: object) -> None:
    result = validate({**VALID, "consent": consent}, CONTRACT, default_id=None)
    assert result == [FieldError("consent", "must_accept")]


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", 5), ("message", ["a"]), ("contact", {"e": "x"}), ("id", 12)],
)
def test_wrong_json_types_are_invalid(field: str, value: object) -> None:
    assert validate({**VALID, field: value}, CONTRACT, default_id=None) == [
        FieldError(field, "invalid")
    ]


def test_message_length_counts_characters_not_bytes() -> None:
    assert isinstance(
        validate({**VALID, "message": "ż" * 5000}, CONTRACT, default_id=None), HelpRequest
    )
    assert validate({**VALID, "message": "ż" * 5001}, CONTRACT, default_id=None) == [
        FieldError("message", "too_long")
    ]
    assert validate({**VALID, "message": "ż" * 9}, CONTRACT, default_id=None) == [
        FieldError("message", "too_short")
    ]


def test_same_content_same_hash_different_content_different_hash() -> None:
    first = validate(VALID, CONTRACT, default_id=None)
    again = validate(
        {**VALID, "message": "  Ich brauche Hilfe beim Lebenslauf.\x00"}, CONTRACT, default_id=None
    )
    other = validate({**VALID, "topic": "other"}, CONTRACT, default_id=None)
    assert isinstance(first, HelpRequest)
    assert isinstance(again, HelpRequest)
    assert isinstance(other, HelpRequest)
    assert first.payload_hash() == again.payload_hash() != other.payload_hash()


def test_the_hash_leaves_out_when_the_form_was_opened_and_sent() -> None:
    first = validate({**VALID, "started_at": 1000, "sent_at": 9000}, CONTRACT, default_id=None)
    retried = validate({**VALID, "started_at": 1000, "sent_at": 70_000}, CONTRACT, default_id=None)
    plain = validate(VALID, CONTRACT, default_id=None)
    assert isinstance(first, HelpRequest)
    assert isinstance(retried, HelpRequest)
    assert isinstance(plain, HelpRequest)
    assert first.payload_hash() == retried.payload_hash() == plain.payload_hash()


def test_an_unknown_fields_label_is_safe_in_a_url() -> None:
    assert FieldError("a,b&c=<d>", "unknown_field").label() == "abcd.unknown_field"
    assert FieldError(",,,", "unknown_field").label() == "field.unknown_field"


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (1764093312345, 1764093312345.0),
        (1764093312345.5, 1764093312345.5),
        ("1764093312345", 1764093312345.0),
        (" 17 ", 17.0),
        (True, None),
        (-5, None),
        ("-5", None),
        ("1e3", None),
        (float("nan"), None),
        (float("inf"), None),
        (10**400, None),
        # The document's limit holds for every spelling of a number alike.
        (10**15, 1e15),
        (10**16 - 1, float(10**16 - 1)),
        ("9999999999999999", float(10**16 - 1)),
        ("9999999999999999.5", float(10**16 - 1)),
        (10**16, None),
        (1e16, None),
        (1e300, None),
        ("\u0661\u0662\u0663", None),
        ("soon", None),
        (None, None),
    ],
)
def test_parse_epoch_ms(raw: object, parsed: float | None) -> None:
    assert parse_epoch_ms(raw) == parsed


@pytest.mark.parametrize("blank", ["", " ", "\x0c", "\t\n"])
def test_a_blank_time_is_one_not_sent(blank: str) -> None:
    # The plain form sends the fields empty when the page's script did not run.
    data = {**VALID, "started_at": blank, "sent_at": blank}
    assert isinstance(validate(data, CONTRACT, default_id=None), HelpRequest)


@pytest.mark.parametrize("field", ["name", "website", "started_at", "sent_at"])
def test_null_in_an_optional_field_is_taken_as_not_sent(field: str) -> None:
    assert isinstance(validate({**VALID, field: None}, CONTRACT, default_id=None), HelpRequest)


NOW_MS = 1_764_093_312_345


@pytest.mark.parametrize(
    ("data", "verdict"),
    [
        ({}, None),
        ({"website": ""}, None),
        ({"website": "   "}, None),
        ({"website": "x"}, "honeypot"),
        ({"website": 0}, "honeypot"),
        ({"started_at": NOW_MS - 2999}, "time_trap"),
        ({"started_at": NOW_MS}, "time_trap"),
        ({"started_at": NOW_MS - 3000}, None),
        ({"started_at": NOW_MS + 10_000}, None),
        ({"started_at": "garbage"}, None),
        # With both times the sender's clock alone decides, however far it is from ours.
        ({"started_at": NOW_MS + 600_000, "sent_at": NOW_MS + 630_000}, None),
        ({"started_at": NOW_MS + 600_000, "sent_at": NOW_MS + 601_000}, "time_trap"),
        ({"started_at": NOW_MS - 600_000, "sent_at": NOW_MS - 599_000}, "time_trap"),
        ({"started_at": NOW_MS - 1000, "sent_at": NOW_MS + 2000}, None),
        ({"started_at": NOW_MS - 1000, "sent_at": "garbage"}, "time_trap"),
        ({"sent_at": NOW_MS}, None),
    ],
)
def test_robots_are_recognised(data: dict[str, object], verdict: str | None) -> None:
    assert trap(data, now_ms=NOW_MS, min_fill_seconds=3) == verdict
