"""Items as the other functions write them (a request, a helper's offer, a moderator's
introduction), the table's stream read as Lambda hands it to the helpers' function, and the
e-mails SES on moto took."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from functions.helpers.items import ANSWER_SECONDS, Item, month
from functions.helpers.outbox import Outcome, consume
from functions.helpers.runtime import Runtime
from functions.shared.contact import contact_hash
from functions.shared.table import iso_utc
from sitegen.serve.mailbox import SentMail, sent_mail
from sitegen.serve.notifications import lambda_record, streams_client
from sitegen.serve.outbox import OUTBOX_FILTERS, passing

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

HASH_KEY = b"contact-key-0123456789abcdef-0123456789"
YEAR = 365 * 24 * 3600


class Clock:
    """A clock the test moves."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, days: float) -> None:
        """Move `days` days on."""
        self.now += days * 24 * 3600


@dataclass
class Stream:
    """The test table's stream; each `pump` hands the new records to the outbox, as Lambda
    does through the function's filter, until none are left."""

    endpoint: str
    client: DynamoDBClient
    table: str
    runtime: Runtime
    seen: set[str] = field(default_factory=set)

    def new_records(self) -> list[dict[str, Any]]:
        """Every record not handed over yet, in Lambda's shape."""
        arn = self.client.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        streams = streams_client(self.endpoint)
        records: list[dict[str, Any]] = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for record in streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]:
                number = record["dynamodb"]["SequenceNumber"]
                if number not in self.seen:
                    self.seen.add(number)
                    records.append(lambda_record(record, arn))
        return records

    def pump(self) -> Outcome:
        """Hand every new record to the outbox; the last batch's outcome summed up."""
        total = Outcome()
        records = passing(OUTBOX_FILTERS, self.new_records())
        if records:
            outcome = consume(records, self.runtime)
            assert outcome.retry_from is None, outcome.log_line()
            total = outcome
        return total


@dataclass
class Mailbox:
    """The e-mails moto took since the test began."""

    endpoint: str
    before: int

    def all(self) -> list[SentMail]:
        """Oldest first."""
        return list(reversed(sent_mail(self.endpoint)))[self.before :]

    def to(self, address: str) -> list[SentMail]:
        """The e-mails to one address."""
        return [mail for mail in self.all() if address in mail.to]

    def links(self, address: str) -> dict[str, str]:
        """The links of the newest e-mail to `address`, by purpose (the follow-up's by answer)."""
        return links_of(self.to(address)[-1])


def links_of(mail: SentMail) -> dict[str, str]:
    """An e-mail's links to the links' pages, by their tokens' purpose (or `?answer=`)."""
    return by_purpose(href for _, href in mail.links)


def by_purpose(hrefs: Iterable[str]) -> dict[str, str]:
    """Links to the links' pages, by their tokens' purpose (or `?answer=`)."""
    found = {}
    for href in hrefs:
        if "/api/links/" not in href:
            continue
        token, _, query = href.rsplit("/", 1)[1].partition("?")
        body = token.split(".")[1]
        purpose = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["p"]
        found[query.removeprefix("answer=") or purpose] = href
    return found


def put(client: DynamoDBClient, table: str, item: Item) -> None:
    """Write an item as it is."""
    client.put_item(TableName=table, Item=item)


def request_item(now: float, *, contact: str = "ola@example.net", name: str = "Ola") -> Item:
    """A request as the public function stores it."""
    request_id = str(uuid.uuid4())
    item: Item = {
        "pk": {"S": f"request#{request_id}"},
        "id": {"S": request_id},
        "contact": {"S": contact},
        "topic": {"S": "job-search"},
        "message": {"S": "I am looking for my first job in IT after my studies."},
        "language": {"S": "pl"},
        "status": {"S": "new"},
        "created_at": {"S": iso_utc(now - 3600)},
        "consent_version": {"S": "2019-12-01"},
        "expires_at": {"N": str(int(now) + YEAR)},
        "contact_hash": {"S": contact_hash(contact, HASH_KEY)},
        "version": {"N": "1"},
        "history": {"L": []},
    }
    if name:
        item["name"] = {"S": name}
    return item


def offer_item(now: float, *, email: str = "jan@example.org", status: str = "confirmed") -> Item:
    """A helper's offer as the public function stores it, confirmed unless told otherwise."""
    offer_id = str(uuid.uuid4())
    return {
        "pk": {"S": f"offer#{offer_id}"},
        "id": {"S": offer_id},
        "name": {"S": "Jan"},
        "email": {"S": email},
        "topics": {"L": [{"S": "job-search"}, {"S": "mentoring"}]},
        "languages": {"L": [{"S": "pl"}, {"S": "de"}]},
        "ways": {"L": [{"S": "mentoring"}]},
        "capacity": {"N": "2"},
        "language": {"S": "de"},
        "region": {"S": "Berlin"},
        "status": {"S": status},
        "created_at": {"S": iso_utc(now - 7200)},
        "consent_version": {"S": "2019-12-01"},
        "payload_hash": {"S": "0" * 64},
        "contact_hash": {"S": contact_hash(email, HASH_KEY)},
        "version": {"N": "1"},
        "expires_at": {"N": str(int(now) + YEAR)},
        "open_introductions": {"N": "0"},
        "load_count": {"N": "0"},
        "load_month": {"S": month(now)},
    }


def introduce(
    client: DynamoDBClient, table: str, request: Item, offer: Item, now: float, note: str = ""
) -> str:
    """What the moderators' Introduce does (flows.md): one transaction; the intro's id."""
    intro_id = str(uuid.uuid4())
    intro: Item = {
        "pk": {"S": f"intro#{intro_id}"},
        "id": {"S": intro_id},
        "request_id": request["id"],
        "helper_id": offer["id"],
        "status": {"S": "pending"},
        "created_at": {"S": iso_utc(now)},
        "moderator": {"S": "moderator-sub"},
        "language": offer["language"],
        "topic": request["topic"],
        "version": {"N": "1"},
        "due": {"S": "answer"},
        "due_at": {"S": iso_utc(now + ANSWER_SECONDS)},
        "expires_at": request["expires_at"],
        "outbox": {"S": "introduction_request"},
    }
    if note:
        intro["note"] = {"S": note}
    client.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": request["pk"]},
                    "UpdateExpression": "SET #s = :introducing, introduction = :intro,"
                    " version = version + :one",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {
                        ":introducing": {"S": "introducing"},
                        ":intro": {"S": intro_id},
                        ":one": {"N": "1"},
                    },
                }
            },
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": offer["pk"]},
                    "UpdateExpression": "ADD open_introductions :one, load_count :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {"Put": {"TableName": table, "Item": intro}},
        ]
    )
    return intro_id


def getter(client: DynamoDBClient, table: str) -> Callable[[str], Item | None]:
    """Read an item by key, consistently."""

    def get(key: str) -> Item | None:
        found: Item | None = client.get_item(
            TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True
        ).get("Item")
        return found

    return get
