"""Each folder in tests/content/ is broken content; its expected.txt is the exact report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sitegen.errors import ContentError
from sitegen.incremental.builder import check_site
from sitegen.options import BuildOptions

ROOT = Path(__file__).resolve().parents[3]
CASES = ROOT / "tests" / "content"
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "expected.txt").is_file())


@pytest.mark.parametrize("case", NAMES)
def test_reports_every_problem_exactly(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CASES)
    with pytest.raises(ContentError) as caught:
        check_site(BuildOptions(content=Path(case), cache=tmp_path / "cache"))
    expected = (CASES / case / "expected.txt").read_text("utf-8")
    assert caught.value.format() + "\n" == expected


def test_cli_exits_1_and_leaves_the_output_as_it_was(tmp_path: Path) -> None:
    output = tmp_path / "public"
    built = subprocess.run(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "build",
            "--content",
            str(CASES / "broken_link"),
            "--output",
            str(output),
            "--cache",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=CASES,
    )
    assert built.returncode == 1
    assert built.stderr.startswith("broken_link/stories/x.md:6: the link '/en/nowhere/' leads")
    assert built.stderr.endswith("2 errors; nothing was written.\n")
    assert not output.exists()


def test_there_is_a_case_for_every_kind_of_error() -> None:
    assert {
        "bad_date",
        "missing_required",
        "unknown_key",
        "wrong_types",
        "duplicate_url",
        "missing_image",
        "missing_image_alt",
        "missing_ui_string",
        "all_at_once",
    } <= set(NAMES)
