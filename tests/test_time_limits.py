"""Every test has a time limit, browser tests a shorter one: a hang fails, with its stack."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser.conftest import BROWSER_TEST_SECONDS
from tests.deadline import within

ROOT = Path(__file__).resolve().parents[1]
# Prints each collected test's time limit, and the one set for all; loaded with `-p`.
SHOW_LIMITS = """
def pytest_collection_finish(session):
    print("ALL", session.config.getini("timeout"))
    for item in session.items:
        marker = item.get_closest_marker("timeout")
        print("LIMIT", item.nodeid, marker.args[0] if marker else None)
"""


def pytest_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    # The limit as the project sets it: an exported PYTEST_TIMEOUT would come before it.
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("PYTEST_TIMEOUT", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_browser_tests_have_a_shorter_limit_than_the_rest(tmp_path: Path) -> None:
    (tmp_path / "show_limits.py").write_text(SHOW_LIMITS)
    browser = ["tests/browser/test_ask_form.py", "tests/browser/test_lighthouse.py"]
    files = [*browser, "tests/test_time_limits.py"]
    run = pytest_run(tmp_path, "-p", "show_limits", "--collect-only", "-q", *files)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [line.split() for line in run.stdout.splitlines()]
    assert ["ALL", "600"] in lines
    limits = {line[1]: line[2] for line in lines if line[:1] == ["LIMIT"]}
    by_file = {name: [n for n in limits if n.startswith(name)] for name in files}
    assert all(len(found) >= 3 for found in by_file.values()), by_file
    for nodeid, limit in limits.items():
        if nodeid.startswith("tests/browser/"):
            expected = "600" if "lighthouse" in nodeid else str(BROWSER_TEST_SECONDS)
        else:
            expected = "None"  # the project's 600 s, set for all
        assert limit == expected, nodeid


def test_a_test_that_hangs_fails_with_its_stack(tmp_path: Path) -> None:
    hanging = tmp_path / "test_hangs.py"
    hanging.write_text("import time\n\ndef test_waits():\n    time.sleep(60)\n")
    started = time.monotonic()
    # The project's settings, with the limit brought down to 2 s.
    config = str(ROOT / "pyproject.toml")
    run = pytest_run(tmp_path, "-c", config, "--rootdir", str(ROOT), "--timeout=2", str(hanging))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "configfile: pyproject.toml" in run.stdout
    assert "Timeout (>2.0s) from pytest-timeout" in run.stdout
    assert "time.sleep(60)" in run.stdout
    assert time.monotonic() - started < 50


def test_a_limit_within_a_test_keeps_the_tests_own() -> None:
    handler = signal.getsignal(signal.SIGALRM)
    own = signal.getitimer(signal.ITIMER_REAL)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        with within(5):
            time.sleep(0.2)
        assert 29 < signal.getitimer(signal.ITIMER_REAL)[0] < 29.9
        assert signal.getsignal(signal.SIGALRM) is handler
        with pytest.raises(AssertionError, match="still waiting after 1 s"), within(1):
            time.sleep(3)
        assert 27 < signal.getitimer(signal.ITIMER_REAL)[0] < 29
        assert signal.getsignal(signal.SIGALRM) is handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, *own)


def test_a_limit_within_a_test_gives_way_to_the_tests_own_when_that_comes_first() -> None:
    handler = signal.getsignal(signal.SIGALRM)
    own = signal.getitimer(signal.ITIMER_REAL)
    reached: list[float] = []

    def outer(signum: int, frame: object) -> None:
        reached.append(time.monotonic())
        raise TimeoutError

    started = time.monotonic()
    try:
        signal.signal(signal.SIGALRM, outer)
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with pytest.raises(TimeoutError), within(5):
            time.sleep(3)
        # Reached once, at its own time, and not set again after the block.
        assert len(reached) == 1
        assert 0.4 < reached[0] - started < 1.5
        assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
        assert signal.getsignal(signal.SIGALRM) is outer
    finally:
        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, *own)
