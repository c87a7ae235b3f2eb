"""The items of an introduction's transactions: pure functions of what was read, no I/O.

Each item carries its own condition, so a transaction either finds everything as it was read,
or changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..shared.table import DAY_SECONDS, introduction_key, iso_utc, offer_key, request_key
from .helpers import StoredOffer, month_of
from .records import Item, StoredRequest, history_entry

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

HELPER_RETENTION_DAYS = 365


@dataclass(frozen=True)
class Writes:
    """Builds the transactions' items for one table at one moment."""

    table_name: str
    now: float
    # An introduction is a status change: the request's retention starts again with it.
    request_expiry: int

    @property
    def at(self) -> str:
        """The moment as the items store it."""
        return iso_utc(self.now)

    def open_request(
        self, request: StoredRequest, introduction: Item, moderator: str
    ) -> TransactWriteItemTypeDef:
        now = self.now
        at = introduction["created_at"]
        entry = history_entry(
            at,
            moderator,
            "introduce",
            status="introducing",
            introduction=introduction["id"],
            helper=introduction["helper_id"],
        )
        seen = "#version = :seen"
        if request.version == 1:
            seen = f"({seen} OR attribute_not_exists(#version))"
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": request_key(request.id)}},
                "UpdateExpression": (
                    "SET #status = :introducing, introduction = :introduction, updated_at = :at,"
                    " #expires = :expires, #version = if_not_exists(#version, :one) + :one,"
                    " #history = list_append(if_not_exists(#history, :none), :entry)"
                ),
                "ConditionExpression": (
                    f"attribute_exists(pk) AND {seen} AND #expires > :now"
                    " AND #status IN (:new, :in_progress)"
                ),
                "ExpressionAttributeNames": {
                    "#status": "status",
                    "#version": "version",
                    "#history": "history",
                    "#expires": "expires_at",
                },
                "ExpressionAttributeValues": {
                    ":introducing": {"S": "introducing"},
                    ":introduction": {"S": introduction["id"]},
                    ":at": {"S": at},
                    ":expires": {"N": str(self.request_expiry)},
                    ":seen": {"N": str(request.version)},
                    ":now": {"N": str(int(now))},
                    ":one": {"N": "1"},
                    ":none": {"L": []},
                    ":entry": {"L": [entry]},
                    ":new": {"S": "new"},
                    ":in_progress": {"S": "in-progress"},
                },
            }
        }

    def count_on(self, offer: StoredOffer, request: StoredRequest) -> TransactWriteItemTypeDef:
        """The helper's counters, if still confirmed, fitting and with room this month."""
        now = self.now
        month = month_of(now)
        fits = (
            "#status = :confirmed AND expires_at > :now"
            " AND contains(languages, :language) AND contains(topics, :topic)"
        )
        if offer.get("load_month") == month:
            update = "SET expires_at = :renewed ADD load_count :one, open_introductions :one"
            room = "load_month = :month AND load_count < #capacity"
        else:
            update = (
                "SET load_month = :month, load_count = :one, expires_at = :renewed"
                " ADD open_introductions :one"
            )
            room = (
                "(attribute_not_exists(load_month) OR load_month <> :month) AND #capacity >= :one"
            )
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": offer_key(offer.id)}},
                "UpdateExpression": update,
                "ConditionExpression": f"{fits} AND {room}",
                "ExpressionAttributeNames": {"#status": "status", "#capacity": "capacity"},
                "ExpressionAttributeValues": {
                    ":confirmed": {"S": "confirmed"},
                    ":now": {"N": str(int(now))},
                    ":language": {"S": request.get("language")},
                    ":topic": {"S": request.get("topic")},
                    ":month": {"S": month},
                    ":one": {"N": "1"},
                    ":renewed": {"N": str(int(now) + HELPER_RETENTION_DAYS * DAY_SECONDS)},
                },
            }
        }

    def create(self, introduction: Item) -> TransactWriteItemTypeDef:
        """The introduction item, made by an update: the moderators' role may not put items."""
        values: dict[str, Any] = {f":{name}": {"S": value} for name, value in introduction.items()}
        values[":version"] = {"N": "1"}
        values[":expires_at"] = {"N": str(self.request_expiry)}
        values[":outbox"] = {"S": "introduction_request"}
        names = {f"#{name}": name for name in [*introduction, "version", "expires_at", "outbox"]}
        sets = ", ".join(f"{name} = :{name[1:]}" for name in names)
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": introduction_key(introduction["id"])}},
                "UpdateExpression": f"SET {sets}",
                "ConditionExpression": "attribute_not_exists(pk)",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def withdrawal(self, intro_id: str, *, remove: str) -> TransactWriteItemTypeDef:
        """The introduction withdrawn, if still pending."""
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": introduction_key(intro_id)}},
                "UpdateExpression": (
                    f"SET #status = :withdrawn, updated_at = :at ADD #version :one REMOVE {remove}"
                ),
                "ConditionExpression": "#status = :pending",
                "ExpressionAttributeNames": {"#status": "status", "#version": "version"},
                "ExpressionAttributeValues": {
                    ":withdrawn": {"S": "withdrawn"},
                    ":pending": {"S": "pending"},
                    ":at": {"S": self.at},
                    ":one": {"N": "1"},
                },
            }
        }

    def give_back(self, introduction: Item) -> TransactWriteItemTypeDef:
        """The helper's counters less this introduction (its load only in the month it counted)."""
        month = month_of(self.now)
        counted = introduction["created_at"]["S"][:7] == month
        update = "ADD open_introductions :less" + (", load_count :less" if counted else "")
        condition = "open_introductions > :zero"
        values: dict[str, Any] = {":less": {"N": "-1"}, ":zero": {"N": "0"}}
        if counted:
            condition += " AND load_month = :month"
            values[":month"] = {"S": month}
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": offer_key(introduction["helper_id"]["S"])}},
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values,
            }
        }

    def back_to_new(self, intro_id: str, request_id: str, entry: Item) -> TransactWriteItemTypeDef:
        """The request back to `new`, if it still waits for this introduction."""
        at = self.at
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": request_key(request_id)}},
                "UpdateExpression": (
                    "SET #status = :new, updated_at = :at, #version = #version + :one,"
                    " #history = list_append(if_not_exists(#history, :none), :entry)"
                ),
                "ConditionExpression": "#status = :introducing AND introduction = :intro",
                "ExpressionAttributeNames": {
                    "#status": "status",
                    "#version": "version",
                    "#history": "history",
                },
                "ExpressionAttributeValues": {
                    ":new": {"S": "new"},
                    ":introducing": {"S": "introducing"},
                    ":intro": {"S": intro_id},
                    ":at": {"S": at},
                    ":one": {"N": "1"},
                    ":none": {"L": []},
                    ":entry": {"L": [entry]},
                },
            }
        }
