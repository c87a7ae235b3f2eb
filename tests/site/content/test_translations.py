"""The translation report of build.py check: missing languages and outdated translations."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from sitegen.content.config import DEFAULT_CONFIG, parse_site_config
from sitegen.content.schema import Document
from sitegen.content.translations import find_gaps, format_table, gap_problems

ROOT = Path(__file__).resolve().parents[3]
SITE = """title: Three languages
base_url: https://example.org
default_language: en
languages:
  en: {name: English, sections: {stories: stories, campaigns: campaigns, tags: tags}}
  de: {name: Deutsch, sections: {stories: geschichten, campaigns: kampagnen, tags: themen}}
  pl: {name: Polski, sections: {stories: historie, campaigns: kampanie, tags: tematy}}
"""
FILES = {
    # The English text changed on 1 November; German caught up, Polish did not.
    "stories/rewritten.en.md": "title: Rewritten\ndate: 2020-01-01\nupdated: 2026-11-01",
    "stories/rewritten.de.md": "title: Neu\ndate: 2020-01-01\nupdated: 2026-11-02",
    "stories/rewritten.pl.md": "title: Nowa\ndate: 2020-01-01",
    "stories/settled.en.md": "title: Settled\ndate: 2020-01-01",
    "stories/settled.de.md": "title: Fertig\ndate: 2020-01-01",
    "stories/settled.pl.md": "title: Gotowe\ndate: 2020-01-01",
    "pages/about.en.md": "title: About",
    "pages/about.de.md": "title: Über uns",
    "stories/unpublished.en.md": "title: Draft\ndate: 2020-01-01\ndraft: true",
}


def site(folder: Path) -> Path:
    content = folder / "content"
    shutil.copytree(ROOT / "content" / "i18n", content / "i18n")
    (content / "site.yaml").write_text(SITE, "utf-8")
    for name, front in FILES.items():
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        (content / name).write_text(f"---\n{front}\nsummary: S.\n---\nText.\n", "utf-8")
    return folder


def check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "build.py"), "check", "--annotations", "none", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)


def test_check_lists_missing_and_older_translations_after_its_ok_line(tmp_path: Path) -> None:
    checked = check(cwd=site(tmp_path))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[1:] == [
        "translations: 2 of 3 texts missing a language or older than en",
        "  text               en  de  pl",
        "  stories/rewritten  ok  ok  older",
        "  pages/about        ok  ok  missing",
    ]


def test_drafts_count_only_when_published(tmp_path: Path) -> None:
    checked = check("--drafts", cwd=site(tmp_path))
    assert checked.returncode == 0, checked.stderr
    assert "  stories/unpublished  ok  missing  missing" in checked.stdout.splitlines()


def test_strict_makes_every_gap_a_content_error(tmp_path: Path) -> None:
    checked = check("--strict", cwd=site(tmp_path))
    assert checked.returncode == 1
    assert checked.stdout == ""
    assert checked.stderr == (
        "content/pages/about.en.md:1: no 'pl' translation\n"
        "  hint: translate it into about.pl.md beside it\n"
        "content/stories/rewritten.pl.md:3: the 'pl' translation is older than the 'en' text"
        " (2020-01-01 before 2026-11-01)\n"
        "  hint: bring it up to date with rewritten.en.md, then set 'updated: 2026-11-01'\n"
        "2 errors; nothing was written.\n"
    )


def test_strict_reports_gaps_with_the_other_content_errors(tmp_path: Path) -> None:
    folder = site(tmp_path)
    about = folder / "content" / "pages" / "about.en.md"
    about.write_text("---\ntitle: About\nsummary: S.\n---\n[Gone](/en/gone/)\n", "utf-8")
    checked = check("--strict", cwd=folder)
    assert checked.returncode == 1
    assert checked.stderr.startswith("content/pages/about.en.md:1: no 'pl' translation\n")
    assert "content/pages/about.en.md:5: the link '/en/gone/' leads" in checked.stderr
    assert checked.stderr.endswith("3 errors; nothing was written.\n")


def test_a_translation_without_its_original_is_reported_at_itself(tmp_path: Path) -> None:
    folder = site(tmp_path)
    (folder / "content" / "pages" / "about.en.md").unlink()
    checked = check("--strict", cwd=folder)
    assert checked.stderr.splitlines()[:2] == [
        "content/pages/about.de.md:1: no 'en' text of which this is a translation",
        "  hint: write about.en.md, the text its translations follow",
    ]


def test_a_translation_of_the_same_day_is_up_to_date(tmp_path: Path) -> None:
    content = site(tmp_path) / "content"
    for name in ("pages/about.en.md", "pages/about.de.md"):
        (content / name).unlink()
    polish = content / "stories" / "rewritten.pl.md"
    polish.write_text(
        polish.read_text("utf-8").replace("\nsummary", "\nupdated: 2026-11-01\nsummary")
    )
    checked = check(cwd=tmp_path)
    assert checked.stdout.splitlines()[1:] == [
        "translations: all 2 texts in every language, none older than en"
    ]


def test_a_site_in_one_language_has_no_report() -> None:
    about = Document("pages", "about", "en", Path("about.md"), "About", "S.")
    report = find_gaps([about], DEFAULT_CONFIG)
    assert (report.texts, report.gaps) == (1, ())
    assert format_table(report) == ""


def test_an_outdated_translation_is_reported_at_its_updated_line() -> None:
    config = parse_site_config(SITE, Path("site.yaml"))
    original = Document(
        "pages", "about", "en", Path("about.en.md"), "About", "S.", updated=date(2026, 11, 1)
    )
    german = Document(
        "pages",
        "about",
        "de",
        Path("about.de.md"),
        "Über",
        "S.",
        updated=date(2026, 10, 1),
        lines=(("title", 2), ("updated", 4)),
    )
    [stale, missing] = gap_problems(find_gaps([german, original], config))
    assert stale.format() == (
        "about.de.md:4: the 'de' translation is older than the 'en' text"
        " (2026-10-01 before 2026-11-01)\n"
        "  hint: bring it up to date with about.en.md, then set 'updated: 2026-11-01'"
    )
    assert missing.format() == (
        "about.en.md:1: no 'pl' translation\n  hint: translate it into about.pl.md beside it"
    )
