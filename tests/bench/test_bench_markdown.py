"""The Markdown benchmark times both converters, and both whole conversions, and says
whether their HTML is the same."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench import markdown_speed as bench_markdown
from sitegen.markdown.texts import converted


def test_it_prints_both_times_and_finds_the_html_the_same(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert bench_markdown.main(["--stories", "5", "--repeat", "1"]) == 0
    printed = capsys.readouterr().out
    assert "plain Python-Markdown" in printed
    assert "written directly" in printed
    assert printed.count("same HTML: yes") == 2


def test_it_fails_when_the_html_differs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bench_markdown.converter
    calls: list[int] = []

    def second_differs(md: object) -> object:
        convert = real(md)  # type: ignore[arg-type]
        calls.append(0)
        return convert if len(calls) == 1 else (lambda text: convert(text) + "!")

    monkeypatch.setattr(bench_markdown, "converter", second_differs)
    assert bench_markdown.main(["--stories", "2", "--repeat", "1"]) == 1
    assert "same HTML: NO" in capsys.readouterr().out


def test_it_fails_when_the_direct_html_differs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench_markdown, "converted", lambda text: converted(text) + "!")
    assert bench_markdown.main(["--stories", "2", "--repeat", "1"]) == 1
    printed = capsys.readouterr().out
    assert "same HTML: yes" in printed
    assert "same HTML: NO" in printed


def test_it_runs_as_a_script() -> None:
    script = Path(__file__).resolve().parents[2] / "bench" / "markdown_speed.py"
    ran = subprocess.run(
        [sys.executable, str(script), "--stories", "3", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert "same HTML: yes" in ran.stdout
