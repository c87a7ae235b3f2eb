"""Bodies to fields: JSON objects and form data, with clear refusals."""

from __future__ import annotations

import pytest

from functions.shared.errors import BadRequest, UnsupportedMediaType
from functions.shared.parsing import body_kind, parse_form, parse_json


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("application/json", "json"),
        ("Application/JSON; charset=utf-8", "json"),
        ('application/json; charset="UTF8"', "json"),
        ("application/x-www-form-urlencoded", "form"),
        ("application/x-www-form-urlencoded;charset=UTF-8", "form"),
    ],
)
def test_body_kind(content_type: str, kind: str) -> None:
    assert body_kind(content_type) == kind


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        (None, "send application/json or application/x-www-form-urlencoded"),
        ("text/plain", "send application/json or application/x-www-form-urlencoded"),
        ("application/json; charset=iso-8859-2", "the only supported charset is utf-8"),
    ],
)
def test_other_media_types_are_refused(content_type: str | None, message: str) -> None:
    with pytest.raises(UnsupportedMediaType, match=f"^{message}$"):
        body_kind(content_type)


def test_form_data_keeps_blank_fields_and_decodes_utf8() -> None:
    body = b"name=&message=Za%C5%BC%C3%B3%C5%82%C4%87+g%C4%99%C5%9Bl%C4%85&consent=on"
    assert parse_form(body) == {"name": "", "message": "Zażółć gęślą", "consent": "on"}


def test_an_empty_form_has_no_fields() -> None:
    assert parse_form(b"") == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"a=1&a=2", "the form field 'a' appears more than once"),
        (b"a=%C5", "the body is not valid form data"),
        (b"\xc5", "the body is not valid UTF-8"),
        (b"&".join(b"f%d=1" % n for n in range(60)), "the body is not valid form data"),
    ],
)
def test_malformed_forms_are_refused(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=f"^{message}$"):
        parse_form(body)


def test_json_objects_are_read() -> None:
    assert parse_json('{"consent": true, "name": "Łucja"}'.encode()) == {
        "consent": True,
        "name": "Łucja",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is not valid JSON"),
        (b"{'a': 1}", "the body is not valid JSON"),
        (b'{"a": Infinity}', "the body is not valid JSON"),
        (b"[1]", "the body must be a JSON object"),
        (b'"text"', "the body must be a JSON object"),
        ('{"a": "ä"}'.encode("utf-16"), "the body is not valid UTF-8"),
        (b'{"a":' * 3000, "the body is not valid JSON"),
    ],
)
def test_malformed_json_is_refused(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=f"^{message}$"):
        parse_json(body)
