"""The Lambda entry point: `functions.notifier.handler.handler`, on the table's stream."""

from __future__ import annotations

import os
from typing import Any

from .batch import BatchResponse, notify_batch
from .config import Config
from .publish import sns_client

CONFIG = Config.from_env(os.environ)
CLIENT = sns_client()


def handler(event: dict[str, Any], context: Any) -> BatchResponse:
    """Tell moderators of the batch's new requests; name where Lambda must retry from."""
    outcome = notify_batch(event.get("Records", []), CONFIG, CLIENT)
    # Standard output is what Lambda sends to CloudWatch Logs.
    print(outcome.log_line(), flush=True)
    return outcome.response()
