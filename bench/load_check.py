"""What the table holds against what the visitors were told; pure functions, no I/O."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bench.visitors import Attempt, Submission

TROUBLES_SHOWN = 10
# A submission answered this shortly before a fault still counts under it: its write may be.
LEAD = 0.5


@dataclass(frozen=True)
class Stored:
    """A request item as the table holds it."""

    id: str
    contact: str
    message: str


@dataclass(frozen=True)
class Window:
    """A fault and when it lasted (monotonic seconds)."""

    name: str
    start: float
    end: float

    def overlaps(self, submission: Submission) -> bool:
        """Whether the submission was under way during the fault or just before it."""
        return submission.started <= self.end and submission.finished >= self.start - LEAD


@dataclass(frozen=True)
class Tally:
    """What happened to one group of submissions."""

    submissions: int
    accepted: int
    lost: int
    duplicated: int
    gave_up: int
    refused: int
    unexpected_5xx: int

    @property
    def not_accepted(self) -> int:
        """Submissions that were never accepted, however they ended."""
        return self.submissions - self.accepted


@dataclass(frozen=True)
class Check:
    """The whole run: every tally, the stored items nobody sent, and the figures."""

    total: Tally
    per_fault: list[tuple[Window, Tally]]
    unsent: int
    statuses: Counter[str]
    latencies: list[float]
    to_accepted: list[float]
    began: float
    ended: float
    # What the proxy did to connections: "cut", "refused", ...
    proxy: dict[str, int]
    # Submissions that missed a goal, or met no answer at all, to show what happened to them.
    troubled: list[tuple[str, Submission]]
    # Attempts that got no HTTP answer (a reset, a timeout).
    unanswered: int = 0

    @property
    def seconds(self) -> float:
        """From the first request to the last answer."""
        return self.ended - self.began

    @property
    def requests(self) -> int:
        """Every POST the visitors made."""
        return sum(self.statuses.values())

    def goals(self) -> list[tuple[str, int]]:
        """Each goal, all of them zero, with the figure found."""
        return [
            ("accepted but not stored (lost)", self.total.lost),
            ("stored more than once (duplicated)", self.total.duplicated),
            ("stored but sent by no visitor", self.unsent),
            ("5xx other than 503 with Retry-After", self.total.unexpected_5xx),
            # A run where the server stops answering, or refuses good forms, is no pass either.
            ("not accepted in the end (gave up or refused)", self.total.not_accepted),
            ("requests that met no answer at all", self.unanswered),
        ]

    @property
    def passed(self) -> bool:
        """Whether every goal is met."""
        return all(figure == 0 for _, figure in self.goals())


def check(
    submissions: Sequence[Submission],
    stored: Iterable[Stored],
    windows: Sequence[Window],
    *,
    began: float,
    ended: float,
    proxy: dict[str, int],
) -> Check:
    """Count what happened, in all and per fault."""
    items = list(stored)
    by_contact = Counter(item.contact for item in items)
    by_id = {item.id: item for item in items}
    attempts = [attempt for submission in submissions for attempt in submission.attempts]
    accepted = [s for s in submissions if s.outcome == "sent"]
    return Check(
        total=tally(submissions, by_id, by_contact),
        per_fault=[
            (window, tally([s for s in submissions if window.overlaps(s)], by_id, by_contact))
            for window in windows
        ],
        unsent=len(unsent(submissions, items)),
        statuses=Counter(status_name(attempt) for attempt in attempts),
        latencies=[attempt.seconds for attempt in attempts if attempt.status is not None],
        to_accepted=[s.finished - s.started for s in accepted],
        began=began,
        ended=ended,
        proxy=proxy,
        troubled=troubled(submissions, by_id, by_contact),
        unanswered=sum(1 for attempt in attempts if attempt.status is None),
    )


def tally(
    submissions: Sequence[Submission], by_id: dict[str, Stored], by_contact: Counter[str]
) -> Tally:
    """The counts of one group of submissions against the table."""
    accepted = [s for s in submissions if s.accepted_id is not None]
    return Tally(
        submissions=len(submissions),
        accepted=len(accepted),
        lost=sum(1 for s in accepted if not _holds(by_id.get(s.accepted_id or ""), s)),
        duplicated=sum(1 for s in submissions if by_contact[s.contact] > 1),
        gave_up=sum(1 for s in submissions if s.outcome == "gave up"),
        refused=sum(1 for s in submissions if s.outcome not in ("sent", "gave up")),
        unexpected_5xx=sum(1 for s in submissions for a in s.attempts if unexpected_5xx(a)),
    )


def troubled(
    submissions: Sequence[Submission], by_id: dict[str, Stored], by_contact: Counter[str]
) -> list[tuple[str, Submission]]:
    """Each submission lost, duplicated, answered with a bad 5xx or not answered, and why."""
    found = []
    for s in submissions:
        if s.accepted_id is not None and not _holds(by_id.get(s.accepted_id), s):
            found.append(("lost", s))
        elif by_contact[s.contact] > 1:
            found.append((f"stored {by_contact[s.contact]} times", s))
        elif any(unexpected_5xx(a) or a.status is None for a in s.attempts):
            found.append(("bad 5xx or no answer", s))
        elif s.accepted_id is None:
            found.append(("not accepted", s))
    return found


def unsent(submissions: Sequence[Submission], items: Sequence[Stored]) -> list[Stored]:
    """Stored requests no visitor sent: an unknown id, or a known id with other text."""
    sent = {request_id: s for s in submissions for request_id in s.ids}
    return [item for item in items if not _holds(item, sent.get(item.id))]


def _holds(item: Stored | None, submission: Submission | None) -> bool:
    if item is None or submission is None:
        return False
    return (item.contact, item.message) == (submission.contact, submission.message)


def unexpected_5xx(attempt: Attempt) -> bool:
    """A server error other than the one the API promises: 503 that says when to retry."""
    if attempt.status is None or attempt.status < 500:
        return False
    return not (attempt.status == 503 and (attempt.retry_after or "").strip().isdigit())


def status_name(attempt: Attempt) -> str:
    """`201`, `503`, `503 without Retry-After`, or `no answer (ReadTimeout)`."""
    if attempt.status is None:
        return f"no answer ({attempt.error})"
    if attempt.status == 503 and unexpected_5xx(attempt):
        return "503 without Retry-After"
    return str(attempt.status)


def percentile(values: Sequence[float], share: int) -> float:
    """The `share`th percentile (1-99), or 0 when there are no values."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1]


def report(result: Check) -> list[str]:
    """The figures, the table per fault, and each goal with PASS or MISS."""
    total = result.total
    rate = result.requests / result.seconds if result.seconds else 0.0
    lines = [
        f"requests: {result.requests} in {result.seconds:.1f} s = {rate:.1f}/s; "
        f"submissions: {total.submissions}, accepted {total.accepted} "
        f"({total.accepted / result.seconds:.1f}/s)",
        f"latency per request: p50 {_ms(percentile(result.latencies, 50))}, "
        f"p99 {_ms(percentile(result.latencies, 99))}; send to accepted, retries included: "
        f"p50 {_ms(percentile(result.to_accepted, 50))}, "
        f"p99 {_ms(percentile(result.to_accepted, 99))}",
        "statuses: " + ", ".join(f"{name} {n}" for name, n in sorted(result.statuses.items())),
        "proxy: " + ", ".join(f"{name} {n}" for name, n in sorted(result.proxy.items())),
        "",
        f"{'under':<24}{'window':>14}{'sent':>7}{'accepted':>10}{'lost':>6}{'dup':>5}"
        f"{'gave up':>9}{'refused':>9}{'bad 5xx':>9}",
    ]
    for window, counts in result.per_fault:
        start, end = window.start - result.began, window.end - result.began
        lines.append(_row(window.name, f"{start:.1f}-{end:.1f} s", counts))
    lines += [_row("the whole run", "", total), ""]
    lines += [_story(why, s, result.began) for why, s in result.troubled[:TROUBLES_SHOWN]]
    lines += [
        f"{'PASS' if figure == 0 else 'MISS'}  {name}: {figure} (goal 0)"
        for name, figure in result.goals()
    ]
    return lines


def _story(why: str, submission: Submission, began: float) -> str:
    attempts = ", ".join(
        f"{a.sent - began:.2f} s: {status_name(a)} in {_ms(a.seconds)} ({a.request_id})"
        for a in submission.attempts
    )
    return f"{why}: {submission.ids} ({submission.outcome}): {attempts}"


def _row(name: str, window: str, counts: Tally) -> str:
    return (
        f"{name:<24}{window:>14}{counts.submissions:>7}{counts.accepted:>10}{counts.lost:>6}"
        f"{counts.duplicated:>5}{counts.gave_up:>9}{counts.refused:>9}{counts.unexpected_5xx:>9}"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"
