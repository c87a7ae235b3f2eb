"""Structured log lines: one JSON object per request, never a body, address or contact."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import TextIO

QUIET_OUTCOMES = frozenset({"created", "replayed", "preflight", "honeypot", "time_trap"})
# Our failures, also when the plain form is sent on to an error page with a 303.
FAULTS = frozenset({"unavailable", "internal_error"})


@dataclass
class RequestLog:
    """What one request did, filled in as it goes and written once at the end."""

    request_id: str
    method: str
    outcome: str = "unknown"
    status: int = 0
    via: str | None = None
    errors: list[str] = field(default_factory=list)
    cause: str | None = None
    event: str = "help_request"
    started: float = field(default_factory=time.perf_counter, repr=False)

    def level(self) -> str:
        """`error` when we failed, `warning` when the client did, else `info`."""
        if self.status >= 500 or self.outcome in FAULTS:
            return "error"
        return "info" if self.outcome in QUIET_OUTCOMES else "warning"

    def line(self) -> str:
        """The log line as JSON, with the latency so far."""
        fields = asdict(self)
        del fields["started"]
        fields["latency_ms"] = round((time.perf_counter() - self.started) * 1000, 1)
        fields["level"] = self.level()
        fields["event"] = fields.pop("event")
        return json.dumps({key: value for key, value in fields.items() if value not in (None, [])})


def write(log: RequestLog, stream: TextIO | None = None) -> None:
    """Print the line where Lambda sends it to CloudWatch: standard output."""
    print(log.line(), file=stream or sys.stdout, flush=True)
