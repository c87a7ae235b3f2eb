"""Export files: CSV that no spreadsheet runs as formulas, and JSON; pure functions."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.moderation.export import (
    CSV_COLUMNS,
    as_csv,
    as_json,
    filename,
    safe_cell,
)
from functions.moderation.records import StoredRequest
from tests.functions.moderation.conftest import request_item

REQUEST_ID = "3b0f8a52-9d1e-4c77-8f35-6a2b1c0d9e84"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+49 151 2345678", "'+49 151 2345678"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("Anna", "Anna"),
        ("anna@example.org", "anna@example.org"),
        ("0049 151", "0049 151"),
        (" =1", " =1"),
        ("a=b", "a=b"),
        ("", ""),
        (3, "3"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


# What spreadsheets run as a formula (OWASP's list), and the full-width signs some read so too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
# Any text, and often text that opens with a formula sign, a quote or a space.
TEXT = st.one_of(
    ANY_TEXT,
    st.tuples(st.sampled_from([*FORMULA_STARTS, "'", " ", "\n"]), ANY_TEXT).map("".join),
)


@given(name=TEXT, contact=TEXT, message=TEXT, topic=TEXT, language=TEXT)
def test_no_cell_of_an_export_starts_with_a_formula_character(
    name: str, contact: str, message: str, topic: str, language: str
) -> None:
    item = request_item(
        REQUEST_ID, name=name, contact=contact, message=message, topic=topic, language=language
    )
    data = as_csv([StoredRequest(item)])

    [_, row] = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert not [cell for cell in row if cell.startswith(FORMULA_STARTS)]
    # Only a quote was added: the text itself is all there.
    shown = dict(zip(CSV_COLUMNS, row, strict=True))
    for column, sent in (("contact", contact), ("message", message), ("topic", topic)):
        assert shown[column] in (sent, f"'{sent}")


def test_the_csv_has_a_bom_a_header_and_rfc_4180_quoting() -> None:
    item = request_item(
        REQUEST_ID,
        contact="+48 600 700 800",
        name='Zofia "Zosia", Nowak',
        message="Line one,\r\nline two\n=1+1",
    )
    data = as_csv([StoredRequest(item)])

    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert '"Zofia ""Zosia"", Nowak"' in text
    assert text.endswith("\r\n")
    [row] = list(csv.DictReader(io.StringIO(text, newline="")))
    assert row["name"] == 'Zofia "Zosia", Nowak'
    assert row["message"] == "Line one,\r\nline two\n=1+1"
    assert row["contact"] == "'+48 600 700 800"
    assert (row["contact_kind"], row["version"], row["status"]) == ("phone", "1", "new")


def test_the_json_export_is_the_apis_requests() -> None:
    request = StoredRequest(request_item(REQUEST_ID))
    assert as_json([request]).decode().startswith('{\n "requests": [')
    assert b'"contact_kind": "email"' in as_json([request])


def test_the_file_name_says_what_and_when() -> None:
    assert (
        filename("in-progress", "2026-11-25", "csv") == "help-requests-in-progress-2026-11-25.csv"
    )
