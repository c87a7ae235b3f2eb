"""The helpers' function in `build.py serve`: the table's stream records it would get (through
the template's filter for `HelpersFunction`, or the design's own when the template has none),
the links' pages, and the daily schedule on demand.

`POST /_dev/schedule?days=N` runs the schedule as if N days had passed, so a journey of two
weeks can be walked in a minute. It is served, never built into the site."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from functions.helpers.config import Config
from functions.helpers.errors import ConfigError
from functions.helpers.outbox import consume
from functions.helpers.runtime import Runtime
from functions.helpers.schedule import run_schedule
from functions.shared.table import DAY_SECONDS, OFFER_PREFIX
from sitegen.errors import ServeError
from sitegen.serve.notifications import passes, write_lines

FUNCTION_ID = "HelpersFunction"
SCHEDULE_PATH = "/_dev/schedule"
LINKS_PATH = "/api/links/"
MAX_DAYS = 400
# The design's filter (a new offer, or any image that carries `outbox`), as Lambda's filter
# criteria patterns; the template's own is used as soon as it has one.
OUTBOX_FILTERS: list[dict[str, Any]] = [
    {"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": OFFER_PREFIX}]}}}},
    {"dynamodb": {"NewImage": {"outbox": {"S": [{"exists": True}]}}}},
]


def outbox_filters(template: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The filter patterns of the helpers' function's stream event, or the design's."""
    function = template.get("Resources", {}).get(FUNCTION_ID)
    if function is None:
        return OUTBOX_FILTERS
    events = function.get("Properties", {}).get("Events", {})
    found = [
        json.loads(entry["Pattern"])
        for event in events.values()
        if event.get("Type") == "DynamoDB"
        for entry in event["Properties"].get("FilterCriteria", {}).get("Filters", [])
    ]
    return found or OUTBOX_FILTERS


def schedule_days(query: Mapping[str, str]) -> int | None:
    """The whole number of days `?days=` asks for, 0 to 400; None when it is anything else."""
    raw = query.get("days", "0")
    if not raw.isdigit() or len(raw) > 3 or int(raw) > MAX_DAYS:
        return None
    return int(raw)


def with_schedule(app: ASGIApp, runtime: Runtime) -> ASGIApp:
    """Serve `POST /_dev/schedule?days=N` in front of `app`."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != SCHEDULE_PATH:
            await app(scope, receive, send)
            return
        response = await _schedule(Request(scope, receive), runtime)
        await response(scope, receive, send)

    return serve


async def _schedule(request: Request, runtime: Runtime) -> Response:
    from starlette.concurrency import run_in_threadpool

    if request.method != "POST":
        return JSONResponse({"error": "POST to run the schedule"}, 405, {"Allow": "POST"})
    days = schedule_days(request.query_params)
    if days is None:
        return JSONResponse({"error": f"days: a whole number from 0 to {MAX_DAYS}"}, 400)
    now = runtime.now() + days * DAY_SECONDS
    run = await run_in_threadpool(run_schedule, runtime, now)
    return JSONResponse({"days": days, **run.__dict__})


def passing(filters: Sequence[Mapping[str, Any]], records: list[dict[str, Any]]) -> list[Any]:
    """The records Lambda would hand the helpers' function."""
    return [record for record in records if passes(filters, record)]


def helpers_runtime(environment: Mapping[str, str], origin: str, moto: Any) -> Runtime:
    """The helpers' function for this run: the API's table, SES and the link key on moto."""
    from sitegen.serve.dynamodb_local import local_client

    try:
        config = Config.from_env({**environment, "SITE_URL": origin})
    except ConfigError as exc:
        raise ServeError(f"the helpers' function's settings are wrong: {exc}") from exc
    return Runtime(
        config,
        dynamodb=local_client(environment["DYNAMODB_ENDPOINT"]),
        ses=moto.client("sesv2"),
        secrets=moto.client("secretsmanager"),
    )


def with_links(app: ASGIApp, links: ASGIApp) -> ASGIApp:
    """Send `/api/links/...` to the links' pages, the rest to `app`."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        target = links if scope["type"] == "http" and path.startswith(LINKS_PATH) else app
        await target(scope, receive, send)

    return serve


class OutboxConsumer:
    """Hands the stream's records to the outbox as Lambda would: through the function's filter,
    a failed batch again from its failed record at the next poll."""

    def __init__(
        self, runtime: Runtime, filters: Sequence[Mapping[str, Any]], out: TextIO | None = None
    ) -> None:
        self.runtime = runtime
        self.filters = filters
        self.out = out
        self.pending: list[dict[str, Any]] = []

    def __call__(self, records: list[dict[str, Any]]) -> None:
        """Send the mail of the records that pass, and of those still pending."""
        batch = self.pending + passing(self.filters, records)
        if not batch:
            return
        try:
            outcome = consume(batch, self.runtime)
        # A bug must not end the stream's thread (and with it the moderators' notifications):
        # say so, and pass the batch over as Lambda would after its last retry.
        except Exception as error:
            self.pending = []
            write_lines(self.out, [f"mail: the outbox failed: {type(error).__name__}"])
            return
        self.pending = []
        if outcome.retry_from is not None:
            numbers = [record["dynamodb"]["SequenceNumber"] for record in batch]
            self.pending = batch[numbers.index(outcome.retry_from) :]
        if outcome.sent or outcome.capped or outcome.retry_from or outcome.malformed:
            write_lines(self.out, [f"mail: {outcome.log_line()}"])
