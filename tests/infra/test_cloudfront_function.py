"""The CloudFront Function's own tests, run by Node's test runner (`node --test`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

TESTS = Path(__file__).resolve().parents[2] / "infra" / "cloudfront" / "site-router.test.js"


def test_node_runs_the_function_tests_and_all_pass() -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed: apt-get install nodejs"
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", str(TESTS)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    counts = dict(re.findall(r"^# (pass|fail|cancelled|skipped|todo) (\d+)$", result.stdout, re.M))
    assert result.returncode == 0, result.stdout + result.stderr
    assert int(counts["pass"]) >= 10
    assert [counts[k] for k in ("fail", "cancelled", "skipped", "todo")] == ["0"] * 4
