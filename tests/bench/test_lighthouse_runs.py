"""Lighthouse is run again when it says it could not record the page, or could not reach the
browser it started, and only then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import lighthouse

REPORT = {"categories": {name: {"score": 1} for name in lighthouse.CATEGORIES}}


def _fake(tmp_path: Path, failures: int, message: str) -> Path:
    """A stand-in for Lighthouse that fails `failures` times with `message`, then reports."""
    count = tmp_path / "count"
    count.write_text("0")
    script = tmp_path / "lighthouse"
    script.write_text(
        "#!/bin/sh\n"
        f'n=$(cat "{count}"); echo $((n + 1)) > "{count}"\n'
        f'if [ "$n" -lt {failures} ]; then echo "{message}" >&2; exit 1; fi\n'
        f"echo '{json.dumps(REPORT)}'\n"
    )
    script.chmod(0o755)
    return script


def test_a_page_whose_trace_was_lost_is_measured_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = "Runtime error encountered: NO_NAVSTART. Please run Lighthouse again."
    monkeypatch.setattr(lighthouse, "LIGHTHOUSE", _fake(tmp_path, 2, message))
    assert lighthouse.run_lighthouse("http://127.0.0.1:9/") == REPORT
    assert (tmp_path / "count").read_text().strip() == "3"


def test_a_browser_out_of_reach_is_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As Lighthouse says it when another server took the browser's debugging port.
    message = (
        "Runtime error encountered: Failed to fetch browser webSocket URL from"
        " http://127.0.0.1:37217/json/version: HTTP NOT FOUND"
    )
    monkeypatch.setattr(lighthouse, "LIGHTHOUSE", _fake(tmp_path, 1, message))
    assert lighthouse.run_lighthouse("http://127.0.0.1:9/") == REPORT
    assert (tmp_path / "count").read_text().strip() == "2"


def test_it_gives_up_after_a_few_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    message = "Runtime error encountered: NO_NAVSTART. Please run Lighthouse again."
    monkeypatch.setattr(lighthouse, "LIGHTHOUSE", _fake(tmp_path, 9, message))
    with pytest.raises(lighthouse.LighthouseError, match="NO_NAVSTART"):
        lighthouse.run_lighthouse("http://127.0.0.1:9/")
    assert (tmp_path / "count").read_text().strip() == str(lighthouse.RUNS_ON_TRACE_ERRORS)


def test_other_errors_are_not_run_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lighthouse, "LIGHTHOUSE", _fake(tmp_path, 1, "Chrome did not start"))
    with pytest.raises(lighthouse.LighthouseError, match="Chrome did not start"):
        lighthouse.run_lighthouse("http://127.0.0.1:9/")
    assert (tmp_path / "count").read_text().strip() == "1"
