"""Parse the moderators' commands, run them, and print what they found or did."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..shared.aws import build_client
from ..shared.settings import MIN_KEY_LENGTH
from ..shared.table import iso_utc
from .config import DEFAULT_RETENTION_DAYS
from .errors import (
    ConfigError,
    HelperNotFound,
    HelpRequestError,
    IntroductionRefused,
    RequestNotFound,
)
from .helpers import StoredOffer, introduction_record, month_of
from .introductions import HelperDesk, Introduction
from .records import SETTABLE_STATUSES, STATUSES, StoredRequest, VersionConflict
from .store import ErasureScope, Listing, Moderation

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

PREVIEW = 60
REFUSED = {
    "helper_not_found": "no such helper (or their offer is erased)",
    "helper_not_confirmed": "the helper has not confirmed their offer yet",
    "helper_paused": "the helper has paused their offer",
    "helper_language": "the helper does not speak the request's language",
    "helper_topic": "the helper does not offer the request's topic",
    "helper_no_room": "the helper has no room left this month",
    "request_not_open": "the request is not new or in progress",
}
EPILOG = """\
environment: TABLE_NAME, DYNAMODB_ENDPOINT, AWS_REGION, RETENTION_DAYS (default 180; the
stack's RetentionDays) and CONTACT_HASH_KEY. Finding a person's requests (export, erase
--contact) needs the key their contact was hashed with: set CONTACT_HASH_KEY to the value of
the stack's contact-hash secret, or pass --contact-hash-key-secret with the secret's ARN to
read it from Secrets Manager with your AWS credentials. Requests are found through the
table's indexes only; nothing scans the table."""


def parser() -> argparse.ArgumentParser:
    """The command line: a subcommand per task."""
    cli = argparse.ArgumentParser(
        prog="ask-admin",
        description="Read, answer and erase help requests. Uses your AWS credentials.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    env = os.environ
    cli.add_argument("--table", default=env.get("TABLE_NAME"), help="default: $TABLE_NAME")
    cli.add_argument(
        "--endpoint",
        default=env.get("DYNAMODB_ENDPOINT"),
        help="a local DynamoDB, e.g. http://127.0.0.1:8000 (default: $DYNAMODB_ENDPOINT)",
    )
    cli.add_argument(
        "--contact-hash-key-secret",
        metavar="ARN",
        help="read the contact-hash key from this Secrets Manager secret "
        "(default: the key in $CONTACT_HASH_KEY)",
    )
    cli.add_argument(
        "--retention-days",
        type=int,
        metavar="DAYS",
        # A string default goes through `type` too: a bad $RETENTION_DAYS is a usage error.
        default=env.get("RETENTION_DAYS") or str(DEFAULT_RETENTION_DAYS),
        help="a status change keeps the request this long from now (default: $RETENTION_DAYS "
        f"or {DEFAULT_RETENTION_DAYS})",
    )
    cli.add_argument(
        "--by",
        metavar="NAME",
        default=env.get("USER") or env.get("LOGNAME") or "ask-admin",
        help="your name in the request's history and erasure log (default: your login name)",
    )
    add_commands(cli.add_subparsers(dest="command", required=True))
    return cli


def add_commands(commands: Any) -> None:
    """The subcommands, one per task."""
    listing = commands.add_parser("list", help="requests with a status, oldest first")
    listing.add_argument("--status", choices=STATUSES, default="new")
    listing.add_argument("--topic")
    listing.add_argument("--language")
    listing.add_argument("--limit", type=int, default=None, help="at most this many")
    show = commands.add_parser("show", help="one request in full, with its history")
    show.add_argument("id")
    mark = commands.add_parser("mark", help="set a request's status")
    mark.add_argument("id")
    mark.add_argument("status", choices=SETTABLE_STATUSES)
    mark.add_argument("--note", help="a note for the history (at most 2000 characters)")
    export = commands.add_parser("export", help="a person's requests as JSON (access request)")
    export.add_argument("contact", help="their e-mail address or phone number")
    export.add_argument("--output", type=Path, help="write to this file instead of the screen")
    erase = commands.add_parser("erase", help="delete requests for good (erasure request)")
    target = erase.add_mutually_exclusive_group(required=True)
    target.add_argument("id", nargs="?", help="one request")
    target.add_argument("--contact", help="every request sent with this contact")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_helper_commands(commands)


def add_helper_commands(commands: Any) -> None:
    """The subcommands about helpers: suggestions, introductions, records, figures."""
    suggest = commands.add_parser("suggest", help="helpers who could be introduced to a request")
    suggest.add_argument("id")
    introduce = commands.add_parser("introduce", help="introduce a helper to a request")
    introduce.add_argument("id", help="the request")
    introduce.add_argument("helper", help="the helper's id, from `suggest`")
    introduce.add_argument("--note", help="a personal line for the helper (at most 500 characters)")
    helper = commands.add_parser("helper", help="a helper's record and introductions")
    helper.add_argument("helper")
    commands.add_parser("figures", help="the last twelve months' figures")


def main(argv: Sequence[str] | None = None, *, client: DynamoDBClient | None = None) -> int:
    """Run one command; 0 when done, 1 when it could not be done."""
    args = parser().parse_args(argv)
    if not args.table:
        print("error: name the table with --table or TABLE_NAME", file=sys.stderr)
        return 1
    if args.retention_days < 1:
        # A status change would end the request's retention at once: it would vanish.
        print("error: --retention-days (RETENTION_DAYS) must be at least 1", file=sys.stderr)
        return 1
    try:
        moderation = Moderation(
            client or _client(args.endpoint),
            args.table,
            retention_days=args.retention_days,
            contact_hash_key=contact_hash_key(args) if _finds_contacts(args) else None,
        )
        return COMMANDS[args.command](moderation, args)
    except RequestNotFound as exc:
        print(f"error: no request with id {exc}", file=sys.stderr)
    except HelperNotFound as exc:
        print(f"error: no helper with id {exc}", file=sys.stderr)
    except VersionConflict:
        print(f"error: {args.id} was changed meanwhile; try again", file=sys.stderr)
    except IntroductionRefused as exc:
        print(f"error: {REFUSED.get(exc.code, exc.code)}", file=sys.stderr)
    except HelpRequestError as exc:
        print(f"error: {exc}", file=sys.stderr)
    return 1


def _client(endpoint: str | None) -> DynamoDBClient:
    # Exports and erasures read every page of an index: give each page time.
    return build_client(endpoint, region=_region(), connect_timeout=5, read_timeout=10)


def _region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def _finds_contacts(args: argparse.Namespace) -> bool:
    return args.command == "export" or (args.command == "erase" and args.contact is not None)


def contact_hash_key(args: argparse.Namespace) -> bytes:
    """The contact-hash key, from Secrets Manager or from $CONTACT_HASH_KEY."""
    if args.contact_hash_key_secret:
        key = _secret_string(args.contact_hash_key_secret)
    else:
        key = os.environ.get("CONTACT_HASH_KEY", "").strip()
    if not key:
        raise ConfigError(
            "CONTACT_HASH_KEY: missing; set it, or pass --contact-hash-key-secret <arn>"
        )
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"CONTACT_HASH_KEY: must be a secret of at least {MIN_KEY_LENGTH} characters"
        )
    return key.encode()


def _secret_string(secret_id: str) -> str:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client: Any = boto3.client("secretsmanager", region_name=_region())
    try:
        return str(client.get_secret_value(SecretId=secret_id)["SecretString"]).strip()
    except (BotoCoreError, ClientError) as exc:
        raise ConfigError(f"--contact-hash-key-secret: cannot read it ({exc})") from exc


def list_requests(moderation: Moderation, args: argparse.Namespace) -> int:
    listing = Listing(status=args.status, topic=args.topic, language=args.language)
    if args.limit is None:
        found = moderation.export(listing)
    else:
        found = moderation.page(replace(listing, limit=args.limit)).requests
    for request in found:
        print(summary(request))
    print(f"{len(found)} {args.status} request{'' if len(found) == 1 else 's'}")
    return 0


def show_request(moderation: Moderation, args: argparse.Namespace) -> int:
    print(details(moderation.get(args.id)))
    return 0


def mark_request(moderation: Moderation, args: argparse.Namespace) -> int:
    if args.note is not None and len(args.note) > 2000:
        print("error: the note is longer than 2000 characters", file=sys.stderr)
        return 1
    current = moderation.get(args.id)
    moderation.set_status(
        args.id, args.status, version=current.version, moderator=args.by, note=args.note
    )
    print(f"marked {args.id} as {args.status}")
    return 0


def export_requests(moderation: Moderation, args: argparse.Namespace) -> int:
    found = moderation.by_contact(args.contact)
    hashed = moderation.hash_of(args.contact)
    offers = HelperDesk(moderation).offers_by_contact(hashed, include_expired=False)
    month = month_of(time.time())
    document = {
        "contact": args.contact,
        "exported_at": iso_utc(time.time()),
        "requests": [request.record() for request in found],
        "offers": [offer.record(month) for offer in offers],
    }
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    print(f"wrote {len(found)} request{'' if len(found) == 1 else 's'} to {args.output}")
    return 0


def erase_requests(moderation: Moderation, args: argparse.Namespace) -> int:
    # Erasure is thorough: requests past their retention go too, not only what reads show.
    desk = HelperDesk(moderation)
    offers: list[StoredOffer] = []
    if args.id:
        found = [moderation.get(args.id, include_expired=True)]
    else:
        found = moderation.by_contact(args.contact, include_expired=True)
        offers = desk.offers_by_contact(moderation.hash_of(args.contact), include_expired=True)
    for request in found:
        print(summary(request))
    for offer in offers:
        print(printable(f"offer {offer.id}  {offer.get('created_at')}  {offer.get('name')}"))
    question = f"Erase {len(found)} request(s) and {len(offers)} offer(s) for good? [y/N] "
    if (found or offers) and not args.yes and input(question).lower() != "y":
        print("nothing erased")
        return 1
    withdrawn = desk.hand_back(offers, moderator=args.by) + desk.release(found)
    scope: ErasureScope = "request" if args.id else "contact"
    count = moderation.erase([*found, *offers], moderator=args.by, scope=scope)
    noun = "item" if offers else "request"  # items: requests and offers
    print(f"erased {count} {noun}{'' if count == 1 else 's'}" if count else "nothing to erase")
    if withdrawn:
        print(f"withdrew {withdrawn} pending introduction(s); their requests are new again")
    return 0


def suggest_helpers(moderation: Moderation, args: argparse.Namespace) -> int:
    found = HelperDesk(moderation).suggestions(args.id)
    month = month_of(time.time())
    for offer in found:
        print(helper_line(offer.suggestion(month)))
    print(f"{len(found)} helper{'' if len(found) == 1 else 's'} to suggest")
    return 0


def introduce_helper(moderation: Moderation, args: argparse.Namespace) -> int:
    note = (args.note or "").strip() or None
    if note is not None and len(note) > 500:
        print("error: the note is longer than 500 characters", file=sys.stderr)
        return 1
    current = moderation.get(args.id)
    wanted = Introduction(args.helper.strip().lower(), current.version, note)
    made = HelperDesk(moderation).introduce(args.id, wanted, moderator=args.by)
    print(f"introduced helper {made['helper_id']} to {args.id} (introduction {made['id']})")
    return 0


def show_helper(moderation: Moderation, args: argparse.Namespace) -> int:
    found = HelperDesk(moderation).helper(args.helper)
    record = found.offer.record(month_of(time.time()))
    lines = [f"{field}: {_value(value)}" for field, value in record.items()]
    lines.append("introductions:")
    for item in found.introductions:
        intro = introduction_record(item)
        lines.append(f"  {intro['created_at']} {intro['status']} request {intro['request_id']}")
    print(printable("\n".join(lines)))
    return 0


def show_figures(moderation: Moderation, args: argparse.Namespace) -> int:
    print("month    received  introduced  helped  median wait (days)")
    for month in HelperDesk(moderation).figures():
        wait = month["median_wait"]
        days = "-" if wait is None else f"{wait / 86400:.1f}"
        print(
            f"{month['month']}  {month['received']:>8}  {month['introduced']:>10}"
            f"  {month['helped']:>6}  {days:>18}"
        )
    return 0


COMMANDS = {
    "list": list_requests,
    "show": show_request,
    "mark": mark_request,
    "export": export_requests,
    "erase": erase_requests,
    "suggest": suggest_helpers,
    "introduce": introduce_helper,
    "helper": show_helper,
    "figures": show_figures,
}


def printable(text: str) -> str:
    """Text safe to print to a terminal: control and direction characters shown as escapes."""
    return "".join(
        f"\\u{ord(ch):04x}"
        if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t\u200d"
        else ch
        for ch in text
    )


def summary(request: StoredRequest) -> str:
    """One line: when, id, status, topic, language, who, how to reach them, the message's start."""
    message = " ".join(request.get("message").split())
    preview = message if len(message) <= PREVIEW else message[: PREVIEW - 1] + "…"
    who = request.get("name") or "(anonymous)"
    fields = (
        request.get("created_at"),
        request.get("id"),
        request.get("status"),
        request.get("topic"),
        request.get("language"),
        who,
        request.get("contact"),
        preview,
    )
    return printable("  ".join(fields))


def details(request: StoredRequest) -> str:
    """Every field, then the history, then the message, indented."""
    record = request.record()
    message = record.pop("message", "")
    history = record.pop("history")
    lines = [f"{field}: {value}" for field, value in record.items()]
    lines += ["history:", *(f"  {_history_line(entry)}" for entry in history)]
    lines += ["message:", *(f"  {line}" for line in message.splitlines())]
    return printable("\n".join(lines))


def helper_line(suggestion: dict[str, Any]) -> str:
    """One line: id, name, room, open introductions, topics, languages, ways, region."""
    fields = (
        suggestion["id"],
        suggestion["name"],
        f"room {suggestion['room']}",
        f"open {suggestion['open_introductions']}",
        ",".join(suggestion["topics"]),
        ",".join(suggestion["languages"]),
        ",".join(suggestion["ways"]),
        suggestion.get("region", ""),
    )
    return printable("  ".join(fields))


def _value(value: object) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


def _history_line(entry: dict[str, str]) -> str:
    line = f"{entry['at']} {entry['by']}: {entry['action']}"
    line += f" {entry['status']}" if "status" in entry else ""
    return line + (f" ({' '.join(entry['note'].split())})" if "note" in entry else "")
