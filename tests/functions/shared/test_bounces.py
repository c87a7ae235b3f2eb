"""SES's bounces and complaints, as SNS hands them to Lambda (recorded events), onto the
suppression list in DynamoDB Local; an address is stored only as its keyed hash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from functions.shared.bounces import Feedback, Outcome, feedback_of, record_feedback
from functions.shared.suppression import TableSuppressionList, suppressed_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.dynamodb

EVENTS = Path(__file__).resolve().parent / "events"
HASH_KEY = b"contact-key-0123456789abcdef-0123456789"
NOW = 1_800_000_000


def event(name: str) -> dict[str, Any]:
    """A recorded SNS event from `events/`."""
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def store(dynamodb_client: DynamoDBClient, dynamodb_table: str) -> TableSuppressionList:
    """The suppression list in a fresh table."""
    return TableSuppressionList(dynamodb_client, dynamodb_table, HASH_KEY)


def test_a_permanent_bounce_suppresses_the_address_in_any_spelling(
    store: TableSuppressionList, dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    outcome = record_feedback(event("ses_bounce_permanent.json"), store, NOW)
    assert outcome == Outcome(suppressed=1)
    assert store.is_suppressed("gone.away@example.org")
    assert not store.is_suppressed("someone.else@example.org")
    items = dynamodb_client.scan(TableName=dynamodb_table)["Items"]
    assert items == [
        {
            "pk": {"S": suppressed_key("gone.away@example.org", HASH_KEY)},
            "reason": {"S": "bounce"},
            "suppressed_at": {"S": "2027-01-15T08:00:00.000Z"},
        }
    ]


def test_a_transient_bounce_suppresses_nothing(store: TableSuppressionList) -> None:
    outcome = record_feedback(event("ses_bounce_transient.json"), store, NOW)
    assert outcome == Outcome(ignored=1)
    assert not store.is_suppressed("full.box@example.org")


def test_a_complaint_suppresses_and_an_unreadable_record_is_counted(
    store: TableSuppressionList,
) -> None:
    outcome = record_feedback(event("ses_complaint.json"), store, NOW)
    assert outcome == Outcome(suppressed=1, unreadable=1)
    assert store.is_suppressed("annoyed@example.org")


def test_the_same_feedback_twice_keeps_the_first_reason(
    store: TableSuppressionList, dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> None:
    record_feedback(event("ses_complaint.json"), store, NOW)
    again = record_feedback(event("ses_complaint.json"), store, NOW + 60)
    assert again == Outcome(already=1, unreadable=1)
    items = dynamodb_client.scan(TableName=dynamodb_table)["Items"]
    assert [item["suppressed_at"]["S"] for item in items] == ["2027-01-15T08:00:00.000Z"]


def test_the_log_line_names_no_address(store: TableSuppressionList) -> None:
    line = record_feedback(event("ses_bounce_permanent.json"), store, NOW).log_line()
    assert json.loads(line) == {
        "message": "mail feedback",
        "suppressed": 1,
        "already": 0,
        "ignored": 0,
        "unreadable": 0,
    }


@pytest.mark.parametrize(
    ("notification", "expected"),
    [
        ({"eventType": "Delivery", "delivery": {}}, []),
        ({"notificationType": "Bounce", "bounce": {"bounceType": "Undetermined"}}, []),
        (
            {
                "notificationType": "Bounce",
                "bounce": {
                    "bounceType": "Permanent",
                    "bouncedRecipients": [{"emailAddress": "a@example.org"}, {"status": "5.0.0"}],
                },
            },
            [Feedback("a@example.org", "bounce")],
        ),
        ({"eventType": "Complaint", "complaint": {"complainedRecipients": "nope"}}, []),
    ],
)
def test_feedback_of_each_kind_of_notification(
    notification: dict[str, Any], expected: list[Feedback]
) -> None:
    assert feedback_of(notification) == expected
