"""Hostile payloads through the Lambda entry point, as API Gateway delivers them, to either form.

Each row is answered with its documented status and code. A refused one leaves the table as it
was (no request, no count against the sender); a taken one is stored as the document says text
is stored: trimmed, NFC, control and invisible characters removed, never interpreted."""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.functions.help_requests.conftest import (
    Handler,
    ItemsOf,
    LambdaContext,
    decoded_body,
    load_event,
)

pytestmark = pytest.mark.dynamodb

REQUEST_ID = "3f6c2a9e-8a51-4c3e-9f0d-2b7e4d1a6c55"
VALID: dict[str, Any] = {
    "id": REQUEST_ID,
    "name": "Darren",
    "contact": "darren@example.co.uk",
    "topic": "business",
    "message": "I run a small fishing business in Grimsby and want to start exporting.",
    "language": "en",
    "consent": True,
    "started_at": 1764088500000,
}
OFFER: dict[str, Any] = {
    "id": REQUEST_ID,
    "name": "Darren",
    "email": "darren@example.co.uk",
    "topics": ["business"],
    "languages": ["en"],
    "ways": ["business-contacts"],
    "capacity": 3,
    "language": "en",
    "consent": True,
}
LIMIT = 16 * 1024
OFFERS = "/api/helper-offers"
FORM = {"content-type": "application/x-www-form-urlencoded", "accept": "application/json"}


def json_of(**changes: Any) -> bytes:
    return json.dumps({**VALID, **changes}).encode()


def offer_of(**changes: Any) -> bytes:
    return json.dumps({**OFFER, **changes}).encode()


@dataclass
class Row:
    """What is sent, and what must come of it."""

    body: bytes
    status: int
    error: str | None = None
    errors: list[tuple[str, str]] | None = None
    stored: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    as_base64: bool = False
    # Sent as it is, though the event says base64.
    spoilt: bool = False
    path: str = "/api/help-requests"


SCRIPT = "<script>alert(1)</script>"
ROWS: dict[str, Row] = {
    "over the limit": Row(json_of(message="x" * LIMIT), 413, "payload_too_large"),
    "over the limit, Content-Length says small": Row(
        json_of(message="x" * LIMIT), 413, "payload_too_large", headers={"content-length": "10"}
    ),
    "Content-Length says over the limit": Row(
        json_of(), 413, "payload_too_large", headers={"content-length": "99999999"}
    ),
    "Content-Length that is no number": Row(
        json_of(), 201, stored={"name": "Darren"}, headers={"content-length": "\u00b2"}
    ),
    "JSON nested 10,000 deep": Row(b"[" * 10_000, 400, "bad_request"),
    "JSON nested 8,000 deep, closed, within the limit": Row(
        b"[" * 8_000 + b"]" * 8_000, 400, "bad_request"
    ),
    "JSON nested 10,000 deep, closed": Row(
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000, 413, "payload_too_large"
    ),
    "duplicate keys": Row(
        json_of()[:-1] + b', "contact": "mallory@example.org"}', 400, "bad_request"
    ),
    "numbers where strings go": Row(
        json_of(name=5, contact=5, topic=5, message=5, language=5),
        422,
        errors=[
            ("name", "invalid"),
            ("contact", "invalid"),
            ("topic", "invalid_choice"),
            ("message", "invalid"),
            ("language", "invalid_choice"),
        ],
    ),
    "null everywhere": Row(
        json.dumps(dict.fromkeys(VALID)).encode(),
        422,
        errors=[
            ("id", "required"),
            ("contact", "required"),
            ("topic", "required"),
            ("message", "required"),
            ("language", "required"),
            ("consent", "must_accept"),
        ],
    ),
    "a JSON array": Row(b"[1, 2]", 400, "bad_request"),
    "text/plain": Row(
        json_of(), 415, "unsupported_media_type", headers={"content-type": "text/plain"}
    ),
    "no content type": Row(json_of(), 415, "unsupported_media_type", headers={"content-type": ""}),
    "JSON in Latin-1": Row(
        json_of(),
        415,
        "unsupported_media_type",
        headers={"content-type": "application/json; charset=iso-8859-1"},
    ),
    # API Gateway passes a body that is no UTF-8 text on in base64.
    "invalid UTF-8": Row(
        json_of(name="Zo#").replace(b"#", b"\xe9"), 400, "bad_request", as_base64=True
    ),
    "a surrogate as UTF-8 bytes": Row(
        json_of(name="Zo#").replace(b"#", b"\xed\xa0\x80"), 400, "bad_request", as_base64=True
    ),
    "lone surrogates, escaped": Row(
        json_of(name="Zo\ud800e", message="Hello \udfff there, I need a mentor."),
        201,
        stored={"name": "Zoe", "message": "Hello  there, I need a mentor."},
    ),
    "NUL characters, escaped": Row(
        json_of(name="Da\x00rren", message="\x00I need help finding my first job."),
        201,
        stored={"name": "Darren", "message": "I need help finding my first job."},
    ),
    "a raw NUL byte in a string": Row(
        json_of(name="Da#rren").replace(b"#", b"\x00"), 400, "bad_request"
    ),
    "1 MB of emoji": Row(json_of(message="\U0001f600" * 262_144), 413, "payload_too_large"),
    "right-to-left overrides": Row(
        json_of(name="\u202eAnna\u202c", message="Invoice\u202etxt.exe\u2066 please help me"),
        201,
        stored={"name": "Anna", "message": "Invoicetxt.exe please help me"},
    ),
    "HTML and script in the free-text fields": Row(
        json_of(name=SCRIPT, message=f"<img src=x onerror=alert(1)> {SCRIPT}"),
        201,
        stored={"name": SCRIPT, "message": f"<img src=x onerror=alert(1)> {SCRIPT}"},
    ),
    "HTML and script in every field": Row(
        json_of(
            id=SCRIPT,
            name=SCRIPT,
            contact=SCRIPT,
            topic=SCRIPT,
            message=SCRIPT * 2,
            language=SCRIPT,
            consent=SCRIPT,
            started_at=SCRIPT,
        ),
        422,
        errors=[
            ("id", "invalid"),
            ("contact", "invalid"),
            ("topic", "invalid_choice"),
            ("language", "invalid_choice"),
            ("consent", "must_accept"),
            ("started_at", "invalid"),
        ],
    ),
    "CSV formulas": Row(
        json_of(name='=HYPERLINK("http://x")', message="+cmd|' /C calc'!A0 and a long text"),
        201,
        stored={"name": '=HYPERLINK("http://x")', "message": "+cmd|' /C calc'!A0 and a long text"},
    ),
    "CR/LF in the contact": Row(
        json_of(contact="darren@example.co.uk\r\nBcc: all@example.org"),
        422,
        errors=[("contact", "invalid")],
    ),
    "base64, as API Gateway sends binary bodies": Row(
        json_of(name="Zoë"), 201, stored={"name": "Zoë"}, as_base64=True
    ),
    "gzip": Row(
        gzip.compress(json_of()),
        415,
        "unsupported_media_type",
        headers={"content-encoding": "gzip"},
        as_base64=True,
    ),
    "marked base64 but not base64": Row(json_of(), 400, "bad_request", as_base64=True, spoilt=True),
    "multipart": Row(
        b'--b\r\nContent-Disposition: form-data; name="contact"\r\n\r\nx@example.org\r\n--b--\r\n',
        415,
        "unsupported_media_type",
        headers={"content-type": "multipart/form-data; boundary=b"},
    ),
    "form data with a field twice": Row(
        b"contact=a%40example.org&contact=b%40example.org&topic=business",
        400,
        "bad_request",
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
    ),
    "an offer over the limit": Row(
        offer_of(region="x" * LIMIT), 413, "payload_too_large", path=OFFERS
    ),
    "an offer of 1 MB of emoji": Row(
        offer_of(name="\U0001f600" * 262_144), 413, "payload_too_large", path=OFFERS
    ),
    "an offer's list field 60 times": Row(
        b"&".join([b"topics=other"] * 60), 400, "bad_request", headers=FORM, path=OFFERS
    ),
    "an offer's e-mail twice": Row(
        b"email=a%40example.org&email=b%40example.org&topics=business",
        400,
        "bad_request",
        headers=FORM,
        path=OFFERS,
    ),
    "an offer's lists nested, as objects and as numbers": Row(
        offer_of(topics=[["business"]], languages={"en": True}, ways=[1, 2]),
        422,
        path=OFFERS,
        errors=[("topics", "invalid_choice"), ("languages", "invalid"), ("ways", "invalid_choice")],
    ),
    "an offer of infinitely many people a month": Row(
        offer_of(capacity="#").replace(b'"#"', b"1e400"),
        422,
        errors=[("capacity", "invalid")],
        path=OFFERS,
    ),
    "an offer of a googol people a month": Row(
        offer_of(capacity=10**100), 422, errors=[("capacity", "invalid")], path=OFFERS
    ),
    "an offer with mail headers in the e-mail": Row(
        offer_of(email="darren@example.co.uk\r\nBcc: all@example.org"),
        422,
        errors=[("email", "invalid")],
        path=OFFERS,
    ),
    "an offer with a display name in the e-mail": Row(
        offer_of(email="Darren <darren@example.co.uk>"),
        422,
        errors=[("email", "invalid")],
        path=OFFERS,
    ),
    "an offer with a prototype key": Row(
        offer_of(__proto__={"admin": True}),
        422,
        errors=[("__proto__", "unknown_field")],
        path=OFFERS,
    ),
    "an offer with HTML, script and overrides in its texts": Row(
        offer_of(name=f"\u202e{SCRIPT}", region="<b>Leeds</b>\u2066"),
        201,
        stored={"name": SCRIPT, "region": "<b>Leeds</b>"},
        path=OFFERS,
    ),
}


def event_for(row: Row) -> dict[str, Any]:
    """The recorded HTTP API event, carrying the row's body and headers instead."""
    event = load_event("http-api-v2-json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = row.path
    encoded = row.as_base64 and not row.spoilt
    event["body"] = base64.b64encode(row.body).decode() if encoded else row.body.decode()
    event["isBase64Encoded"] = row.as_base64
    event["headers"]["content-length"] = str(len(row.body))
    for name, value in row.headers.items():
        if value:
            event["headers"][name] = value
        else:
            event["headers"].pop(name, None)
    return event


@pytest.mark.parametrize("name", list(ROWS))
def test_a_hostile_payload_gets_its_documented_answer(
    handler: Handler, table_items: ItemsOf, name: str
) -> None:
    row = ROWS[name]
    response = handler(event_for(row), LambdaContext())

    assert response["statusCode"] == row.status, response["body"][:300]
    answer = decoded_body(response)
    assert "Traceback" not in json.dumps(answer)
    if row.error is not None:
        assert answer["error"] == row.error
    if row.errors is not None:
        assert answer == {"errors": [{"field": f, "code": c} for f, c in row.errors]}
    if row.stored is None:
        assert table_items("") == []
        return
    assert answer == {"id": REQUEST_ID, "status": "received"}
    [item] = table_items("offer#" if row.path == OFFERS else "request#")
    for key, text in row.stored.items():
        assert item[key] == {"S": text}, key
