"""Requests as a file to download: CSV for spreadsheets, or JSON; pure functions, no I/O."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from .records import StoredRequest

CSV_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "status",
    "topic",
    "language",
    "name",
    "contact",
    "contact_kind",
    "message",
    "assigned_to",
    "consent_version",
    "version",
    "retained_until",
)
# A spreadsheet runs a cell that begins with one of these as a formula (OWASP: CSV injection),
# and some read the full-width forms that East Asian keyboards type as the same signs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
BOM = "\ufeff"


def safe_cell(value: object) -> str:
    """The cell's text, with a leading `'` when a spreadsheet would take it for a formula."""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def as_csv(requests: Iterable[StoredRequest]) -> bytes:
    """RFC 4180 CSV with a header row, in UTF-8 with a BOM so that spreadsheets read it so."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for request in requests:
        record = request.record()
        writer.writerow([safe_cell(record.get(column, "")) for column in CSV_COLUMNS])
    return (BOM + buffer.getvalue()).encode("utf-8")


def as_json(requests: Iterable[StoredRequest]) -> bytes:
    """`{"requests": [...]}`, each request as the API gives it."""
    document: dict[str, Any] = {"requests": [request.record() for request in requests]}
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def filename(status: str, day: str, extension: str) -> str:
    """`help-requests-new-2024-05-01.csv`: what, which, and from when."""
    return f"help-requests-{status}-{day}.{extension}"
