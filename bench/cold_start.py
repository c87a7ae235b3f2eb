"""The form's latency: cold start to the first stored request, and a warm request's server time.

Against one DynamoDB Local, this prints
- cold: a fresh Python process until the first request is stored, (a) through the Lambda
  handler, laid out as Lambda runs it (`functions.help_requests.handler.handler`, its code root
  holding the function's own code as `make help-requests-code` in functions/ stages it for the
  artifact), and (b) through a bare handler that only does `boto3.client("dynamodb").put_item`;
- warm: the in-process time of an accepted request through the handler, against one raw
  `put_item` round trip (and one raw `transact_write_items` of the same shape as ours).
Each figure is a median; runs of (a) and (b) alternate so drift hits both alike.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make the repository's packages importable

from functions.help_requests import Config, create_app  # noqa: E402
from functions.help_requests.contract import load_contract  # noqa: E402
from functions.help_requests.validation import HelpRequest, validate  # noqa: E402
from functions.shared.aws import dynamodb_client  # noqa: E402
from sitegen.serve.dynamodb_local import DynamoDBLocal, create_table, local_client  # noqa: E402

if TYPE_CHECKING:
    from mangum.types import LambdaCognitoIdentity, LambdaMobileClientContext
    from mypy_boto3_dynamodb import DynamoDBClient

EVENT = ROOT / "tests" / "events" / "http-api-v2-json.json"
TABLE = "bench-help-requests"
COLD_GOAL = 1.25
WARM_GOAL = 1.5
STORED = "STORED"
WARM_UP = 500  # requests that open connections and let the JVM compile its hot paths first

HANDLER_CHILD = f"""
import json, sys
from functions.help_requests.handler import handler
response = handler(json.loads(sys.argv[1]), None)
print("{STORED}", response["statusCode"], flush=True)
"""
BARE_CHILD = f"""
import json, os, sys
import boto3
client = boto3.client("dynamodb", endpoint_url=os.environ["DYNAMODB_ENDPOINT"])
client.put_item(TableName=os.environ["TABLE_NAME"], Item=json.loads(sys.argv[1]))
print("{STORED}", 200, flush=True)
"""


def environment(endpoint: str) -> dict[str, str]:
    """What Lambda would set, pointed at DynamoDB Local; limits high enough never to refuse."""
    return {
        **os.environ,
        "TABLE_NAME": TABLE,
        "DYNAMODB_ENDPOINT": endpoint,
        "IP_HASH_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "CONTACT_HASH_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "CONSENT_VERSION": "bench",
        "SITE_ORIGIN": "https://ask.example.org",
        "RATE_LIMIT_PER_HOUR": "100000",
        "RATE_LIMIT_PER_DAY": "100000",
        "AWS_REGION": "eu-central-1",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }


def fresh_event(n: int) -> dict[str, Any]:
    """The recorded HTTP API event with a new id, from a new sender."""
    event: dict[str, Any] = json.loads(EVENT.read_text(encoding="utf-8"))
    body = {**json.loads(event["body"]), "id": str(uuid.uuid4())}
    body.pop("started_at", None)
    event["body"] = json.dumps(body)
    event["headers"]["content-length"] = str(len(event["body"].encode()))
    event["headers"]["cloudfront-viewer-address"] = (
        f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}:443"
    )
    return event


def bare_item(n: int) -> dict[str, Any]:
    """An item as large as a stored request, for the bare handler's `put_item`."""
    body = json.loads(json.loads(EVENT.read_text(encoding="utf-8"))["body"])
    request_id = str(uuid.uuid4())
    item = {
        key: {"S": str(body[key])} for key in ("name", "contact", "topic", "message", "language")
    }
    return {
        **item,
        "pk": {"S": f"bare#{request_id}"},
        "id": {"S": request_id},
        "status": {"S": "new"},
        "created_at": {"S": "2026-11-25T18:00:00.000Z"},
        "consent_version": {"S": "bench"},
        "payload_hash": {"S": "0" * 64},
        "expires_at": {"N": str(int(time.time()) + 180 * 86400)},
    }


def stage_code(target: Path) -> Path:
    """The function's code root as its artifact holds it (its requirements come from .venv)."""
    command = ["make", "--no-print-directory", "-s", "-C", str(ROOT / "functions")]
    staging = ["help-requests-code", f"ARTIFACTS_DIR={target}", f"PYTHON={sys.executable}"]
    subprocess.run([*command, *staging], check=True)
    return target


def cold_run(code: str, argument: str, env: dict[str, str], code_root: Path) -> float:
    """Seconds from starting a fresh interpreter until it reports the request stored."""
    started = time.perf_counter()
    # Started in the code root, as Lambda does: the repository's own `functions/` is not in sight.
    with subprocess.Popen(
        [sys.executable, "-c", code, argument],
        env=env,
        cwd=code_root,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith(STORED):
                elapsed = time.perf_counter() - started
                status = int(line.split()[1])
                if status not in (200, 201):
                    raise SystemExit(f"the request was not stored: status {status}")
                child.stdout.read()
                break
        else:
            raise SystemExit(f"the child process failed (exit code {child.wait()})")
    return elapsed


def cold(
    endpoint: str, client: DynamoDBClient, runs: int, code_root: Path
) -> tuple[list[float], list[float]]:
    """Alternating cold runs of the handler and the bare handler, each checked in the table."""
    env = {**environment(endpoint), "PYTHONPATH": str(code_root)}
    ours: list[float] = []
    bare: list[float] = []
    for n in range(runs + 1):
        event, item = fresh_event(n), bare_item(n)
        pair = [
            (ours, HANDLER_CHILD, json.dumps(event), f"request#{json.loads(event['body'])['id']}"),
            (bare, BARE_CHILD, json.dumps(item), item["pk"]["S"]),
        ]
        for times, code, argument, key in pair if n % 2 else reversed(pair):
            elapsed = cold_run(code, argument, env, code_root)
            stored = client.get_item(TableName=TABLE, Key={"pk": {"S": key}}, ConsistentRead=True)
            if "Item" not in stored:
                raise SystemExit(f"{key} was not found in the table")
            if n:  # the first pair warms the file cache and writes bytecode
                times.append(elapsed)
    return ours, bare


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send the handler's log lines to /dev/null, through a real file as in Lambda."""
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield


@dataclass
class Context:
    """The attributes of the context object Lambda passes to a handler."""

    aws_request_id: str = "0b4f1c9e-bench"
    function_name: str = "HelpRequestsFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:eu-central-1:123456789012:function:bench"
    memory_limit_in_mb: int = 512
    log_group_name: str = "/aws/lambda/bench"
    log_stream_name: str = "bench"
    identity: LambdaCognitoIdentity | None = None
    client_context: LambdaMobileClientContext | None = None

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def warm(endpoint: str, iterations: int) -> dict[str, list[float]]:
    """Interleaved warm timings: our handler, a raw put_item, a raw transaction like ours."""
    from mangum import Mangum

    config = Config.from_env(environment(endpoint))
    handler = Mangum(create_app(config), lifespan="off")
    raw = dynamodb_client(config)
    store = create_app(config, raw).store
    contract = load_contract()
    times: dict[str, list[float]] = {"handler": [], "put_item": [], "transact": []}
    with quiet_stdout():
        for n in range(iterations + WARM_UP):
            event, item = fresh_event(1_000_000 + n), bare_item(n)
            request = validate(json.loads(fresh_event(n)["body"]), contract, default_id=None)
            assert isinstance(request, HelpRequest)

            started = time.perf_counter()
            response = handler(event, Context())
            handled = time.perf_counter()
            raw.put_item(TableName=TABLE, Item=item)
            put = time.perf_counter()
            store.submit(request, sender=f"bench{n}", now=time.time())
            transacted = time.perf_counter()

            if response["statusCode"] != 201:
                raise SystemExit(f"a warm request was not accepted: {response['statusCode']}")
            if n >= WARM_UP:
                times["handler"].append(handled - started)
                times["put_item"].append(put - handled)
                times["transact"].append(transacted - put)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(value: float, goal: float) -> str:
    return "PASS" if value <= goal else f"MISS by {value / goal - 1:.0%}"


def report(ours: list[float], bare: list[float], warm_times: dict[str, list[float]]) -> str:
    """The figures, their ratios and the goals."""
    # Each (a) run sits next to its (b) run, so a pair shares the machine's load of the moment.
    cold_ratio = statistics.median(a / b for a, b in zip(ours, bare, strict=True))
    handler, put = (statistics.median(warm_times[key]) for key in ("handler", "put_item"))
    transact = statistics.median(warm_times["transact"])
    lines = [
        f"cold start to first stored request (median of {len(ours)} runs each, min in brackets)",
        f"  (a) help_requests.handler       {ms(statistics.median(ours))}  [{ms(min(ours))}]",
        f"  (b) bare boto3 put_item handler {ms(statistics.median(bare))}  [{ms(min(bare))}]",
        f"  ratio (a)/(b), median of pairs  {cold_ratio:8.2f}x    goal <= {COLD_GOAL}x: "
        f"{verdict(cold_ratio, COLD_GOAL)}",
        f"  ratio of the fastest runs       {min(ours) / min(bare):8.2f}x",
        "",
        f"warm accepted request, in-process (median of {len(warm_times['handler'])})",
        f"  handler(event) server time      {ms(handler)}",
        f"  one raw put_item round trip     {ms(put)}",
        f"  ratio                           {handler / put:8.2f}x    goal <= {WARM_GOAL}x: "
        f"{verdict(handler / put, WARM_GOAL)}",
        f"  for reference: the store's TransactWriteItems alone {ms(transact)} "
        f"({transact / put:.2f}x put_item); the handler adds {ms(handler - transact)}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=20, help="cold runs of each handler")
    parser.add_argument("--warm", type=int, default=500, help="warm requests to time")
    args = parser.parse_args(argv)
    with DynamoDBLocal() as endpoint, tempfile.TemporaryDirectory() as staged:
        os.environ.update({k: v for k, v in environment(endpoint).items() if k.startswith("AWS_")})
        client = local_client(endpoint)
        create_table(client, TABLE)
        ours, bare = cold(endpoint, client, args.runs, stage_code(Path(staged)))
        warm_times = warm(endpoint, args.warm)
    print(report(ours, bare, warm_times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
