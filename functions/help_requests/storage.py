"""Store help requests and helper offers in DynamoDB: one transaction each, idempotent and
rate-limited."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from ..shared.contact import contact_hash
from ..shared.table import iso_utc, offer_key, request_key, stats_key
from .errors import IdConflict, RateLimited, StorageUnavailable
from .ratelimit import DAY_COUNT, Limits, RateWindow, rate_window, retry_after
from .validation import HelpRequest

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from .offers import HelperOffer

Stored = Literal["created", "replayed"]
DAY_SECONDS = 24 * 3600
CONFLICT_ATTEMPTS = 3
# The one attribute of a stored request this function reads: its role may read no other.
READ_BACK = "payload_hash"
# An offer waits this long for its helper to confirm the address, then TTL deletes it.
UNCONFIRMED_SECONDS = 7 * DAY_SECONDS


class RequestStore:
    """The help-requests table, behind an injected boto3 DynamoDB client."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        limits: Limits,
        retention_days: int,
        consent_version: str,
        contact_hash_key: bytes,
    ) -> None:
        self.client = client
        self.table_name = table_name
        self.limits = limits
        self.retention_seconds = retention_days * DAY_SECONDS
        self.consent_version = consent_version
        self.contact_hash_key = contact_hash_key

    def submit(self, request: HelpRequest, *, sender: str, now: float) -> Stored:
        """Store `request` once, counting it against the sender's limits, in one round trip."""
        window = rate_window(sender, now)
        items = [self._put_request(request, now), self._count(window), self._received(now)]

        def same() -> bool:
            return self._stored_hash(request.id) == request.payload_hash()

        return self._write(items, request.id, window, now, same)

    def offer(self, offer: HelperOffer, *, sender: str, now: float) -> Stored:
        """Store `offer` once, unconfirmed, counting it as a request against the same limits."""
        window = rate_window(sender, now)
        items = [self._put_offer(offer, now), self._count(window)]

        def same() -> bool:
            return self._has_hash(offer_key(offer.id), offer.payload_hash())

        return self._write(items, offer.id, window, now, same)

    def _write(
        self,
        items: list[TransactWriteItemTypeDef],
        item_id: str,
        window: RateWindow,
        now: float,
        same: Callable[[], bool],
    ) -> Stored:
        """Write the item and its count in one transaction; `same` tells a replay from a clash."""
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as exc:
                reasons = _cancellation_codes(exc)
                if "ConditionalCheckFailed" in reasons:
                    return self._resolve(exc, item_id, window, now, same)
                if "TransactionConflict" not in reasons:
                    raise StorageUnavailable(_error_code(exc)) from exc
                # Another write to the same counter or id is in flight; a short pause settles it.
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311
            except BotoCoreError as exc:
                raise StorageUnavailable(type(exc).__name__) from exc
            else:
                return "created"
        raise StorageUnavailable("TransactionConflict")

    def _put_request(self, request: HelpRequest, now: float) -> TransactWriteItemTypeDef:
        item: dict[str, Any] = {
            "pk": {"S": request_key(request.id)},
            "id": {"S": request.id},
            "contact": {"S": request.contact},
            "topic": {"S": request.topic},
            "message": {"S": request.message},
            "language": {"S": request.language},
            "status": {"S": "new"},
            "created_at": {"S": iso_utc(now)},
            "consent_version": {"S": self.consent_version},
            "payload_hash": {"S": request.payload_hash()},
            "expires_at": {"N": str(int(now) + self.retention_seconds)},
            # What the moderators' tools need: the person's requests found by the keyed hash of
            # their contact (never a scan), and changes conditional on the version they saw.
            "contact_hash": {"S": contact_hash(request.contact, self.contact_hash_key)},
            "version": {"N": "1"},
            "history": {"L": []},
        }
        if request.name:
            item["name"] = {"S": request.name}
        return self._put(item, now)

    def _put_offer(self, offer: HelperOffer, now: float) -> TransactWriteItemTypeDef:
        item: dict[str, Any] = {
            "pk": {"S": offer_key(offer.id)},
            "id": {"S": offer.id},
            "name": {"S": offer.name},
            # Kept to send the confirmation mail; the stream's consumer reads it from here.
            "email": {"S": offer.email},
            "topics": _strings(offer.topics),
            "languages": _strings(offer.languages),
            "ways": _strings(offer.ways),
            "capacity": {"N": str(offer.capacity)},
            "language": {"S": offer.language},
            # Only a confirmed helper is suggested; confirming also ends this expiry.
            "status": {"S": "unconfirmed"},
            "created_at": {"S": iso_utc(now)},
            "consent_version": {"S": self.consent_version},
            "payload_hash": {"S": offer.payload_hash()},
            "expires_at": {"N": str(int(now) + UNCONFIRMED_SECONDS)},
            # The key and spelling of a request's contact: a second offer from the address,
            # and the person's requests, are found by it in the `by-contact` index.
            "contact_hash": {"S": contact_hash(offer.email, self.contact_hash_key)},
            # Signed links name the version they were made for; any change makes them stale.
            "version": {"N": "1"},
        }
        if offer.region:
            item["region"] = {"S": offer.region}
        return self._put(item, now)

    def _put(self, item: dict[str, Any], now: float) -> TransactWriteItemTypeDef:
        # No ReturnValuesOnConditionCheckFailure: ALL_OLD would hand this function the whole
        # stored item (name, contact, message) on a repeated id; a repeat is told by its hash.
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": item,
                # An item past its retention may linger until TTL deletes it; it does not count.
                "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
                "ExpressionAttributeValues": {":now": {"N": str(int(now))}},
            }
        }

    def _count(self, window: RateWindow) -> TransactWriteItemTypeDef:
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": window.key}},
                "UpdateExpression": "ADD #day :one, #hour :one SET expires_at = :expires",
                "ConditionExpression": (
                    "(attribute_not_exists(#day) OR #day < :per_day)"
                    " AND (attribute_not_exists(#hour) OR #hour < :per_hour)"
                ),
                "ExpressionAttributeNames": {"#day": DAY_COUNT, "#hour": window.hour_attribute},
                "ExpressionAttributeValues": {
                    ":one": {"N": "1"},
                    ":per_day": {"N": str(self.limits.per_day)},
                    ":per_hour": {"N": str(self.limits.per_hour)},
                    ":expires": {"N": str(window.expires_at)},
                },
                # The counts say how long to wait; a counter holds no personal data.
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _received(self, now: float) -> TransactWriteItemTypeDef:
        # The month's figures count the request in the same transaction that stores it, so a
        # retried or refused submission is never counted twice or at all.
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": stats_key(now)}},
                "UpdateExpression": "ADD received :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }

    def _resolve(
        self,
        exc: ClientError,
        item_id: str,
        window: RateWindow,
        now: float,
        same: Callable[[], bool],
    ) -> Stored:
        """Tell a same-content retry from a conflicting id from a sender over the limit."""
        put, count = [*_cancellation_reasons(exc), {}, {}][:2]
        if put.get("Code") == "ConditionalCheckFailed":
            if same():
                return "replayed"
            raise IdConflict(item_id)
        counts = {
            name: int(value["N"]) for name, value in count.get("Item", {}).items() if "N" in value
        }
        raise RateLimited(retry_after(window, counts, self.limits, now))

    def _stored_hash(self, request_id: str) -> str | None:
        """The payload hash of the request stored under this id, if there is one."""
        try:
            response = self.client.get_item(
                TableName=self.table_name,
                Key={"pk": {"S": request_key(request_id)}},
                ProjectionExpression=READ_BACK,
                ConsistentRead=True,
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        stored: str | None = response.get("Item", {}).get(READ_BACK, {}).get("S")
        return stored

    def _has_hash(self, key: str, payload_hash: str) -> bool:
        """Whether the item under `key` holds this payload hash: a yes or no, never the item."""
        # A condition check, not a read: the role reads request hashes only, and the answer
        # here needs no more than whether they match.
        check: TransactWriteItemTypeDef = {
            "ConditionCheck": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": key}},
                "ConditionExpression": "payload_hash = :hash",
                "ExpressionAttributeValues": {":hash": {"S": payload_hash}},
            }
        }
        try:
            self.client.transact_write_items(TransactItems=[check])
        except ClientError as exc:
            if "ConditionalCheckFailed" in _cancellation_codes(exc):
                return False
            raise StorageUnavailable(_error_code(exc)) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        return True


def _strings(values: tuple[str, ...]) -> dict[str, Any]:
    return {"L": [{"S": value} for value in values]}


def _cancellation_reasons(exc: ClientError) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons", [])  # type: ignore[assignment]
    return reasons


def _cancellation_codes(exc: ClientError) -> list[str]:
    return [reason.get("Code", "") for reason in _cancellation_reasons(exc)]


def _error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "ClientError")
