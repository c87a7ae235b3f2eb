"""Every test has a time limit, browser tests a shorter one: a hang fails, with its stack."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser.conftest import BROWSER_TEST_SECONDS
from tests.deadline import within

ROOT = Path(__file__).resolve().parents[1]
# Prints each collected test's time limit; loaded into a pytest run with `-p`.
SHOW_LIMITS = """
def pytest_collection_finish(session):
    for item in session.items:
        marker = item.get_closest_marker("timeout")
        print("LIMIT", item.nodeid, marker.args[0] if marker else None)
"""


def pytest_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
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
    files = ["tests/browser/test_ask_form.py", "tests/browser/test_lighthouse.py"]
    run = pytest_run(tmp_path, "-p", "show_limits", "--collect-only", "-q", *files)
    assert run.returncode == 0, run.stdout + run.stderr
    limits = dict(line.split()[1:] for line in run.stdout.splitlines() if line.startswith("LIMIT"))
    assert len(limits) > 3
    for nodeid, limit in limits.items():
        expected = "600" if "lighthouse" in nodeid else str(BROWSER_TEST_SECONDS)
        assert limit == expected, nodeid


def test_a_test_that_hangs_fails_with_its_stack(tmp_path: Path) -> None:
    hanging = tmp_path / "test_hangs.py"
    hanging.write_text("import time\n\ndef test_waits():\n    time.sleep(60)\n")
    started = time.monotonic()
    # The project's settings (pyproject.toml) with the limit brought down to 2 s.
    run = pytest_run(tmp_path, "-o", "timeout=2", "--rootdir", str(ROOT), str(hanging))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Timeout (>2.0s) from pytest-timeout" in run.stdout
    assert "time.sleep(60)" in run.stdout
    assert time.monotonic() - started < 50


def test_a_limit_within_a_test_keeps_the_tests_own() -> None:
    import signal

    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        with within(5):
            time.sleep(0.2)
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 29 < left < 29.9
        with pytest.raises(AssertionError, match="still waiting after 1 s"), within(1):
            time.sleep(3)
        assert 27 < signal.getitimer(signal.ITIMER_REAL)[0] < 29
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
