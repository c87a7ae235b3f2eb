"""Call the built Lambda handler the way the runtime does, in a clean Python 3.12.

Usage: python3.12 -I -S -B invoke_handler.py BUILD_DIR RUNTIME_DIR < events.json
BUILD_DIR is the function's folder from `sam build`; RUNTIME_DIR holds what the Lambda runtime
provides (boto3). Prints one JSON object: each response, where the modules came from, and which
of the build folder's modules ran.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import time
from typing import Any


class LambdaContext:
    """The attributes Mangum and logging read from the runtime's context object."""

    function_name = "HelpRequestsFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    aws_request_id = "8f5c3c2e-1d7a-4a7e-9b1f-2e6d4c8a9b10"
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:HelpRequestsFunction"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def main() -> None:
    """Import the handler from the build folder, answer each event from stdin."""
    build_dir, runtime_dir = sys.argv[1:3]
    sys.path[:0] = [build_dir, runtime_dir]
    # Lambda's runtime gives Mangum a loop for the container's life; here it must be closed.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    started = time.perf_counter()
    handler = importlib.import_module("functions.help_requests.handler").handler

    import_ms = (time.perf_counter() - started) * 1000
    events: list[dict[str, Any]] = json.load(sys.stdin)
    try:
        responses = [handler(event, LambdaContext()) for event in events]
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    names = ("functions", "mangum", "starlette", "yaml", "boto3")
    modules = {name: getattr(sys.modules.get(name), "__file__", None) for name in names}
    files = {name: getattr(module, "__file__", None) for name, module in sys.modules.items()}
    loaded = sorted(str(file) for file in files.values() if str(file).startswith(build_dir))
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    report = {
        "responses": responses,
        "modules": modules,
        "loaded": loaded,
        "python": version,
        "import_ms": import_ms,
    }
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
