"""What moderators do with stored requests: read, mark, export and erase them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from ..shared.table import iso_utc, request_key
from .errors import RequestNotFound, StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")
STATUSES = ("new", "answered", "done")
FIELDS = ("id", "name", "contact", "topic", "message", "language", "status", "created_at")
RECORD_FIELDS = (*FIELDS, "consent_version", "updated_at")


@dataclass(frozen=True)
class StoredRequest:
    """A request as stored, with what moderators and the person asking may see."""

    item: dict[str, Any]

    def get(self, field: str) -> str:
        """A string attribute, or "" when it is absent."""
        return str(self.item.get(field, {}).get("S", ""))

    @property
    def expires_at(self) -> int:
        """When the retention period ends (epoch seconds)."""
        return int(self.item.get("expires_at", {}).get("N", "0"))

    def record(self) -> dict[str, str]:
        """Everything stored about the person, for an access request."""
        record = {field: self.get(field) for field in RECORD_FIELDS if field in self.item}
        record["retained_until"] = iso_utc(self.expires_at)
        return record


def contact_key(contact: str) -> str:
    """A contact in one spelling: e-mail addresses case-folded, phone numbers as +digits."""
    contact = contact.strip()
    if "@" in contact:
        return contact.casefold()
    digits = re.sub(r"\D", "", contact)
    if contact.startswith("+"):
        return f"+{digits}"
    return f"+{digits[2:]}" if digits.startswith("00") else digits


class Moderation:
    """Reads and changes requests in the table; expired requests count as gone."""

    def __init__(self, client: DynamoDBClient, table_name: str, *, now: float) -> None:
        self.client = client
        self.table_name = table_name
        self.now = now

    def by_status(self, status: str, *, limit: int | None = None) -> list[StoredRequest]:
        """Unexpired requests with `status`, oldest first."""
        pages = self._call(
            lambda: list(
                self.client.get_paginator("query").paginate(
                    TableName=self.table_name,
                    IndexName="by-status",
                    KeyConditionExpression="#status = :status",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":status": {"S": status}},
                )
            )
        )
        found = self._live(item for page in pages for item in page["Items"])
        return found[:limit] if limit is not None else found

    def get(self, request_id: str, *, include_expired: bool = False) -> StoredRequest:
        """The request with this id; unless `include_expired`, only while it is retained."""
        response = self._call(
            lambda: self.client.get_item(
                TableName=self.table_name,
                Key={"pk": {"S": request_key(request_id)}},
                ConsistentRead=True,
            )
        )
        found = [response["Item"]] if "Item" in response else []
        matches = [StoredRequest(item) for item in found] if include_expired else self._live(found)
        if not matches:
            raise RequestNotFound(request_id)
        return matches[0]

    def set_status(self, request_id: str, status: str) -> None:
        """Mark a request `new`, `answered` or `done`."""
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": request_key(request_id)}},
                UpdateExpression="SET #status = :status, updated_at = :now",
                ConditionExpression="attribute_exists(pk) AND expires_at > :epoch",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":status": {"S": status},
                    ":now": {"S": iso_utc(self.now)},
                    ":epoch": {"N": str(int(self.now))},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise RequestNotFound(request_id) from exc
            raise StorageUnavailable(str(exc)) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(str(exc)) from exc

    def by_contact(self, contact: str, *, include_expired: bool = False) -> list[StoredRequest]:
        """Every request sent with this contact, in any spelling of it."""
        wanted = contact_key(contact)
        matches = [
            StoredRequest(item)
            for item in self._scan_requests()
            if contact_key(str(item.get("contact", {}).get("S", ""))) == wanted
        ]
        if include_expired:
            return sorted(matches, key=lambda found: found.get("created_at"))
        return self._live(match.item for match in matches)

    def erase(self, requests: list[StoredRequest]) -> int:
        """Delete these requests for good; the number deleted."""
        for request in requests:
            self._delete(request.item["pk"])
        return len(requests)

    def _delete(self, key: dict[str, Any]) -> None:
        self._call(lambda: self.client.delete_item(TableName=self.table_name, Key={"pk": key}))

    def _scan_requests(self) -> Iterator[dict[str, Any]]:
        pages = self._call(
            lambda: list(
                self.client.get_paginator("scan").paginate(
                    TableName=self.table_name,
                    FilterExpression="begins_with(pk, :prefix)",
                    ExpressionAttributeValues={":prefix": {"S": "request#"}},
                    ConsistentRead=True,
                )
            )
        )
        for page in pages:
            yield from page["Items"]

    def _live(self, items: Iterable[dict[str, Any]]) -> list[StoredRequest]:
        # TTL deletes expired items up to two days late; until then they must not show.
        found = [StoredRequest(item) for item in items]
        live = [request for request in found if request.expires_at > self.now]
        return sorted(live, key=lambda request: request.get("created_at"))

    def _call(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(str(exc)) from exc
