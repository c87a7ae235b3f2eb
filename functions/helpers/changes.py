"""The writes each flow makes, as DynamoDB transaction items: every one conditional on what the
flow saw, so a link used twice or two overlapping runs change things once. Pure: items in,
write requests out; `store.py` sends them."""

from __future__ import annotations

from typing import Any

from ..shared.table import iso_utc, stats_key
from .items import FOLLOW_UP_SECONDS, Item, epoch, history_entry, item_id, month, number, text

Changes = list[Any]
ONE = {"N": "1"}
MINUS_ONE = {"N": "-1"}


def accept(table: str, intro: Item, request: Item, offer: Item | None, now: float) -> Changes:
    """The helper said yes: intro accepted (mails go out from it), request introduced."""
    at = iso_utc(now)
    wait = max(0, int(now - epoch(text(request, "created_at"))))
    intro_change = change(
        table,
        intro,
        "SET #status = :to, answered_at = :at, outbox = :outbox, due = :due,"
        " due_at = :due_at, version = version + :one",
        "#status = :pending AND version = :version",
        {
            ":to": {"S": "accepted"},
            ":at": {"S": at},
            ":outbox": {"S": "introduction_accepted"},
            ":due": {"S": "follow-up"},
            ":due_at": {"S": iso_utc(now + FOLLOW_UP_SECONDS)},
            ":pending": {"S": "pending"},
            ":version": {"N": str(number(intro, "version"))},
        },
    )
    request_change = _request_change(table, request, intro, "introduced", at, None)
    stats = {
        "Update": {
            "TableName": table,
            "Key": {"pk": {"S": stats_key(now)}},
            "UpdateExpression": "ADD introduced :one"
            " SET waits = list_append(if_not_exists(waits, :none), :wait)",
            "ExpressionAttributeValues": {
                ":one": ONE,
                ":none": {"L": []},
                ":wait": {"L": [{"N": str(wait)}]},
            },
        }
    }
    counters = _offer_counters(table, offer, intro, give_back=False)
    return [intro_change, request_change, stats, *counters]


def hand_back(
    table: str,
    intro: Item,
    request: Item | None,
    offer: Item | None,
    status: str,
    note: str,
    now: float,
) -> Changes:
    """Declined, timed out or withdrawn: the intro ends and the request is `new` again."""
    intro_change = change(
        table,
        intro,
        "SET #status = :to, version = version + :one"
        + (", answered_at = :at" if status == "declined" else "")
        + " REMOVE due, due_at",
        "#status = :pending AND version = :version",
        {
            ":to": {"S": status},
            ":pending": {"S": "pending"},
            ":version": {"N": str(number(intro, "version"))},
            **({":at": {"S": iso_utc(now)}} if status == "declined" else {}),
        },
    )
    changes = [intro_change, *_offer_counters(table, offer, intro, give_back=True)]
    if request is not None:
        changes.append(_request_change(table, request, intro, "new", iso_utc(now), note))
    return changes


def queue_follow_up(table: str, intro: Item, request: Item | None) -> Changes:
    """The follow-up is due: the request gets its mail (if it has an address), once."""
    done = change(
        table,
        intro,
        "SET version = version + :one REMOVE due, due_at",
        "due = :due AND version = :version",
        {":due": {"S": "follow-up"}, ":version": {"N": str(number(intro, "version"))}},
    )
    changes = [done]
    if request is not None:
        changes.append(
            change(
                table,
                request,
                "SET outbox = :outbox, version = version + :one",
                "#status = :introduced AND introduction = :intro",
                {
                    ":outbox": {"S": "follow_up"},
                    ":introduced": {"S": "introduced"},
                    ":intro": {"S": item_id(intro)},
                },
            )
        )
    return changes


def answer_follow_up(table: str, request: Item, answer: str, now: float) -> Changes:
    """Record the requester's first answer; a first `yes` counts in the month's figures."""
    answer_change = change(
        table,
        request,
        "SET help_answer = :answer, help_answered_at = :at, version = version + :one",
        "attribute_not_exists(help_answer) AND #status = :introduced",
        {
            ":answer": {"S": answer},
            ":at": {"S": iso_utc(now)},
            ":introduced": {"S": "introduced"},
        },
    )
    changes = [answer_change]
    if answer == "yes":
        changes.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": stats_key(now)}},
                    "UpdateExpression": "ADD helped :one",
                    "ExpressionAttributeValues": {":one": ONE},
                }
            }
        )
    return changes


def _offer_counters(table: str, offer: Item | None, intro: Item, *, give_back: bool) -> Changes:
    if offer is None:
        return []
    update = "ADD open_introductions :minus"
    condition = "attribute_exists(pk)"
    values: Item = {":minus": MINUS_ONE}
    created = text(intro, "created_at")
    if give_back and created and text(offer, "load_month") == month(epoch(created)):
        update += ", load_count :minus"
        condition += " AND load_month = :month"
        values[":month"] = {"S": text(offer, "load_month")}
    return [change(table, offer, update, condition, values)]


def _request_change(
    table: str, request: Item, intro: Item, status: str, at: str, note: str | None
) -> Any:
    details = {"status": status} | ({"note": note} if note else {})
    update = (
        "SET #status = :to, version = version + :one,"
        " #history = list_append(if_not_exists(#history, :none), :entry)"
    )
    values: Item = {
        ":to": {"S": status},
        ":from": {"S": "introducing"},
        ":intro": {"S": item_id(intro)},
        ":none": {"L": []},
        ":entry": {"L": [history_entry(at, "status", **details)]},
    }
    if status == "introduced":
        update += ", introduced_at = :at"
        values[":at"] = {"S": at}
    return change(table, request, update, "#status = :from AND introduction = :intro", values)


def change(table: str, item: Item, update: str, condition: str, values: Item) -> Any:
    used = f"{update} {condition}"
    names = {name: name[1:] for name in ("#status", "#history") if name in used}
    return {
        "Update": {
            "TableName": table,
            "Key": {"pk": {"S": text(item, "pk")}},
            "UpdateExpression": update,
            "ConditionExpression": condition,
            **({"ExpressionAttributeNames": names} if names else {}),
            "ExpressionAttributeValues": ({":one": ONE} if ":one" in update else {}) | values,
        }
    }
