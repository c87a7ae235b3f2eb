"""Every read and write of the helpers' function on the table; each change is conditional, so a
link used twice, or two runs of the schedule at once, change things once.

`ClientError` ends here: a failed condition becomes `Stale`, anything else `StorageUnavailable`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from ..shared.table import (
    DAY_SECONDS,
    DUE_INDEX,
    HELPER_INDEX,
    iso_utc,
)
from . import changes
from .errors import Stale, StorageUnavailable
from .items import Item, number, text

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CONFIRMATIONS_PER_DAY = 3
MAILCAP_PREFIX = "mailcap#"
Result = TypeVar("Result")
ONE = {"N": "1"}


class HelpersStore:
    """The help-requests table as the helpers' function uses it."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def get(self, key: str, now: float) -> Item | None:
        """The item, unless it is not there or past its expiry (TTL deletes it late)."""
        found = _call(
            lambda: self.client.get_item(
                TableName=self.table_name, Key=_key(key), ConsistentRead=True
            )
        )
        item: Item | None = found.get("Item")
        if item is None or ("expires_at" in item and number(item, "expires_at") <= now):
            return None
        return item

    def confirm_offer(self, offer: Item, version: int, now: float, keep_days: int) -> None:
        """unconfirmed -> confirmed, once; kept for `keep_days` from now on."""
        self._update(
            offer,
            "SET #status = :to, confirmed_at = :at, expires_at = :expires,"
            " version = version + :one",
            "#status = :from AND version = :version",
            {
                ":from": {"S": "unconfirmed"},
                ":to": {"S": "confirmed"},
                ":at": {"S": iso_utc(now)},
                ":expires": {"N": str(int(now) + keep_days * DAY_SECONDS)},
                ":version": {"N": str(version)},
            },
        )

    def set_offer_status(self, offer: Item, before: str, after: str) -> None:
        """Pause (confirmed -> paused) or resume (paused -> confirmed), once."""
        self._update(
            offer,
            "SET #status = :to, version = version + :one",
            "#status = :from",
            {":from": {"S": before}, ":to": {"S": after}},
        )

    def delete_offer(self, offer: Item) -> None:
        """Erase the offer; its pending introductions were handed back before."""
        _call(
            lambda: self.client.delete_item(
                TableName=self.table_name,
                Key=_key(text(offer, "pk")),
                ConditionExpression="attribute_exists(pk)",
            )
        )

    def pending_introductions(self, offer_id: str) -> list[Item]:
        """The helper's introductions still waiting for their answer."""
        query = {
            "TableName": self.table_name,
            "IndexName": HELPER_INDEX,
            "KeyConditionExpression": "helper_id = :helper",
            "FilterExpression": "#status = :pending",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":helper": {"S": offer_id}, ":pending": {"S": "pending"}},
        }
        return list(self._query(query))

    def due(self, kind: str, now: float) -> list[Item]:
        """Introductions whose `due` is `kind` (answer, follow-up) at or before `now`."""
        query = {
            "TableName": self.table_name,
            "IndexName": DUE_INDEX,
            "KeyConditionExpression": "due = :kind AND due_at <= :now",
            "ExpressionAttributeValues": {":kind": {"S": kind}, ":now": {"S": iso_utc(now)}},
        }
        return list(self._query(query))

    def accept(self, intro: Item, request: Item, offer: Item | None, now: float) -> None:
        """The helper said yes: intro accepted (its mails go out), request introduced."""
        self._transact(changes.accept(self.table_name, intro, request, offer, now))

    def hand_back(
        self,
        intro: Item,
        request: Item | None,
        offer: Item | None,
        status: str,
        note: str,
        now: float,
    ) -> None:
        """Declined, timed out or withdrawn: the intro ends and the request is `new` again."""
        self._transact(changes.hand_back(self.table_name, intro, request, offer, status, note, now))

    def queue_follow_up(self, intro: Item, request: Item | None) -> None:
        """The follow-up is due: the request gets its mail (if it has an address), once."""
        self._transact(changes.queue_follow_up(self.table_name, intro, request))

    def answer_follow_up(self, request: Item, answer: str, now: float) -> None:
        """Record the requester's first answer; a first `yes` counts in the month's figures."""
        self._transact(changes.answer_follow_up(self.table_name, request, answer, now))

    def clear_outbox(self, key: str, name: str, version: int) -> bool:
        """Remove `outbox` if it still names this mail at this version; False if it changed."""
        try:
            _call(
                lambda: self.client.update_item(
                    TableName=self.table_name,
                    Key=_key(key),
                    UpdateExpression="REMOVE outbox",
                    ConditionExpression="outbox = :name AND version = :version",
                    ExpressionAttributeValues={
                        ":name": {"S": name},
                        ":version": {"N": str(version)},
                    },
                )
            )
        except Stale:
            return False
        return True

    def count_confirmation(self, contact_hash: str, now: float) -> bool:
        """Count a confirmation mail to this address today; False when over the day's cap."""
        day = iso_utc(now)[:10]
        try:
            _call(
                lambda: self.client.update_item(
                    TableName=self.table_name,
                    Key=_key(f"{MAILCAP_PREFIX}{contact_hash}#{day}"),
                    UpdateExpression="ADD mails :one SET expires_at = :expires",
                    ConditionExpression="attribute_not_exists(mails) OR mails < :cap",
                    ExpressionAttributeValues={
                        ":one": ONE,
                        ":cap": {"N": str(CONFIRMATIONS_PER_DAY)},
                        ":expires": {"N": str(int(now) + 2 * DAY_SECONDS)},
                    },
                )
            )
        except Stale:
            return False
        return True

    def _update(self, item: Item, update: str, condition: str, values: Item) -> None:
        change = changes.change(
            self.table_name, item, update, f"attribute_exists(pk) AND {condition}", values
        )
        _call(lambda: self.client.update_item(**change["Update"]))

    def _transact(self, changes: list[Any]) -> None:
        _call(lambda: self.client.transact_write_items(TransactItems=changes))

    def _query(self, query: dict[str, Any]) -> Iterator[Item]:
        pages = _call(lambda: list(self.client.get_paginator("query").paginate(**query)))
        for page in pages:
            yield from page["Items"]


def _key(key: str) -> Item:
    return {"pk": {"S": key}}


def _call(action: Callable[[], Result]) -> Result:
    try:
        return action()
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
        reasons = [r.get("Code", "") for r in exc.response.get("CancellationReasons", [])]
        if code == "ConditionalCheckFailedException" or "ConditionalCheckFailed" in reasons:
            raise Stale(code) from exc
        raise StorageUnavailable(code) from exc
    except BotoCoreError as exc:
        raise StorageUnavailable(type(exc).__name__) from exc
