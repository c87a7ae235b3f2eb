"""What moderators do with stored requests: list, read, assign, answer, export and erase them.

The command line and the moderators' API both work through `Moderation`. It reads through the
table's key and its two indexes only, never by scanning the table, and counts a request past
its retention as gone even before DynamoDB's TTL deletes it (up to two days late)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from ..shared.contact import contact_hash
from ..shared.table import (
    CONTACT_INDEX,
    DAY_SECONDS,
    REQUEST_PREFIX,
    STATUS_INDEX,
    erasure_key,
    iso_utc,
    request_key,
)
from .errors import ConfigError, RequestNotFound, StorageUnavailable
from .helpers import StoredOffer
from .records import Item, StoredRequest, VersionConflict, history_entry, index_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")
Clock = Callable[[], float]
ErasureScope = Literal["request", "contact"]
Stored = StoredRequest | StoredOffer
# A filtered page may take a few Queries to fill; after these it comes back short, with a cursor.
MAX_QUERIES_PER_PAGE = 5
# Each Query reads at least this many items, so a short page with a filter finds matches sooner.
MIN_READ = 25
CONDITION_FAILED = "ConditionalCheckFailedException"


@dataclass(frozen=True)
class Listing:
    """Which requests a list or an export shows, and how many a page holds."""

    status: str = "new"
    topic: str | None = None
    language: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class Page:
    """One page of a listing, and the index key after which the next one starts."""

    requests: list[StoredRequest]
    next_key: Item | None


@dataclass(frozen=True)
class Summary:
    """How many requests wait, and since when the oldest of them."""

    waiting: int
    oldest_waiting_since: str | None


class Moderation:
    """Reads and changes requests in the table, through an injected boto3 DynamoDB client."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        retention_days: int,
        contact_hash_key: bytes | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.client = client
        self.table_name = table_name
        self.retention_seconds = retention_days * DAY_SECONDS
        self.contact_hash_key = contact_hash_key
        self.clock = clock

    def page(self, listing: Listing, start: Item | None = None) -> Page:
        """Unexpired requests of the listing, oldest first, from `start` on: one Query if it can."""
        found: list[Item] = []
        for _ in range(MAX_QUERIES_PER_PAGE):
            query = self._status_query(listing, start, limit=max(listing.limit, MIN_READ))
            response = self.call(partial(self.client.query, **query))
            found += response["Items"]
            start = response.get("LastEvaluatedKey")
            if len(found) >= listing.limit or start is None:
                break
        if len(found) > listing.limit:
            found = found[: listing.limit]
            start = index_key(found[-1])
        return Page([StoredRequest(item) for item in found], start)

    def export(self, listing: Listing) -> list[StoredRequest]:
        """Every unexpired request of the listing, oldest first (its limit does not apply)."""
        query = self._status_query(listing, None, limit=None)
        return [StoredRequest(item) for item in self.query_all(query)]

    def summary(self) -> Summary:
        """How many `new` requests wait, and when the oldest came in."""
        query = self._status_query(Listing(status="new"), None, limit=None)
        query["ProjectionExpression"] = "#created"
        query["ExpressionAttributeNames"]["#created"] = "created_at"
        found = self.query_all(query)
        oldest = found[0]["created_at"]["S"] if found else None
        return Summary(waiting=len(found), oldest_waiting_since=oldest)

    def get(self, request_id: str, *, include_expired: bool = False) -> StoredRequest:
        """The request with this id; unless `include_expired`, only while it is retained."""
        response = self.call(
            lambda: self.client.get_item(
                TableName=self.table_name,
                Key={"pk": {"S": request_key(request_id)}},
                ConsistentRead=True,
            )
        )
        if "Item" not in response:
            raise RequestNotFound(request_id)
        request = StoredRequest(response["Item"])
        if not include_expired and request.expires_at <= self.clock():
            raise RequestNotFound(request_id)
        return request

    def assign(self, request_id: str, *, version: int, moderator: str) -> StoredRequest:
        """Assign the request to `moderator`, if it is still at `version`."""
        at = iso_utc(self.clock())
        return self._change(
            request_id,
            version,
            "SET assigned_to = :moderator, updated_at = :at",
            {":moderator": {"S": moderator}, ":at": {"S": at}},
            history_entry(at, moderator, "assign"),
        )

    def set_status(
        self,
        request_id: str,
        status: str,
        *,
        version: int,
        moderator: str,
        note: str | None = None,
    ) -> StoredRequest:
        """Change the status (retention starts again now), if the request is still at `version`
        and no introduction waits for a helper's answer: that ends by the answer or its time."""
        now = self.clock()
        at = iso_utc(now)
        return self._change(
            request_id,
            version,
            "SET #status = :status, updated_at = :at, #expires = :expires",
            {
                ":status": {"S": status},
                ":at": {"S": at},
                ":expires": {"N": str(int(now) + self.retention_seconds)},
                ":waiting": {"S": "introducing"},
            },
            history_entry(at, moderator, "status", status=status, note=note),
            guard="#status <> :waiting",
        )

    def by_contact(self, contact: str, *, include_expired: bool = False) -> list[StoredRequest]:
        """Every request sent with this contact in any spelling, oldest first, via its hash."""
        # The index holds helpers' offers from the same address too; they are not requests.
        items = self.by_hash(self.hash_of(contact))
        found = [
            StoredRequest(item) for item in items if item["pk"]["S"].startswith(REQUEST_PREFIX)
        ]
        if include_expired:
            return found
        now = self.clock()
        return [request for request in found if request.expires_at > now]

    def hash_of(self, contact: str) -> str:
        """The keyed hash a contact is found by, in any spelling of it."""
        if self.contact_hash_key is None:
            raise ConfigError("CONTACT_HASH_KEY: missing; finding a contact's requests needs it")
        return contact_hash(contact, self.contact_hash_key)

    def by_hash(self, hashed: str) -> list[Item]:
        """Every item stored with this contact hash (requests and offers), oldest first."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": CONTACT_INDEX,
            "KeyConditionExpression": "contact_hash = :hash",
            "ExpressionAttributeValues": {":hash": {"S": hashed}},
        }
        return self.query_all(query)

    def erase(self, found: Iterable[Stored], *, moderator: str, scope: ErasureScope) -> int:
        """Delete these items for good, log the erasure without them; the number deleted."""
        deleted = sum(self._delete(stored.item["pk"]) for stored in found)
        self._log_erasure(moderator, scope, deleted)
        return deleted

    def _status_query(self, listing: Listing, start: Item | None, *, limit: int | None) -> Any:
        names = {"#status": "status", "#expires": "expires_at"}
        values: dict[str, Any] = {
            ":status": {"S": listing.status},
            ":now": {"N": str(int(self.clock()))},
        }
        filters = ["#expires > :now"]
        for field, wanted in (("topic", listing.topic), ("language", listing.language)):
            if wanted is not None:
                names[f"#{field}"] = field
                values[f":{field}"] = {"S": wanted}
                filters.append(f"#{field} = :{field}")
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#status = :status",
            "FilterExpression": " AND ".join(filters),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": True,
        }
        if limit is not None:
            query["Limit"] = limit
        if start is not None:
            query["ExclusiveStartKey"] = start
        return query

    def query_all(self, query: dict[str, Any]) -> list[Item]:
        """Every item a Query finds, over all its pages."""
        pages = self.call(lambda: list(self.client.get_paginator("query").paginate(**query)))
        return [item for page in pages for item in page["Items"]]

    def _change(
        self,
        request_id: str,
        version: int,
        update: str,
        values: Item,
        entry: Item,
        *,
        guard: str | None = None,
    ) -> StoredRequest:
        """Apply `update` with a history entry and a new version, if still at `version` (and
        `guard` holds)."""
        # Requests stored before versions existed have none: they count as version 1.
        seen = "#version = :seen"
        if version == 1:
            seen = f"({seen} OR attribute_not_exists(#version))"
        if guard is not None:
            seen = f"{seen} AND {guard}"
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": request_key(request_id)}},
                UpdateExpression=(
                    f"{update}, #version = if_not_exists(#version, :one) + :one,"
                    " #history = list_append(if_not_exists(#history, :none), :entry)"
                ),
                ConditionExpression=f"attribute_exists(pk) AND {seen} AND #expires > :now",
                ExpressionAttributeNames={
                    "#version": "version",
                    "#history": "history",
                    "#expires": "expires_at",
                    **({"#status": "status"} if "#status" in f"{update} {seen}" else {}),
                },
                ExpressionAttributeValues={
                    **values,
                    ":seen": {"N": str(version)},
                    ":now": {"N": str(int(self.clock()))},
                    ":one": {"N": "1"},
                    ":none": {"L": []},
                    ":entry": {"L": [entry]},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise StorageUnavailable(error_code(exc)) from exc
            # Gone or expired is a 404; otherwise someone else changed it first.
            raise VersionConflict(self.get(request_id)) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        return StoredRequest(response["Attributes"])

    def _delete(self, key: Item) -> int:
        try:
            self.client.delete_item(
                TableName=self.table_name,
                Key={"pk": key},
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                return 0  # deleted meanwhile, by another erasure or by TTL
            raise StorageUnavailable(error_code(exc)) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        return 1

    def _log_erasure(self, moderator: str, scope: ErasureScope, count: int) -> None:
        """Record when, by whom and how many: nothing about the person or the requests."""
        # An update creates the item: the moderators' role may not put items.
        self.call(
            lambda: self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": erasure_key(str(uuid.uuid4()))}},
                UpdateExpression="SET #at = :at, #by = :by, #scope = :scope, #count = :count",
                ExpressionAttributeNames={
                    "#at": "at",
                    "#by": "by",
                    "#scope": "scope",
                    "#count": "count",
                },
                ExpressionAttributeValues={
                    ":at": {"S": iso_utc(self.clock())},
                    ":by": {"S": moderator},
                    ":scope": {"S": scope},
                    ":count": {"N": str(count)},
                },
            )
        )

    def call(self, action: Callable[[], T]) -> T:
        """The action's result; any failure of DynamoDB becomes StorageUnavailable."""
        try:
            return action()
        except ClientError as exc:
            raise StorageUnavailable(error_code(exc)) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(type(exc).__name__) from exc


def error_code(exc: ClientError) -> str:
    """The error code DynamoDB answered with."""
    return exc.response.get("Error", {}).get("Code", "ClientError")
