"""One JSON log line per request: route, status, outcome, request id; nothing about anyone."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import TextIO

FAULTS = frozenset({"unavailable", "internal_error"})


@dataclass
class RequestLog:
    """What one request did, filled in as it goes and written once at the end."""

    request_id: str
    # The route's pattern (`POST /requests/{id}/status`), never the path: no ids, no contacts.
    route: str = "unknown"
    outcome: str = "unknown"
    status: int = 0
    # For our own failures only: an error code or exception type, never a message.
    cause: str | None = None
    started: float = field(default_factory=time.perf_counter, repr=False)

    def level(self) -> str:
        """`error` when we failed, `warning` when the caller did, else `info`."""
        if self.status >= 500 or self.outcome in FAULTS:
            return "error"
        return "info" if self.status < 400 else "warning"

    def line(self) -> str:
        """The log line as JSON, with the latency so far."""
        fields = asdict(self)
        del fields["started"]
        fields["latency_ms"] = round((time.perf_counter() - self.started) * 1000, 1)
        fields["level"] = self.level()
        fields["event"] = "moderation"
        return json.dumps({key: value for key, value in fields.items() if value is not None})


def write(log: RequestLog, stream: TextIO | None = None) -> None:
    """Print the line where Lambda sends it to CloudWatch: standard output."""
    print(log.line(), file=stream or sys.stdout, flush=True)
