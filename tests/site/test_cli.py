"""build.py on the command line: defaults for a folder of bare stories, check, progress, help."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORY = """---
title: Story {n}
date: 2020-01-{day:02d}
tags: [jobs, tag-{m}]
summary: Summary {n}.
---
Body of story {n}.
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "build.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)


def stories_only(folder: Path, count: int) -> Path:
    (folder / "stories").mkdir(parents=True)
    for n in range(count):
        text = STORY.format(n=n, day=n % 28 + 1, m=n % 3)
        (folder / "stories" / f"story-{n}.md").write_text(text, "utf-8")
    return folder


def test_builds_a_folder_of_bare_stories_with_defaults(tmp_path: Path) -> None:
    content = stories_only(tmp_path / "corpus", 25)
    built = run("build", "--content", "corpus", "--output", "out", "--progress", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "rendering pages 37/37" in built.stderr
    out = tmp_path / "out"
    assert (out / "en/stories/story-3/index.html").is_file()
    assert (out / "en/stories/page/3/index.html").is_file()
    assert (out / "en/tags/tag-1/index.html").is_file()
    assert (out / "en/feed.xml").is_file()
    assert not (content / "out").exists()
    again = run("build", "--content", "corpus", "--output", "out", cwd=tmp_path)
    assert "0 written" in again.stdout
    assert again.stderr == ""


def test_build_is_the_default_command(tmp_path: Path) -> None:
    stories_only(tmp_path / "corpus", 1)
    built = run("--content", "corpus", "--output", "site", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "site/en/index.html").is_file()


def test_check_writes_nothing(tmp_path: Path) -> None:
    stories_only(tmp_path / "corpus", 2)
    checked = run("check", "--content", "corpus", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("ok: 9 pages")
    assert [p.name for p in tmp_path.iterdir()] == ["corpus"]


def test_help_documents_every_option(tmp_path: Path) -> None:
    shown = run("build", "--help", cwd=tmp_path).stdout
    for option in ("--content", "--output", "--drafts", "--future", "--progress", "--cache"):
        assert option in shown
    assert "check" in run("--help", cwd=tmp_path).stdout


def test_a_file_that_cannot_be_written_is_an_error_line_not_a_traceback(tmp_path: Path) -> None:
    stories_only(tmp_path / "corpus", 2)
    (tmp_path / "a-file").write_text("in the way")
    built = run("build", "--content", "corpus", "--output", "a-file/public", cwd=tmp_path)
    assert built.returncode == 1
    assert built.stderr.startswith("error: [Errno")
    assert "a-file" in built.stderr
    assert "Traceback" not in built.stderr
    assert (tmp_path / "a-file").read_text() == "in the way"


def test_check_writes_nothing_even_for_images_it_has_not_made(tmp_path: Path) -> None:
    checked = run("check", "--content", str(ROOT / "content"), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "nothing written" in checked.stdout
    assert list(tmp_path.iterdir()) == []


def test_a_template_syntax_error_is_an_error_line_not_a_traceback(tmp_path: Path) -> None:
    stories_only(tmp_path / "corpus", 2)
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    base = tmp_path / "templates" / "base.html"
    lines = base.read_text("utf-8").splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if "{% block main %}" in line)
    lines[at] = lines[at].replace("{% endblock %}", "{% endblok %}")
    base.write_text("".join(lines), "utf-8")
    args = ("--content", "corpus", "--templates", "templates", "--output", "out")
    built = run("build", *args, cwd=tmp_path)
    assert built.returncode == 1
    assert built.stderr.startswith(f"templates/base.html:{at + 1}: Encountered unknown tag")
    assert "Traceback" not in built.stderr
    assert not (tmp_path / "out").exists()
    base.write_text("".join(lines).replace("{% endblok %}", "{% endblock %}"), "utf-8")
    # The e-mails' templates, which the functions render, are checked by the build too.
    mail = tmp_path / "templates" / "email" / "_base.txt"
    mail.write_text("{% if %}" + mail.read_text("utf-8"), "utf-8")
    built = run("build", *args, cwd=tmp_path)
    assert built.returncode == 1
    assert built.stderr.startswith("templates/email/_base.txt:1: Expected an expression")
    # Named from within the templates folder, whose files the scan then names `./…`.
    here = ("--content", "../corpus", "--templates", ".")
    checked = run("check", *here, cwd=tmp_path / "templates")
    assert checked.returncode == 1
    assert checked.stderr.startswith("email/_base.txt:1: Expected an expression")
    shutil.copy(ROOT / "templates" / "email" / "_base.txt", mail)
    assert run("build", *args, cwd=tmp_path).returncode == 0
