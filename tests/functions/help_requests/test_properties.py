"""Properties that hold for any input, found by Hypothesis rather than listed by hand."""

from __future__ import annotations

import asyncio
import json
import unicodedata
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from functions.help_requests import Config, create_app
from functions.help_requests.contract import load_contract
from functions.help_requests.validation import HelpRequest, with_form_id
from tests.conftest import API_BASE, ItemsOf
from tests.functions.fuzzing import scaled

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CONTRACT = load_contract()
TEXT_FIELDS = ("name", "contact", "topic", "message", "language")
CONTROL = frozenset(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)])
INVISIBLE = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
ERROR_CODES = frozenset(CONTRACT.error_codes)
ANY_CHARACTER = st.characters(codec=None)  # lone surrogates too, as JSON's \ud800 escapes give


def documented_cleaning(text: str, *, multiline: bool) -> str:
    """The document's promise, written out on its own: NFC, line breaks as \\n, control and
    invisible characters removed (tabs kept in the message), one line where one is asked,
    trimmed."""
    text = unicodedata.normalize("NFC", text)
    for brk in ("\r\n", "\r", "\u2028", "\u2029", "\x85"):
        text = text.replace(brk, "\n")
    kept = "\n\t" if multiline else ""
    out = []
    for ch in text:
        if not multiline and ch in "\n\t":
            out.append(" ")
        elif ch in kept or not (ch in CONTROL or ch in INVISIBLE or 0xD800 <= ord(ch) <= 0xDFFF):
            out.append(ch)
    return "".join(out).strip()


def near(valid: list[Any]) -> st.SearchStrategy[Any]:
    """A valid value, one wrapped in noise, or anything JSON can carry."""
    noise = st.text(st.sampled_from(" \t\r\n\u00a0\u200b\u202e\ufeff\x00\x07\u0301"), max_size=3)
    wrapped = st.tuples(noise, st.sampled_from([v for v in valid if isinstance(v, str)]), noise)
    anything = st.one_of(
        st.text(ANY_CHARACTER, max_size=60),
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.lists(st.integers(), max_size=2),
    )
    # Mostly valid, so that whole submissions are often taken and their storage is checked.
    exact = st.sampled_from(valid)
    return st.one_of(exact, exact, exact, wrapped.map("".join), wrapped.map("".join), anything)


SUBMISSIONS = st.fixed_dictionaries(
    {
        "contact": near(["alicja@example.org", "+48 600 700 800", "jürgen@müller.de"]),
        "topic": near(list(CONTRACT.topics)),
        "message": near(
            [
                "I am back from parental leave and was offered a junior role.",
                "Szukam mentora w branży IT.\r\nDziękuję!",
                '=HYPERLINK("x")  and some more words',
            ]
        ),
        "language": near(list(CONTRACT.languages)),
        "consent": st.sampled_from([True, True, True, "on", False, None, 1]),
    },
    optional={
        "name": near(["Alicja", "Jürgen Müller", "Zoë", "O'Brien", "<b>Anna</b>"]),
        "website": st.sampled_from(["", None, " ", "http://spam.example"]),
        "extra": st.text(max_size=3),
    },
)


@pytest.mark.dynamodb
@pytest.mark.slow
@given(sent=SUBMISSIONS)
@settings(
    max_examples=scaled(300),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_submission_is_stored_as_sent_and_cleaned_or_refused_with_codes(
    help_config: Config,
    dynamodb_client: DynamoDBClient,
    table_items: ItemsOf,
    sent: dict[str, Any],
) -> None:
    config = replace(help_config, rate_limit_per_hour=10**6, rate_limit_per_day=10**6)
    app = create_app(replace(config, min_fill_seconds=0), dynamodb_client)
    request_id = str(uuid.uuid4())
    body = {"id": request_id, **sent}

    response = post_json(app, body)

    event(f"answered {response.status_code}")
    found = table_items(f"request#{request_id}")
    stored = found[0] if found else None
    website = body.get("website")
    robot = isinstance(website, str) and website.strip() != ""
    if response.status_code == 201 and not robot:
        assert stored is not None
        for field in TEXT_FIELDS:
            expected = body.get(field)
            expected = "" if expected is None else expected
            cleaned = documented_cleaning(expected, multiline=field == "message")
            assert stored.get(field, {"S": ""})["S"] == cleaned, field
    else:
        assert stored is None
        if not robot:
            assert response.status_code == 422, response.text
            codes = {error["code"] for error in response.json()["errors"]}
            assert codes
            assert codes <= ERROR_CODES


def post_json(app: Any, body: dict[str, Any]) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=API_BASE) as client:
            content = json.dumps(body).encode()  # lone surrogates go as \ud800 escapes
            headers = {"Content-Type": "application/json"}
            return await client.post("/api/help-requests", content=content, headers=headers)

    return asyncio.run(call())


PAYLOADS = st.builds(
    HelpRequest,
    id=st.just(""),
    name=st.text(max_size=5),
    contact=st.text(min_size=1, max_size=5),
    topic=st.sampled_from(CONTRACT.topics),
    message=st.text(min_size=1, max_size=10),
    language=st.sampled_from(CONTRACT.languages),
)
DAY = 86_400.0


@given(
    request=PAYLOADS,
    sender=st.text(min_size=1, max_size=8),
    seconds=st.floats(0, DAY - 1),
    day=st.integers(18_000, 30_000),
)
def test_the_plain_forms_id_is_the_same_for_the_same_sender_payload_and_day(
    request: HelpRequest, sender: str, seconds: float, day: int
) -> None:
    first = with_form_id(request, sender=sender, now=day * DAY)
    later = with_form_id(request, sender=sender, now=day * DAY + seconds)

    assert first.id == later.id
    assert uuid.UUID(first.id).version == 5


@given(
    request=PAYLOADS,
    other=PAYLOADS,
    senders=st.lists(st.text(min_size=1, max_size=8), min_size=2, max_size=2, unique=True),
    day=st.integers(18_000, 30_000),
)
def test_the_plain_forms_id_differs_when_the_sender_payload_or_day_does(
    request: HelpRequest, other: HelpRequest, senders: list[str], day: int
) -> None:
    now = day * DAY
    one = with_form_id(request, sender=senders[0], now=now).id

    assert with_form_id(request, sender=senders[1], now=now).id != one
    assert with_form_id(request, sender=senders[0], now=now + DAY).id != one
    if other.payload_hash() != request.payload_hash():
        assert with_form_id(other, sender=senders[0], now=now).id != one
