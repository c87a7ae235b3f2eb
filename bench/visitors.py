"""Simulated visitors who send the help-request form as its page script, `ask.js`, does.

Each submission has a fresh id, and every retry sends the same id and text (only `sent_at`,
the moment of the attempt, changes); retries back off exponentially with jitter, honour
`Retry-After`, and, on 409, send the text again under a new id. Unlike a person's page,
which tries until it is closed, a visitor here gives up after `ATTEMPTS` tries.

Every submission comes from a new visitor address in 198.18.0.0/15, the range RFC 2544
sets aside for benchmarks, given to the API in `CloudFront-Viewer-Address` as CloudFront
gives it in production: each simulated person meets the per-address rate limits alone.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx

from functions.help_requests.contract import FormContract

PATH = "/api/help-requests"
# As in templates/static/js/ask.js.
TRANSIENT = frozenset({429, 500, 502, 503, 504})
REQUEST_TIMEOUT = 15.0
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 600.0
LONGEST_RATE_LIMIT_WAIT = 60.0
# Where a visitor here stops: about a minute of backing off.
ATTEMPTS = 8
ADDRESSES = ipaddress.IPv4Network("198.18.0.0/15")
# How long the form was open before Send: well past the API's time trap for robots.
FILL_SECONDS = (30.0, 300.0)
NAMES = ("", "Alicja", "Jonas", "Maria", "Piotr", "Lea")
# Under the server's 5 s: a browser sends a request again when the idle connection it reused
# turns out closed by the server a moment before; httpx does not, so it must not reuse one.
KEEP_ALIVE = 4.0


@dataclass(frozen=True)
class Attempt:
    """One POST: when it was sent (monotonic seconds), how long it took, what came back."""

    sent: float
    seconds: float
    status: int | None  # None: no answer at all
    retry_after: str | None = None
    error: str | None = None
    request_id: str | None = None  # the API's X-Request-Id, as its log line names it


@dataclass
class Submission:
    """One person's request and everything that happened to it."""

    number: int
    contact: str
    message: str
    ids: list[str]
    started: float
    finished: float = 0.0
    outcome: str = ""  # "sent", "gave up", "rate limited", "conflict", "invalid", "failed"
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def accepted_id(self) -> str | None:
        """The id the API last said it holds the request under (201 or 200)."""
        return self.ids[-1] if self.outcome == "sent" else None


def retry_delay(attempt: int, response: httpx.Response | None) -> float:
    """Seconds to wait before attempt `attempt + 1`: `Retry-After`, else jittered back-off."""
    header = (response.headers.get("retry-after", "") if response is not None else "").strip()
    if header.isdigit():
        return min(float(header), MAX_RETRY_AFTER)
    ceiling = min(2.0 ** (attempt - 1), MAX_BACKOFF)
    return ceiling / 2 + random.random() * ceiling / 2


class Visitors:
    """Visitors who send the form to `origin` one after another, `clients` at a time."""

    def __init__(self, origin: str, contract: FormContract, *, clients: int) -> None:
        self.origin = origin
        self.contract = contract
        self.clients = clients
        self.submissions: list[Submission] = []
        self._numbers = itertools.count(1)
        self._addresses = _addresses()

    async def run(self, seconds: float) -> list[Submission]:
        """Send for `seconds`; then let every submission under way reach its end."""
        limits = httpx.Limits(
            max_connections=self.clients,
            max_keepalive_connections=self.clients,
            keepalive_expiry=KEEP_ALIVE,
        )
        async with httpx.AsyncClient(
            base_url=self.origin, timeout=REQUEST_TIMEOUT, limits=limits
        ) as client:
            until = time.monotonic() + seconds
            await asyncio.gather(*(self._visit(client, until) for _ in range(self.clients)))
        return self.submissions

    async def _visit(self, client: httpx.AsyncClient, until: float) -> None:
        while time.monotonic() < until:
            await self.submit(client, self.new_submission())

    def new_submission(self) -> Submission:
        """A person's request, its text unique to it so that copies of it can be told."""
        number = next(self._numbers)
        message = f"Submission {number}: I need advice on going back to work after a long break."
        submission = Submission(
            number=number,
            contact=f"visitor-{number}@example.org",
            message=message,
            ids=[str(uuid.uuid4())],
            started=time.monotonic(),
        )
        self.submissions.append(submission)
        return submission

    async def submit(self, client: httpx.AsyncClient, submission: Submission) -> None:
        """Deliver it as the page does: once more under a new id after a 409."""
        body = self._body(submission)
        headers = {
            "Accept": "application/json",
            "Origin": self.origin,
            "CloudFront-Viewer-Address": f"{next(self._addresses)}:{random.randint(1024, 65535)}",
        }
        outcome = await self._deliver(client, submission, body, headers)
        if outcome == "conflict":
            submission.ids.append(str(uuid.uuid4()))
            body["id"] = submission.ids[-1]
            outcome = await self._deliver(client, submission, body, headers)
        submission.outcome = outcome
        submission.finished = time.monotonic()

    def _body(self, submission: Submission) -> dict[str, object]:
        started_at = time.time() - random.uniform(*FILL_SECONDS)
        return {
            "id": submission.ids[0],
            "name": random.choice(NAMES),
            "contact": submission.contact,
            "topic": random.choice(self.contract.topics),
            "message": submission.message,
            "language": random.choice(self.contract.languages),
            "consent": True,
            "website": "",
            "started_at": int(started_at * 1000),
        }

    async def _deliver(
        self,
        client: httpx.AsyncClient,
        submission: Submission,
        body: dict[str, object],
        headers: dict[str, str],
    ) -> str:
        for attempt in range(1, ATTEMPTS + 1):
            response = await _post(client, submission, body, headers)
            status = None if response is None else response.status_code
            if status in (200, 201):
                return "sent"
            if status in (409, 422):
                return "conflict" if status == 409 else "invalid"
            if status is not None and status not in TRANSIENT:
                return "failed"
            wait = retry_delay(attempt, response)
            if status == 429 and wait > LONGEST_RATE_LIMIT_WAIT:
                return "rate limited"
            if attempt < ATTEMPTS:
                await asyncio.sleep(wait)
        return "gave up"


async def _post(
    client: httpx.AsyncClient,
    submission: Submission,
    body: dict[str, object],
    headers: dict[str, str],
) -> httpx.Response | None:
    """One attempt, recorded; None when no answer came."""
    sent = time.monotonic()
    try:
        response = await client.post(
            PATH, json=body | {"sent_at": int(time.time() * 1000)}, headers=headers
        )
    except httpx.TransportError as exc:
        submission.attempts.append(
            Attempt(sent, time.monotonic() - sent, None, error=type(exc).__name__)
        )
        return None
    submission.attempts.append(
        Attempt(
            sent,
            time.monotonic() - sent,
            response.status_code,
            retry_after=response.headers.get("retry-after"),
            request_id=response.headers.get("x-request-id"),
        )
    )
    return response


def _addresses() -> Iterator[ipaddress.IPv4Address]:
    """Visitor addresses, a new one each time, none of them a network or broadcast address."""
    return itertools.cycle(ADDRESSES.hosts())
