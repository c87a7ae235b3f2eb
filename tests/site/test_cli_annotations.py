"""build.py in GitHub Actions: content errors become annotations at their file and line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BROKEN = """---
title: A story
date: yesterday
summary: It went well.
---
Text.
"""


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "build.py"), *args]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")} | env
    return subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=cwd, env=environment
    )


def broken_site(folder: Path) -> Path:
    (folder / "content" / "stories").mkdir(parents=True)
    (folder / "content" / "stories" / "late.md").write_text(BROKEN, "utf-8")
    return folder


def test_check_in_github_actions_prints_an_annotation_per_problem(tmp_path: Path) -> None:
    checked = run("check", cwd=broken_site(tmp_path), GITHUB_ACTIONS="true")
    assert checked.returncode == 1
    assert checked.stdout == (
        "::error file=content/stories/late.md,line=3,title=Content error::"
        "content/stories/late.md:3: 'date' must be a date like 2019-11-29 (got 'yesterday')"
        "%0A  hint: write the date as YEAR-MONTH-DAY\n"
    )
    assert checked.stderr == "1 error; nothing was written.\n"


def test_annotation_paths_are_relative_to_the_workspace(tmp_path: Path) -> None:
    site = broken_site(tmp_path)
    built = run(
        "build",
        "--content",
        ".",
        "--output",
        str(tmp_path / "public"),
        "--cache",
        str(tmp_path / "cache"),
        cwd=site / "content",
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(site),
    )
    assert built.returncode == 1
    assert built.stdout.startswith("::error file=content/stories/late.md,line=3,")


def test_the_flag_chooses_over_the_environment(tmp_path: Path) -> None:
    site = broken_site(tmp_path)
    plain = run("check", "--annotations", "none", cwd=site, GITHUB_ACTIONS="true")
    assert plain.stdout == ""
    assert plain.stderr.startswith("content/stories/late.md:3: 'date' must be a date")
    forced = run("check", "--annotations", "github", cwd=site)
    assert forced.stdout.startswith("::error file=content/stories/late.md,line=3,")
    outside = run("check", cwd=site)
    assert outside.stdout == ""
    assert outside.stderr.endswith("1 error; nothing was written.\n")


def test_other_errors_are_annotations_too(tmp_path: Path) -> None:
    (tmp_path / "public").write_text("a file where the output folder goes", "utf-8")
    built = run("build", "--content", "nowhere", cwd=tmp_path, GITHUB_ACTIONS="true")
    assert built.returncode == 1
    assert (
        built.stdout
        == "::error title=Build error::public: the output path is a file, not a folder\n"
    )
    assert built.stderr == ""


def test_a_file_name_that_is_not_utf8_is_annotated_escaped(tmp_path: Path) -> None:
    site = broken_site(tmp_path)
    stories = os.fsencode(site / "content" / "stories")
    with open(os.path.join(stories, b"bad-\xff.md"), "wb") as file:
        file.write(b"---\ntitle: A story\n---\nText.\n")
    # A strict UTF-8 stdout, as the runner's pipe is.
    checked = run("check", cwd=site, GITHUB_ACTIONS="true", PYTHONIOENCODING="utf-8")
    assert checked.returncode == 1
    assert "Traceback" not in checked.stderr
    lines = checked.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::error file=content/stories/bad-\\udcff.md,title=Content error::")
    assert lines[1].startswith("::error file=content/stories/late.md,line=3,")
