"""Load and faults: visitors send the form to `build.py serve` while its DynamoDB breaks.

DynamoDB Local keeps its data on disk; a fault proxy sits between it and the API; visitors
(bench/visitors.py) send the form as its page does for the whole run, while the proxy cuts
requests mid-way, loses answers, stalls and refuses, and DynamoDB Local is killed with
SIGKILL and started again on its data. Afterwards the table is read whole and held against
what every visitor was told: nothing accepted may be missing, nothing stored twice, nothing
stored that nobody sent, and no server error but 503 with Retry-After. Exit 1 on a miss.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make the repository's packages importable

from bench.faultproxy import FaultProxy  # noqa: E402
from bench.latency import READY_TIMEOUT, ServeError, free_port, wait_for  # noqa: E402
from bench.load_check import Check, Stored, Window, check, report  # noqa: E402
from bench.visitors import ADDRESSES, Visitors  # noqa: E402
from functions.help_requests import Config  # noqa: E402
from functions.help_requests.contract import load_contract  # noqa: E402
from functions.shared.table import REQUEST_PREFIX  # noqa: E402
from sitegen.serve.dynamodb_local import DynamoDBLocal, local_client  # noqa: E402
from sitegen.serve.server import API_SETTINGS  # noqa: E402

TABLE = "help-requests-load"
DEFAULTS = {field.name: field.default for field in fields(Config)}
# Production's limits per visitor address, not `build.py serve`'s generous ones.
SETTINGS = {
    "TABLE_NAME": TABLE,
    "RATE_LIMIT_PER_HOUR": str(DEFAULTS["rate_limit_per_hour"]),
    "RATE_LIMIT_PER_DAY": str(DEFAULTS["rate_limit_per_day"]),
}
SETTLE_SECONDS = 1.0  # after a fault, before the next may start


@dataclass
class Stack:
    """DynamoDB Local on disk, the proxy in front of it, and `build.py serve` behind that."""

    database: DynamoDBLocal
    proxy: FaultProxy
    origin: str
    log: Path
    kill_grace: float

    def crash_database(self) -> None:
        """Cut DynamoDB Local off, SIGKILL it `kill_grace` s later, and start it on its data."""
        # Every connection to it dies at the cut, as in a crash. The grace is for DynamoDB Local
        # alone: it answers a TransactWriteItems up to about 0.1 s before the write is on disk,
        # so a SIGKILL right after loses a write it confirmed, which DynamoDB never does.
        self.proxy.outage(self.kill_grace + self.database.startup_timeout)
        time.sleep(self.kill_grace)
        if self.database.pid is not None:
            os.kill(self.database.pid, signal.SIGKILL)
        self.database.stop()
        self.database.start()


@dataclass(frozen=True)
class Fault:
    """A fault the run can inject: its name, how long it lasts, how to cause it."""

    key: str  # its name in --faults
    name: str
    seconds: float  # the length of a kill is how long DynamoDB Local takes to start again
    cause: Callable[[Stack], None]


FAULTS = {
    fault.key: fault
    for fault in (
        Fault("cut", "requests cut mid-way", 1.0, lambda s: s.proxy.cut(1.0, forward=1000)),
        Fault("lost-answer", "answers lost", 1.0, lambda s: s.proxy.cut(1.0, forward=None)),
        Fault("stall", "2 s stall", 2.0, lambda s: s.proxy.stall(2.0)),
        Fault("outage", "5 s outage", 5.0, lambda s: s.proxy.outage(5.0)),
        Fault("kill", "SIGKILL and restart", 3.0, Stack.crash_database),
    )
}


@dataclass(frozen=True)
class Options:
    """What to run."""

    seconds: float = 60.0
    clients: int = 32
    faults: tuple[str, ...] = tuple(FAULTS)
    port: int | None = None
    server_log: Path | None = None
    kill_grace: float = 0.2


def schedule(options: Options) -> list[tuple[float, Fault]]:
    """When each fault starts: spread out evenly, with quiet time before, between and after."""
    faults = [FAULTS[key] for key in options.faults]
    busy = sum(fault.seconds for fault in faults)
    quiet = max(0.0, options.seconds - busy) / (len(faults) + 1)
    starts, at = [], 0.0
    for fault in faults:
        at += quiet
        starts.append((at, fault))
        at += fault.seconds
    return starts


def inject(stack: Stack, plan: list[tuple[float, Fault]], began: float) -> list[Window]:
    """Cause each fault at its time; return when each one really lasted."""
    windows = []
    for at, fault in plan:
        time.sleep(max(0.0, began + at - time.monotonic()))
        start = time.monotonic()
        fault.cause(stack)
        time.sleep(max(0.0, start + fault.seconds - time.monotonic()))
        stack.proxy.pass_through()
        windows.append(Window(fault.name, start, time.monotonic()))
        time.sleep(SETTLE_SECONDS)
    return windows


def run(options: Options) -> Check:
    """Start everything, send and break for `options.seconds`, stop, and check the table."""
    plan = schedule(options)
    with tempfile.TemporaryDirectory(prefix="load-") as workdir:
        port = options.port or free_port()
        with started(Path(workdir), port, kill_grace=options.kill_grace) as stack:
            visitors = Visitors(stack.origin, load_contract(), clients=options.clients)
            began = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                sending = pool.submit(asyncio.run, visitors.run(options.seconds))
                windows = inject(stack, plan, began)
                submissions = sending.result()
            ended = max((s.finished for s in submissions), default=time.monotonic())
            stored = read_table(stack.database.endpoint)
            proxy = dict(stack.proxy.counts)
        if options.server_log is not None:
            shutil.copyfile(stack.log, options.server_log)
    return check(submissions, stored, windows, began=began, ended=ended, proxy=proxy)


def read_table(endpoint: str) -> list[Stored]:
    """Every request item, read straight from DynamoDB Local (not through the proxy)."""
    pages = (
        local_client(endpoint).get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True)
    )
    return [
        Stored(item["id"]["S"], item["contact"]["S"], item["message"]["S"])
        for page in pages
        for item in page["Items"]
        if item["pk"]["S"].startswith(REQUEST_PREFIX)
    ]


@contextlib.contextmanager
def started(workdir: Path, port: int, *, kill_grace: float) -> Iterator[Stack]:
    """DynamoDB Local on `workdir`, the proxy, and `build.py serve` on `port`; stopped after."""
    database = DynamoDBLocal(db_path=workdir, port=free_port())
    with database as endpoint, FaultProxy(int(endpoint.rsplit(":", 1)[1])) as proxy:
        log = workdir / "serve.log"
        with serving(workdir, port, f"http://127.0.0.1:{proxy.port}", log) as origin:
            yield Stack(database, proxy, origin, log, kill_grace)


@contextlib.contextmanager
def serving(workdir: Path, port: int, dynamodb: str, log: Path) -> Iterator[str]:
    """`build.py serve` on `port` with its API on `dynamodb`; its origin."""
    kept = {k: v for k, v in os.environ.items() if k not in (*API_SETTINGS, "DYNAMODB_ENDPOINT")}
    environment = kept | SETTINGS | {"DYNAMODB_ENDPOINT": dynamodb}
    command = [sys.executable, "build.py", "serve", "--port", str(port)]
    command += ["--output", str(workdir / "public"), "--cache", str(workdir / "cache")]
    origin = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for(f"{origin}/en/", lambda body: True, READY_TIMEOUT, server)
        yield origin
    except ServeError as exc:
        raise ServeError(f"{exc}:\n{log.read_text(errors='replace')[-3000:]}") from exc
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def describe(options: Options, plan: list[tuple[float, Fault]]) -> list[str]:
    """What the run does, said before it starts."""
    faults = ", ".join(f"{fault.name} at {at:.1f} s" for at, fault in plan) or "none"
    return [
        f"load: {options.clients} visitors at a time for {options.seconds:.0f} s; faults: {faults}",
        f"each submission from a new address in {ADDRESSES} (RFC 2544's range for benchmarks),"
        " sent as CloudFront-Viewer-Address as CloudFront does; production's rate limits per"
        f" address ({SETTINGS['RATE_LIMIT_PER_HOUR']} an hour, {SETTINGS['RATE_LIMIT_PER_DAY']}"
        " a day); DynamoDB Local on disk behind the fault proxy, cut off"
        f" {options.kill_grace:g} s before a SIGKILL",
    ]


def parse(argv: Sequence[str] | None) -> Options:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=32, help="visitors sending at a time")
    parser.add_argument(
        "--faults",
        default=",".join(FAULTS),
        help=f"comma-separated, in order, from: {', '.join(FAULTS)}; 'none' for none",
    )
    parser.add_argument("--port", type=int, default=None, help="build.py serve's (default: free)")
    parser.add_argument("--server-log", type=Path, default=None, help="keep serve's output here")
    parser.add_argument(
        "--kill-grace",
        type=float,
        default=0.2,
        help="seconds from cutting DynamoDB Local off to its SIGKILL (default: 0.2; see README)",
    )
    args = parser.parse_args(argv)
    faults = tuple(name for name in args.faults.split(",") if name and name != "none")
    unknown = [name for name in faults if name not in FAULTS]
    if unknown:
        parser.error(f"unknown faults {unknown}; choose from {', '.join(FAULTS)}")
    return Options(args.duration, args.clients, faults, args.port, args.server_log, args.kill_grace)


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print the figures and goals; 1 when a goal is missed."""
    options = parse(argv)
    plan = schedule(options)
    print("\n".join(describe(options, plan)), flush=True)
    result = run(options)
    print("\n".join(report(result)))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
