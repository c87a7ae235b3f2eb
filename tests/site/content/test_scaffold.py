"""build.py new: drafts in the right folders that pass the check, and names it refuses."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "site" / "fixture"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "build.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)


def site(folder: Path) -> Path:
    shutil.copytree(FIXTURE, folder / "content")
    return folder


def test_a_new_story_is_a_draft_in_every_language(tmp_path: Path) -> None:
    made = run("new", "story", "kitchen-table", cwd=site(tmp_path))
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines() == [
        "wrote content/stories/kitchen-table.en.md",
        "wrote content/stories/kitchen-table.pl.md",
        "drafts: 'build.py serve --drafts' shows them; remove 'draft: true' to publish",
    ]
    text = (tmp_path / "content/stories/kitchen-table.pl.md").read_text("utf-8")
    assert text == (
        "---\n"
        'title: "Kitchen table"\n'
        f"date: {date.today()}\n"
        'summary: "A sentence or two for listings, feeds and link previews."\n'
        "tags: []\n"
        "draft: true\n"
        "---\n"
        "\n"
        "Write the story here, in Markdown.\n"
    )


def test_new_files_of_every_kind_pass_the_check_with_drafts(tmp_path: Path) -> None:
    site(tmp_path)
    for kind, slug in (("story", "s-1"), ("campaign", "c-1"), ("page", "help/p-1")):
        made = run("new", kind, slug, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
    checked = run("check", "--drafts", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    # In every language, of one day: no translation is missing or older.
    assert not {"stories/s-1", "campaigns/c-1", "pages/help/p-1"} & set(checked.stdout.split())
    page = (tmp_path / "content/pages/help/p-1.en.md").read_text("utf-8")
    assert f"updated: {date.today()}\n" in page
    assert "date:" not in page


def test_only_the_languages_asked_for(tmp_path: Path) -> None:
    made = run("new", "campaign", "winter", "--lang", "pl", cwd=site(tmp_path))
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in (tmp_path / "content/campaigns").iterdir()) == [
        "together.en.md",
        "winter.pl.md",
    ]


def test_a_name_taken_in_any_language_is_refused(tmp_path: Path) -> None:
    refused = run("new", "campaign", "together", "--lang", "pl", cwd=site(tmp_path))
    assert refused.returncode == 1
    assert refused.stderr == (
        "error: the campaign 'together' exists already: content/campaigns/together.en.md\n"
    )
    bare = run("new", "story", "two", cwd=tmp_path)
    assert bare.stderr == "error: the story 'two' exists already: content/stories/two.md\n"
    assert not (tmp_path / "content/stories/two.en.md").exists()


def test_a_name_that_is_not_url_safe_is_refused(tmp_path: Path) -> None:
    site(tmp_path)
    for slug in ("Kitchen--Table", "kitchen_table", "kitchen-", "küche", "a/b", "kitchen\n"):
        refused = run("new", "story", slug, cwd=tmp_path)
        assert refused.returncode == 1, slug
        assert refused.stderr.startswith(f"error: '{slug}' cannot be the name of a story: use")
    refused = run("new", "story", "Kitchen--Table", cwd=tmp_path)
    assert refused.stderr == (
        "error: 'Kitchen--Table' cannot be the name of a story: use lowercase letters a-z,"
        " digits and single hyphens, such as 'kitchen-table'\n"
    )
    assert sorted(p.name for p in (tmp_path / "content/stories").iterdir()) == sorted(
        p.name for p in (FIXTURE / "stories").iterdir()
    )


def test_a_language_the_site_does_not_have_is_refused(tmp_path: Path) -> None:
    refused = run("new", "page", "help", "--lang", "en,fr", cwd=site(tmp_path))
    assert refused.returncode == 1
    assert refused.stderr == "error: --lang fr: the site's languages are en, pl\n"
    assert not (tmp_path / "content/pages/help.en.md").exists()
