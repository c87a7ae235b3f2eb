"""Properties that hold for any input, found by Hypothesis rather than listed by hand."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from functions.help_requests import Config, create_app
from functions.help_requests.app import HelpRequestsApp
from functions.help_requests.contract import load_contract
from functions.help_requests.validation import HelpRequest, with_form_id
from tests.conftest import API_BASE, ItemsOf
from tests.functions.fuzzing import scaled
from tests.functions.help_requests import documented

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CONTRACT = load_contract()
TEXT_FIELDS = ("name", "contact", "topic", "message", "language")
ERROR_CODES = frozenset(CONTRACT.error_codes)
ANY_CHARACTER = st.characters(codec=None)  # lone surrogates too, as JSON's \ud800 escapes give


# What cleaning removes from the ends of a value, and what it does not.
BLANKS = " \t\r\n\u00a0\u3000\u202e\ufeff\x00\x07"
OTHER_NOISE = "\u200b\u0301"
CONTACTS = ["alicja@example.org", "+48 600 700 800", "jürgen@müller.de", "0049 (40) 123-4567"]
MESSAGES = [
    "I am back from parental leave and was offered a junior role.",
    "Szukam mentora w branży IT.\r\nDziękuję!",
    '=HYPERLINK("x")  and some more words',
]
NAMES = ["Alicja", "Jürgen Müller", "Zoë", "O'Brien", "<b>Anna</b>"]


def wrapped(valid: list[str], noise: str) -> st.SearchStrategy[str]:
    """A valid value with `noise` characters before and after it."""
    ends = st.text(st.sampled_from(noise), max_size=3)
    return st.tuples(ends, st.sampled_from(valid), ends).map("".join)


def near(valid: list[str]) -> st.SearchStrategy[Any]:
    """A valid value, one wrapped in noise, or anything JSON can carry."""
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
    noisy = wrapped(valid, BLANKS + OTHER_NOISE)
    return st.one_of(exact, exact, exact, noisy, noisy, anything)


SUBMISSIONS = st.fixed_dictionaries(
    {
        "contact": near(CONTACTS),
        "topic": near(list(CONTRACT.topics)),
        "message": near(MESSAGES),
        "language": near(list(CONTRACT.languages)),
        "consent": st.sampled_from([True, True, True, "on", False, None, 1]),
    },
    optional={
        "name": near(NAMES),
        "website": st.sampled_from(["", None, " ", "http://spam.example"]),
        "extra": st.text(max_size=3),
    },
)
# Valid once cleaned: each must be taken.
GOOD_SUBMISSIONS = st.fixed_dictionaries(
    {
        "contact": wrapped(CONTACTS, BLANKS),
        "topic": wrapped(list(CONTRACT.topics), BLANKS),
        "message": wrapped(MESSAGES, BLANKS),
        "language": wrapped(list(CONTRACT.languages), BLANKS),
        "consent": st.sampled_from([True, "on", " TRUE "]),
    },
    optional={
        "name": wrapped(NAMES, BLANKS),
        "website": st.sampled_from(["", None, " \t"]),
        "started_at": st.sampled_from([None, "", 1_500_000_000_000]),
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
    open_app: HelpRequestsApp, table_items: ItemsOf, sent: dict[str, Any]
) -> None:
    request_id = str(uuid.uuid4())
    body = {"id": request_id, **sent}

    response = post_json(open_app, body)

    event(f"answered {response.status_code}")
    found = table_items(f"request#{request_id}")
    stored = found[0] if found else None
    robot = documented.from_a_robot(body)
    if response.status_code == 201 and not robot:
        assert stored is not None
        assert_stored_cleaned(stored, body)
    else:
        assert stored is None
        if not robot:
            assert response.status_code == 422, response.text
            codes = {error["code"] for error in response.json()["errors"]}
            assert codes
            assert codes <= ERROR_CODES


@pytest.mark.dynamodb
@pytest.mark.slow
@given(sent=GOOD_SUBMISSIONS)
@settings(
    max_examples=scaled(100),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_submission_valid_once_cleaned_is_always_taken_and_stored_cleaned(
    open_app: HelpRequestsApp, table_items: ItemsOf, sent: dict[str, Any]
) -> None:
    request_id = str(uuid.uuid4())
    response = post_json(open_app, {"id": request_id, **sent})

    assert response.status_code == 201, response.text
    [stored] = table_items(f"request#{request_id}")
    assert_stored_cleaned(stored, sent)


@pytest.fixture
def open_app(help_config: Config, dynamodb_client: DynamoDBClient) -> HelpRequestsApp:
    """The app with no rate limit and no time trap: every example is judged on its content."""
    unlimited = 10**6
    config = replace(
        help_config,
        rate_limit_per_hour=unlimited,
        rate_limit_per_day=unlimited,
        min_fill_seconds=0,
    )
    return create_app(config, dynamodb_client)


def assert_stored_cleaned(stored: dict[str, Any], sent: dict[str, Any]) -> None:
    """Each text field of the item is what was sent, cleaned as the document says."""
    for field in TEXT_FIELDS:
        value = sent.get(field)
        expected = documented.cleaned("" if value is None else value, multiline=field == "message")
        assert stored.get(field, {"S": ""})["S"] == expected, field


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
