"""The ASGI app behind `POST /api/help-requests` and `POST /api/helper-offers`, built by
`create_app`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Generic

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..shared.parsing import BodyKind, body_kind, parse_body
from ..shared.web import read_body
from . import logs, responses, web
from .config import Config
from .contract import FormContract, load_contract
from .errors import (
    HelpRequestError,
    MethodNotAllowed,
    NotFound,
    NotFromCloudFront,
    StorageUnavailable,
)
from .ratelimit import Limits, sender_hash
from .storage import RequestStore, Stored
from .validation import (
    UUID,
    FieldError,
    SubmissionT,
    clean_text,
    trap,
    validate,
    with_form_id,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Clock = Callable[[], float]
DEFAULT_LANGUAGE = "en"
OFFERS = "helper-offers"


def create_app(
    config: Config,
    client: DynamoDBClient | None = None,
    *,
    clock: Clock = time.time,
    contract: FormContract | None = None,
) -> HelpRequestsApp:
    """The app for `config`; without a client or contract, it builds one and reads openapi.yaml."""
    if client is None:
        from ..shared.aws import dynamodb_client

        client = dynamodb_client(config)
    store = RequestStore(
        client,
        config.table_name,
        limits=Limits(per_hour=config.rate_limit_per_hour, per_day=config.rate_limit_per_day),
        retention_days=config.retention_days,
        consent_version=config.consent_version,
        contact_hash_key=config.contact_hash_key,
    )
    return HelpRequestsApp(config, store, clock, contract or load_contract())


class HelpRequestsApp:
    """Validate a submission, store it once, and answer the browser or the script."""

    def __init__(
        self, config: Config, store: RequestStore, clock: Clock, contract: FormContract
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.contract = contract

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        log = logs.RequestLog(request_id=_request_id(scope), method=request.method)
        reply = responses.Reply(
            as_json=not web.wants_page(request.headers), language=DEFAULT_LANGUAGE
        )
        try:
            reply.origin = self._route(request, reply, log)
            response = await self._dispatch(request, reply, log)
        except HelpRequestError as exc:
            response = reply.refused(exc)
            log.outcome = responses.error_code(exc)[1]
            log.cause = str(exc) if isinstance(exc, StorageUnavailable) else None
        # The last line of defence: never a 500, never a trace.
        except Exception as exc:
            response = reply.refused(HelpRequestError())
            log.outcome, log.cause = "internal_error", _where(exc)
        response = responses.finish(response, request_id=log.request_id, origin=reply.origin)
        log.status = response.status_code
        await response(scope, receive, send)
        logs.write(log)

    def _route(self, request: Request, reply: responses.Reply, log: logs.RequestLog) -> str | None:
        """Check the sender, path and origin; return the origin allowed to read the answer."""
        secret = self.config.origin_verify_secret
        if secret is not None and not web.from_cloudfront(request.headers, secret):
            raise NotFromCloudFront()
        endpoint = web.endpoint(request.url.path)
        if endpoint is None:
            raise NotFound(request.url.path)
        if endpoint == OFFERS:
            reply.page, log.event = responses.OFFER_PAGE, "helper_offer"
        return web.checked_origin(request.headers, request.url.scheme, self.config.allowed_origins)

    async def _dispatch(
        self, request: Request, reply: responses.Reply, log: logs.RequestLog
    ) -> Response:
        if request.method == "OPTIONS":
            log.outcome = "preflight"
            return responses.preflight(reply.origin)
        if request.method != "POST":
            raise MethodNotAllowed(request.method)
        kind = body_kind(request.headers.get("content-type"))
        log.via = kind
        reply.as_json = reply.as_json or kind == "json"
        body = await read_body(request)
        if reply.page == responses.OFFER_PAGE:
            # Imported here: a help request's cold start does not pay for the offer form's code.
            from .offers import parse_offer_body, validate_offer

            offers = Form(validate_offer, self.store.offer)
            return await self._take(request, kind, parse_offer_body(kind, body), reply, log, offers)
        requests = Form(validate, self.store.submit)
        return await self._take(request, kind, parse_body(kind, body), reply, log, requests)

    async def _take(
        self,
        request: Request,
        kind: BodyKind,
        data: dict[str, object],
        reply: responses.Reply,
        log: logs.RequestLog,
        form: Form[SubmissionT],
    ) -> Response:
        """A form's submission: validated, then stored once."""
        now = self._read(request, kind, data, reply)
        bot = self._trap(data, now, log)
        if bot is not None:
            return reply.received(bot)
        result = form.validate(data, self.contract, default_id=None if kind == "json" else "")
        if isinstance(result, list):
            return _invalid(result, reply, log)
        sender = sender_hash(self.config.ip_hash_key, _sender_address(request))
        if not result.id:
            result = with_form_id(result, sender=sender, now=now)
        submit = partial(form.store, result, sender=sender, now=now)
        log.outcome = await _submit_in_scope(request.scope, submit)
        return reply.received(result.id, status=201 if log.outcome == "created" else 200)

    def _read(
        self, request: Request, kind: BodyKind, data: dict[str, object], reply: responses.Reply
    ) -> float:
        """Learn from the body how to answer; the time it arrived."""
        reply.as_json = kind == "json" or web.wants_json(request.headers)
        reply.language = _language(data, self.contract.languages)
        return self.clock()

    def _trap(self, data: dict[str, object], now: float, log: logs.RequestLog) -> str | None:
        """The id to answer a robot with, as if its submission were stored; None for a person."""
        bot = trap(data, now_ms=now * 1000, min_fill_seconds=self.config.min_fill_seconds)
        if bot is None:
            return None
        log.outcome = bot
        return _claimed_id(data)


@dataclass(frozen=True)
class Form(Generic[SubmissionT]):
    """How one form's submissions are validated and stored."""

    validate: Callable[..., SubmissionT | list[FieldError]]
    store: Callable[..., Stored]


def _invalid(errors: list[FieldError], reply: responses.Reply, log: logs.RequestLog) -> Response:
    log.outcome, log.errors = "invalid", [error.label() for error in errors]
    return reply.invalid(errors)


async def _submit_in_scope(scope: Scope, submit: Callable[[], Stored]) -> Stored:
    """Store the submission without blocking other requests, where there are any."""
    if "aws.event" in scope:
        # Lambda runs one event at a time; and a worker thread would not outlive Mangum's run
        # of the event loop, so every request would start a new one.
        return submit()
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(submit)


def _sender_address(request: Request) -> str | None:
    return web.sender_address(request.headers, request.client.host if request.client else None)


def _request_id(scope: Scope) -> str:
    context = scope.get("aws.context")
    request_id = getattr(context, "aws_request_id", None)
    return request_id if isinstance(request_id, str) else uuid.uuid4().hex


def _language(data: dict[str, object], languages: tuple[str, ...]) -> str:
    language = data.get("language")
    language = clean_text(language) if isinstance(language, str) else None
    return language if language in languages else DEFAULT_LANGUAGE


def _claimed_id(data: dict[str, object]) -> str:
    claimed = data.get("id")
    if isinstance(claimed, str) and UUID.match(claimed.strip().lower()):
        return claimed.strip().lower()
    return str(uuid.uuid4())


def _where(exc: Exception) -> str:
    """The exception's type and the line it came from; its message may quote personal data."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    place = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{place}"
