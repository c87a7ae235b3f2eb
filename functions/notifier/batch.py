"""One batch of stream records in, at most one message out, and what Lambda should retry."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from .config import Config
from .errors import PublishFailed
from .notify import compose
from .publish import Publisher, publish
from .records import read_batch

BatchResponse = dict[str, list[dict[str, str]]]


@dataclass(frozen=True)
class Outcome:
    """What a batch held and whether its message went out; counts only, never values."""

    records: int
    new_requests: int
    skipped: int
    malformed: int
    published: bool
    cause: str | None = None
    retry_from: str | None = None

    def response(self) -> BatchResponse:
        """Lambda's partial batch response.

        For streams, Lambda "uses the lowest sequence number [among the failures] as the
        checkpoint" and retries from there (AWS docs, ReportBatchItemFailures): one message
        per batch means the whole batch's new requests are retried together."""
        failures = [] if self.retry_from is None else [{"itemIdentifier": self.retry_from}]
        return {"batchItemFailures": failures}

    def log_line(self) -> str:
        """The batch's log line as JSON."""
        fields: dict[str, Any] = {
            "event": "notification",
            "level": self.level(),
            "records": self.records,
            "new_requests": self.new_requests,
            "skipped": self.skipped,
            "malformed": self.malformed,
            "published": self.published,
        }
        if self.cause is not None:
            fields["cause"] = self.cause
        return json.dumps(fields)

    def level(self) -> str:
        """`error` when the message did not go out, `warning` for malformed records."""
        if self.retry_from is not None:
            return "error"
        return "warning" if self.malformed else "info"


def notify_batch(records: Iterable[Any], config: Config, client: Publisher) -> Outcome:
    """Publish one message naming the batch's new requests; none when there are none."""
    records = list(records)
    batch = read_batch(records)
    counted = Outcome(
        records=len(records),
        new_requests=len(batch.new),
        skipped=batch.skipped,
        malformed=batch.malformed,
        published=False,
    )
    if not batch.new:
        return counted
    try:
        publish(client, config.topic_arn, compose(batch.new, config.inbox_url))
    except PublishFailed as exc:
        first = min(batch.new, key=lambda request: int(request.sequence_number))
        return replace(counted, cause=str(exc), retry_from=first.sequence_number)
    return replace(counted, published=True)
