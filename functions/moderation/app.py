"""The ASGI app behind `/api/admin/*`, built by `create_app`: the moderators' inbox's API.

Every route is in `ROUTES`, each a small function from the store and the call to a response;
`openapi.yaml` is their contract."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..shared.table import iso_utc
from ..shared.web import read_body
from . import auth, export, helpers, logs, responses, validation
from .config import Config
from .errors import (
    HelperNotFound,
    HelpRequestError,
    MethodNotAllowed,
    NotFound,
    RequestNotFound,
    StorageUnavailable,
)
from .helpers import month_of
from .introductions import HelperDesk
from .records import encode_cursor
from .store import Moderation

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Clock = Callable[[], float]
# API Gateway's path (`/api/admin/...`, behind a stage name or not), or a mount's remainder.
PREFIX = re.compile(r"^(?:/[^/]+)?/api/admin(?=/)")


@dataclass(frozen=True)
class Call:
    """What a route works with: who calls, the request's id, the query and the JSON body."""

    moderator: auth.Moderator
    path_id: str | None
    query: Mapping[str, str]
    body: Mapping[str, Any]

    def request_id(self) -> str:
        """The path's request id; RequestNotFound when it cannot be one."""
        found = validation.request_id(self.path_id or "")
        if found is None:
            raise RequestNotFound(self.path_id or "")
        return found

    def helper_id(self) -> str:
        """The path's helper id; HelperNotFound when it cannot be one."""
        found = validation.request_id(self.path_id or "")
        if found is None:
            raise HelperNotFound(self.path_id or "")
        return found


Action = Callable[[Moderation, Call], Response]


def create_app(
    config: Config, client: DynamoDBClient | None = None, *, clock: Clock = time.time
) -> ModerationApp:
    """The app for `config`; without a client, it builds the Lambda's."""
    if client is None:
        from ..shared.aws import dynamodb_client

        client = dynamodb_client(config)
    store = Moderation(
        client,
        config.table_name,
        retention_days=config.retention_days,
        contact_hash_key=config.contact_hash_key,
        clock=clock,
    )
    return ModerationApp(store)


class ModerationApp:
    """Check the caller, route, run the route's action, answer; log one line without data."""

    def __init__(self, store: Moderation) -> None:
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        log = logs.RequestLog(request_id=_request_id(scope))
        try:
            # Before anything is read: a caller who is not a moderator learns nothing.
            moderator = auth.moderator(scope)
            name, action, path_id = route(request.method, scope["path"])
            log.route = name
            pairs = request.query_params.multi_items()
            query = validation.known_query(pairs, QUERIES.get(name, ()))
            body = await _json_body(request) if request.method == "POST" else {}
            call = Call(moderator, path_id, query, body)
            response = await _run(scope, action, self.store, call)
            log.outcome = "ok"
        except HelpRequestError as exc:
            response = responses.error_response(exc)
            log.outcome = responses.error_code(exc)[1]
            log.cause = str(exc) if isinstance(exc, StorageUnavailable) else None
        # The last line of defence: never a 500, never a trace.
        except Exception as exc:
            response = responses.error_response(StorageUnavailable())
            log.outcome, log.cause = "internal_error", _where(exc)
        response = responses.finish(response, request_id=log.request_id)
        log.status = response.status_code
        await response(scope, receive, send)
        logs.write(log)


async def _run(scope: Scope, action: Action, store: Moderation, call: Call) -> Response:
    """Run the action, off the event loop where other requests may wait on it."""
    if "aws.context" in scope:
        # Lambda runs one event at a time, and a worker thread would not outlive Mangum's run.
        return action(store, call)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(action, store, call)


def list_requests(store: Moderation, call: Call) -> Response:
    listing, cursor = validation.listing(call.query)
    page = store.page(listing, validation.start_key(cursor, listing.status))
    requests = [request.record() for request in page.requests]
    return responses.json_data({"requests": requests, "cursor": encode_cursor(page.next_key)})


def summary(store: Moderation, call: Call) -> Response:
    found = store.summary()
    oldest = found.oldest_waiting_since
    return responses.json_data({"waiting": found.waiting, "oldest_waiting_since": oldest})


def get_request(store: Moderation, call: Call) -> Response:
    return responses.json_data(store.get(call.request_id()).record())


def assign_request(store: Moderation, call: Call) -> Response:
    version = validation.versioned(call.body)
    name = call.moderator.name
    changed = store.assign(call.request_id(), version=version, moderator=name)
    return responses.json_data(changed.record())


def set_status(store: Moderation, call: Call) -> Response:
    change = validation.status_change(call.body)
    changed = store.set_status(
        call.request_id(),
        change.status,
        version=change.version,
        moderator=call.moderator.name,
        note=change.note,
    )
    return responses.json_data(changed.record())


def erase_request(store: Moderation, call: Call) -> Response:
    validation.confirmed(call.body)
    # Erasure is thorough: a request past its retention that TTL has not deleted goes too.
    found = store.get(call.request_id(), include_expired=True)
    HelperDesk(store).release([found])
    erased = store.erase([found], moderator=call.moderator.name, scope="request")
    return responses.json_data({"erased": erased})


def export_requests(store: Moderation, call: Call) -> Response:
    kind = validation.export_format(call.query)
    listing, _ = validation.listing(call.query, paged=False)
    found = store.export(listing)
    name = export.filename(listing.status, iso_utc(store.clock())[:10], kind)
    if kind == "csv":
        return responses.download(export.as_csv(found), "text/csv; charset=utf-8", name)
    return responses.download(export.as_json(found), "application/json", name)


def access_contact(store: Moderation, call: Call) -> Response:
    contact = validation.contact(call.body)
    found = store.by_contact(contact)
    offers = HelperDesk(store).offers_by_contact(store.hash_of(contact), include_expired=False)
    month = month_of(store.clock())
    return responses.json_data(
        {
            "contact": contact,
            "exported_at": iso_utc(store.clock()),
            "requests": [request.record() for request in found],
            "offers": [offer.record(month) for offer in offers],
        }
    )


def erase_contact(store: Moderation, call: Call) -> Response:
    contact = validation.contact_erasure(call.body)
    found = store.by_contact(contact, include_expired=True)
    desk = HelperDesk(store)
    offers = desk.offers_by_contact(store.hash_of(contact), include_expired=True)
    # Their pending introductions first: once the offer is gone, no one would answer them.
    withdrawn = desk.hand_back(offers, moderator=call.moderator.name) + desk.release(found)
    erased = store.erase([*found, *offers], moderator=call.moderator.name, scope="contact")
    return responses.json_data({"erased": erased, "withdrawn": withdrawn})


def suggest_helpers(store: Moderation, call: Call) -> Response:
    found = HelperDesk(store).suggestions(call.request_id())
    month = month_of(store.clock())
    return responses.json_data({"helpers": [offer.suggestion(month) for offer in found]})


def list_introductions(store: Moderation, call: Call) -> Response:
    found = HelperDesk(store).of_request(call.request_id())
    return responses.json_data({"introductions": found})


def introduce_helper(store: Moderation, call: Call) -> Response:
    wanted = validation.introduction(call.body)
    request_id = call.request_id()
    made = HelperDesk(store).introduce(request_id, wanted, moderator=call.moderator.name)
    request = store.get(request_id).record()
    return responses.json_data({"introduction": made, "request": request}, status=201)


def get_helper(store: Moderation, call: Call) -> Response:
    found = HelperDesk(store).helper(call.helper_id())
    introductions = [helpers.introduction_record(item) for item in found.introductions]
    return responses.json_data(
        {
            "helper": found.offer.record(month_of(store.clock())),
            "open": [intro for intro in introductions if intro.get("status") == "pending"],
            "past": [intro for intro in introductions if intro.get("status") != "pending"],
        }
    )


def month_figures(store: Moderation, call: Call) -> Response:
    return responses.json_data({"months": HelperDesk(store).figures()})


ROUTES: dict[str, Action] = {
    "GET /requests": list_requests,
    "GET /summary": summary,
    "GET /requests/{id}": get_request,
    "POST /requests/{id}/assign": assign_request,
    "POST /requests/{id}/status": set_status,
    "POST /requests/{id}/erase": erase_request,
    "GET /export": export_requests,
    "POST /contacts/access": access_contact,
    "POST /contacts/erase": erase_contact,
    "GET /requests/{id}/suggestions": suggest_helpers,
    "GET /requests/{id}/introductions": list_introductions,
    "POST /requests/{id}/introductions": introduce_helper,
    "GET /helpers/{id}": get_helper,
    "GET /figures": month_figures,
}
# The query parameters each route reads; any other is refused, so a typo is never ignored.
QUERIES = {
    "GET /requests": ("status", "topic", "language", "limit", "cursor"),
    "GET /export": ("format", "status", "topic", "language"),
}
PATTERNS = {
    name: re.compile("^" + name.split(" ")[1].replace("{id}", "(?P<id>[^/]+)") + "$")
    for name in ROUTES
}


def route(method: str, path: str) -> tuple[str, Action, str | None]:
    """The route's name, its action and the path's id; NotFound or MethodNotAllowed."""
    path = PREFIX.sub("", path, count=1)
    matches = {name: match for name, pattern in PATTERNS.items() if (match := pattern.match(path))}
    for name, match in matches.items():
        if name.split(" ")[0] == method:
            return name, ROUTES[name], match.groupdict().get("id")
    if matches:
        raise MethodNotAllowed(tuple(name.split(" ")[0] for name in matches))
    raise NotFound()


async def _json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object, read no further than the limit."""
    return validation.json_object(request.headers.get("content-type"), await read_body(request))


def _request_id(scope: Scope) -> str:
    context = scope.get("aws.context")
    request_id = getattr(context, "aws_request_id", None)
    return request_id if isinstance(request_id, str) else uuid.uuid4().hex


def _where(exc: Exception) -> str:
    """The exception's type and the line it came from; its message may quote personal data."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    place = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{place}"
