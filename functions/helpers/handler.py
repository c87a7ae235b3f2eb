"""The Lambda entry point: `functions.helpers.handler.handler`, for three kinds of event.

API Gateway's HTTP API (payload 2.0) brings the links' pages, the table's stream brings
records for the outbox, and EventBridge's daily rule brings the schedule."""

from __future__ import annotations

import os
from typing import Any

from mangum import Mangum

from .config import Config
from .outbox import BatchResponse, consume
from .pages import create_app
from .runtime import Runtime
from .schedule import run_schedule

RUNTIME = Runtime(Config.from_env(os.environ))
pages = Mangum(create_app(RUNTIME), lifespan="off")


def kind(event: dict[str, Any]) -> str:
    """`http`, `stream`, `schedule`, or `unknown`."""
    if event.get("version") == "2.0" and "requestContext" in event:
        return "http"
    records = event.get("Records")
    if isinstance(records, list) and all(
        isinstance(record, dict) and record.get("eventSource") == "aws:dynamodb"
        for record in records
    ):
        return "stream"
    if event.get("detail-type") == "Scheduled Event" and event.get("source") == "aws.events":
        return "schedule"
    return "unknown"


def handler(event: dict[str, Any], context: Any) -> Any:
    """Answer a link, send a batch's mail, or run the day's schedule."""
    match kind(event):
        case "http":
            return pages(event, context)
        case "stream":
            return stream(event)
        case "schedule":
            run = run_schedule(RUNTIME, RUNTIME.now())
            print(run.log_line(), flush=True)
            return None
    raise ValueError("the helpers' function takes HTTP API, DynamoDB stream and schedule events")


def stream(event: dict[str, Any]) -> BatchResponse:
    """The batch's mail; where Lambda must retry from when some could not go out."""
    outcome = consume(event["Records"], RUNTIME)
    print(outcome.log_line(), flush=True)  # standard output goes to CloudWatch Logs
    return outcome.response()
