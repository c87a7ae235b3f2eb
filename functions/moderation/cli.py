"""Parse the moderators' commands, run them, and print what they found or did."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..shared.aws import build_client
from .errors import HelpRequestError, RequestNotFound
from .store import STATUSES, Moderation, StoredRequest

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

PREVIEW = 60


def parser() -> argparse.ArgumentParser:
    """The command line: a subcommand per task."""
    cli = argparse.ArgumentParser(
        prog="ask-admin",
        description="Read, answer and erase help requests. Uses your AWS credentials.",
    )
    cli.add_argument("--table", default=os.environ.get("TABLE_NAME"), help="default: $TABLE_NAME")
    cli.add_argument(
        "--endpoint",
        default=os.environ.get("DYNAMODB_ENDPOINT"),
        help="a local DynamoDB, e.g. http://127.0.0.1:8000 (default: $DYNAMODB_ENDPOINT)",
    )
    commands = cli.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="requests with a status, oldest first")
    listing.add_argument("--status", choices=STATUSES, default="new")
    listing.add_argument("--limit", type=int, default=None)
    show = commands.add_parser("show", help="one request in full")
    show.add_argument("id")
    mark = commands.add_parser("mark", help="set a request's status")
    mark.add_argument("id")
    mark.add_argument("status", choices=STATUSES)
    export = commands.add_parser("export", help="a person's requests as JSON (access request)")
    export.add_argument("contact", help="their e-mail address or phone number")
    export.add_argument("--output", type=Path, help="write to this file instead of the screen")
    erase = commands.add_parser("erase", help="delete requests for good (erasure request)")
    target = erase.add_mutually_exclusive_group(required=True)
    target.add_argument("id", nargs="?", help="one request")
    target.add_argument("--contact", help="every request sent with this contact")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return cli


def main(argv: Sequence[str] | None = None, *, client: DynamoDBClient | None = None) -> int:
    """Run one command; 0 when done, 1 when it could not be done."""
    args = parser().parse_args(argv)
    if not args.table:
        print("error: name the table with --table or TABLE_NAME", file=sys.stderr)
        return 1
    try:
        moderation = Moderation(client or _client(args.endpoint), args.table, now=time.time())
        return COMMANDS[args.command](moderation, args)
    except RequestNotFound as exc:
        print(f"error: no request with id {exc}", file=sys.stderr)
    except HelpRequestError as exc:
        print(f"error: {exc}", file=sys.stderr)
    return 1


def _client(endpoint: str | None) -> DynamoDBClient:
    # A scan for an erasure or an export reads the whole table: give each page time.
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return build_client(endpoint, region=region, connect_timeout=5, read_timeout=10)


def list_requests(moderation: Moderation, args: argparse.Namespace) -> int:
    found = moderation.by_status(args.status, limit=args.limit)
    for request in found:
        print(summary(request))
    print(f"{len(found)} {args.status} request{'' if len(found) == 1 else 's'}")
    return 0


def show_request(moderation: Moderation, args: argparse.Namespace) -> int:
    print(details(moderation.get(args.id)))
    return 0


def mark_request(moderation: Moderation, args: argparse.Namespace) -> int:
    moderation.set_status(args.id, args.status)
    print(f"marked {args.id} as {args.status}")
    return 0


def export_requests(moderation: Moderation, args: argparse.Namespace) -> int:
    found = moderation.by_contact(args.contact)
    document = {
        "contact": args.contact,
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moderation.now)),
        "requests": [request.record() for request in found],
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
    if args.id:
        found = [moderation.get(args.id, include_expired=True)]
    else:
        found = moderation.by_contact(args.contact, include_expired=True)
    if not found:
        print("nothing to erase")
        return 0
    for request in found:
        print(summary(request))
    if not args.yes and input(f"Erase {len(found)} request(s) for good? [y/N] ").lower() != "y":
        print("nothing erased")
        return 1
    count = moderation.erase(found)
    print(f"erased {count} request{'' if count == 1 else 's'}")
    return 0


COMMANDS = {
    "list": list_requests,
    "show": show_request,
    "mark": mark_request,
    "export": export_requests,
    "erase": erase_requests,
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
    """Every field, the message last and indented."""
    record = request.record()
    message = record.pop("message", "")
    lines = [f"{field}: {value}" for field, value in record.items()]
    lines += ["message:", *(f"  {line}" for line in message.splitlines())]
    return printable("\n".join(lines))
