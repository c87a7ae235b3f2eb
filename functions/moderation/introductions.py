"""What moderators do with helpers: suggest them for a request, read their record, introduce
one to a request, hand back their pending introductions when they are erased, and read the
months' figures.

Every read goes through a key or an index (never a scan); an introduction is one transaction
over the request, the helper's offer and the new introduction, each with its own condition."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ..shared.table import (
    DAY_SECONDS,
    HELPER_INDEX,
    OFFER_PREFIX,
    STATS_PREFIX,
    STATUS_INDEX,
    introduction_key,
    iso_utc,
    offer_key,
)
from . import helpers
from .errors import HelperNotFound, IntroductionRefused, StorageUnavailable
from .helpers import StoredOffer
from .records import Item, StoredRequest, VersionConflict, history_entry
from .store import Moderation, error_code
from .writes import Writes

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

ANSWER_DAYS = 5
# A transaction that loses a race is tried again from a fresh read this many times in all.
ATTEMPTS = 3
# What a suggestion needs of an offer: never the e-mail address, which is not even read.
SUGGESTION_FIELDS = (
    "pk, id, #name, topics, languages, ways, #region, #capacity, load_month, load_count,"
    " open_introductions, created_at, #status, expires_at"
)
WITHDRAWN_NOTE = "The helper's offer was erased; this introduction was withdrawn."


@dataclass(frozen=True)
class Introduction:
    """What an introduction asks for: which helper, at which version of the request, a note."""

    helper_id: str
    version: int
    note: str | None = None


@dataclass(frozen=True)
class HelperRecord:
    """A helper and their introductions, open and past, newest first."""

    offer: StoredOffer
    introductions: list[Item]


class HelperDesk:
    """Helpers and introductions, in the table the `Moderation` reads requests from."""

    def __init__(self, moderation: Moderation) -> None:
        self.moderation = moderation
        self.client = moderation.client
        self.table_name = moderation.table_name

    def suggestions(self, request_id: str) -> list[StoredOffer]:
        """Confirmed helpers who speak the request's language, offer its topic and have room."""
        request = self.moderation.get(request_id)
        now = self.moderation.clock()
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#status = :confirmed",
            "FilterExpression": (
                "begins_with(pk, :offer) AND expires_at > :now"
                " AND contains(languages, :language) AND contains(topics, :topic)"
            ),
            "ProjectionExpression": SUGGESTION_FIELDS,
            "ExpressionAttributeNames": {
                "#status": "status",
                "#name": "name",
                "#region": "region",
                "#capacity": "capacity",
            },
            "ExpressionAttributeValues": {
                ":confirmed": {"S": "confirmed"},
                ":offer": {"S": OFFER_PREFIX},
                ":now": {"N": str(int(now))},
                ":language": {"S": request.get("language")},
                ":topic": {"S": request.get("topic")},
            },
        }
        offers = [StoredOffer(item) for item in self.moderation.query_all(query)]
        return helpers.suggestions(offers, request, now)

    def helper(self, helper_id: str) -> HelperRecord:
        """The helper's offer, with their e-mail address, and every introduction of theirs."""
        offer = self._offer(helper_id)
        if offer is None or offer.number("expires_at") <= self.moderation.clock():
            raise HelperNotFound(helper_id)
        return HelperRecord(offer, self._introductions_of(helper_id))

    def of_request(self, request_id: str) -> list[dict[str, Any]]:
        """The request's introductions, newest first, each with its helper's name."""
        request = self.moderation.get(request_id)
        ids = {entry["introduction"] for entry in request.history() if "introduction" in entry}
        if request.get("introduction"):
            ids.add(request.get("introduction"))
        found = self._batch_get([introduction_key(item_id) for item_id in sorted(ids)])
        names = self._names({item["helper_id"]["S"] for item in found if "helper_id" in item})
        records = [helpers.introduction_record(item) for item in found]
        for record in records:
            record["helper_name"] = names.get(record.get("helper_id", ""), "")
        return sorted(records, key=lambda record: record.get("created_at", ""), reverse=True)

    def introduce(self, request_id: str, wanted: Introduction, *, moderator: str) -> Item:
        """Introduce the helper to the request in one transaction; the new introduction."""
        for _ in range(ATTEMPTS):
            request = self.moderation.get(request_id)
            if request.version != wanted.version:
                raise VersionConflict(request)
            offer = self._offer(wanted.helper_id)
            code = helpers.refusal(offer, request, self.moderation.clock())
            if code is not None or offer is None:
                raise IntroductionRefused(code or helpers.HELPER_GONE)
            introduction = self._introduction(request, offer, wanted, moderator)
            writes = self._writes()
            items = [
                writes.open_request(request, introduction, moderator),
                writes.count_on(offer, request),
                writes.create(introduction),
            ]
            if self._transact(items):
                return introduction
        raise StorageUnavailable("TransactionConflict")

    def offers_by_contact(self, contact_hash: str, *, include_expired: bool) -> list[StoredOffer]:
        """The helpers' offers sent from an address, by the keyed hash of it."""
        items = self.moderation.by_hash(contact_hash)
        offers = [StoredOffer(item) for item in items if item["pk"]["S"].startswith(OFFER_PREFIX)]
        if include_expired:
            return offers
        now = self.moderation.clock()
        return [offer for offer in offers if offer.number("expires_at") > now]

    def hand_back(self, offers: Iterable[StoredOffer], *, moderator: str) -> int:
        """Withdraw the offers' pending introductions, their requests back to `new`; how many."""
        pending = [
            item
            for offer in offers
            for item in self._introductions_of(offer.id)
            if item.get("status", {}).get("S") == "pending"
        ]
        return sum(self._withdraw(item, moderator) for item in pending)

    def release(self, requests: Iterable[StoredRequest]) -> int:
        """Before requests are erased: their pending introductions withdrawn, the helpers'
        counters given back, and every introduction's personal line removed; how many withdrew."""
        ids = {
            entry["introduction"]
            for request in requests
            for entry in request.history()
            if "introduction" in entry
        }
        found = self._batch_get([introduction_key(item_id) for item_id in sorted(ids)])
        return sum(self._release(item) for item in found)

    def figures(self) -> list[dict[str, Any]]:
        """The last twelve months' figures, newest first."""
        months = helpers.last_months(self.moderation.clock())
        found = self._batch_get([f"{STATS_PREFIX}{month}" for month in months])
        by_key = {item["pk"]["S"]: item for item in found}
        return [helpers.figures(month, by_key.get(f"{STATS_PREFIX}{month}")) for month in months]

    def _introduction(
        self, request: StoredRequest, offer: StoredOffer, wanted: Introduction, moderator: str
    ) -> Item:
        now = self.moderation.clock()
        found = {
            "id": str(uuid.uuid4()),
            "request_id": request.id,
            "helper_id": offer.id,
            "status": "pending",
            "created_at": iso_utc(now),
            "moderator": moderator,
            "language": offer.get("language"),
            "topic": request.get("topic"),
            "due": "answer",
            "due_at": iso_utc(now + ANSWER_DAYS * DAY_SECONDS),
        }
        if wanted.note:
            found["note"] = wanted.note
        return found

    def _writes(self) -> Writes:
        now = self.moderation.clock()
        return Writes(self.table_name, now, int(now) + self.moderation.retention_seconds)

    def _withdraw(self, introduction: Item, moderator: str) -> int:
        """The introduction withdrawn and its request back to `new`, or only the first when
        the request moved on; 1 when this call withdrew it."""
        intro_id = introduction["id"]["S"]
        at = iso_utc(self.moderation.clock())
        writes = self._writes()
        withdraw = writes.withdrawal(intro_id, remove="due, due_at")
        entry = history_entry(
            at, moderator, "withdrawn", status="new", note=WITHDRAWN_NOTE, introduction=intro_id
        )
        back = writes.back_to_new(intro_id, introduction["request_id"]["S"], entry)
        if self._transact([withdraw, back]):
            return 1
        return 1 if self._transact([withdraw]) else 0

    def _release(self, introduction: Item) -> int:
        """One introduction of an erased request: withdrawn if pending, without its note."""
        if introduction.get("status", {}).get("S") != "pending":
            if "note" in introduction:
                self._remove_note(introduction["pk"])
            return 0
        writes = self._writes()
        withdraw = writes.withdrawal(introduction["id"]["S"], remove="due, due_at, note")
        give_back = writes.give_back(introduction)
        # The helper's offer may be gone or changed meanwhile: the introduction goes anyway.
        return 1 if self._transact([withdraw, give_back]) or self._transact([withdraw]) else 0

    def _remove_note(self, key: Item) -> None:
        self.moderation.call(
            partial(
                self.client.update_item,
                TableName=self.table_name,
                Key={"pk": key},
                UpdateExpression="REMOVE note",
                ConditionExpression="attribute_exists(pk)",
            )
        )

    def _transact(self, items: list[TransactWriteItemTypeDef]) -> bool:
        """Write all or nothing; False when a condition failed or another write came between."""
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise StorageUnavailable(error_code(exc)) from exc
            return False
        except BotoCoreError as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        return True

    def _offer(self, helper_id: str) -> StoredOffer | None:
        response = self.moderation.call(
            partial(
                self.client.get_item,
                TableName=self.table_name,
                Key={"pk": {"S": offer_key(helper_id)}},
                ConsistentRead=True,
            )
        )
        return StoredOffer(response["Item"]) if "Item" in response else None

    def _introductions_of(self, helper_id: str) -> list[Item]:
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": HELPER_INDEX,
            "KeyConditionExpression": "helper_id = :helper",
            "FilterExpression": "begins_with(pk, :intro)",
            "ExpressionAttributeValues": {
                ":helper": {"S": helper_id},
                ":intro": {"S": introduction_key("")},
            },
            "ScanIndexForward": False,
        }
        return self.moderation.query_all(query)

    def _names(self, helper_ids: set[str]) -> dict[str, str]:
        keys = [offer_key(helper_id) for helper_id in sorted(helper_ids)]
        found = self._batch_get(keys, projection="id, #name")
        return {item["id"]["S"]: item.get("name", {}).get("S", "") for item in found}

    def _batch_get(self, keys: list[str], *, projection: str | None = None) -> list[Item]:
        """The items with these keys that exist, read in batches of 100 until none is left."""
        found: list[Item] = []
        for start in range(0, len(keys), 100):
            batch: dict[str, Any] = {
                "Keys": [{"pk": {"S": key}} for key in keys[start : start + 100]],
                "ConsistentRead": True,
            }
            if projection is not None:
                batch["ProjectionExpression"] = projection
                batch["ExpressionAttributeNames"] = {"#name": "name"}
            wanted: Any = {self.table_name: batch}
            while wanted:
                response = self.moderation.call(
                    partial(self.client.batch_get_item, RequestItems=wanted)
                )
                found += response["Responses"].get(self.table_name, [])
                wanted = response.get("UnprocessedKeys") or None
        return found
