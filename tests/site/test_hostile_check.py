"""Inputs that once ended a build with a traceback: each is now a content error at its file,
or a page built as usual."""

from __future__ import annotations

import shutil
import struct
import sys
import zlib
from datetime import date
from pathlib import Path

import pytest

from sitegen.content.load import PAGE_DEPTH
from sitegen.errors import ContentError
from sitegen.incremental.builder import check_site
from sitegen.options import BuildOptions

ROOT = Path(__file__).resolve().parents[2]
HEADER = "---\ntitle: Hi\ndate: 2020-01-01\nsummary: S\n"


def _check(content: Path) -> list[str]:
    """The problems `build.py check` finds, as `file:line: message`; [] when none."""
    options = BuildOptions(content=content, output=content.parent / "out", today=date(2024, 1, 1))
    try:
        check_site(options)
    except ContentError as error:
        caught = error
    else:
        return []
    assert caught.format().endswith("nothing was written.")  # as the command prints it
    return [f"{p.path.name}:{p.line}: {p.message}" for p in caught.problems]


def _story(content: Path, text: str, name: str = "x.md") -> None:
    (content / "stories").mkdir(parents=True, exist_ok=True)
    (content / "stories" / name).write_text(text)


@pytest.mark.parametrize("link", ["[link](//[bad)", "[link](//a]b)", "![x](//[x)", "[a](//a℀b/)"])
def test_a_link_or_image_with_a_host_urllib_refuses_is_no_crash(tmp_path: Path, link: str) -> None:
    _story(tmp_path, f"{HEADER}---\nA {link} here.\n")
    problems = _check(tmp_path)
    # A link off the site is not checked; an image that is no file of images/ is a problem.
    assert all(problem.startswith("x.md:") for problem in problems), problems


def test_a_source_or_base_url_with_a_host_urllib_refuses_is_a_problem_or_off_the_site(
    tmp_path: Path,
) -> None:
    _story(tmp_path, f"{HEADER}source:\n  name: N\n  url: 'https://[x'\n---\nText.\n")
    assert _check(tmp_path) == []
    (tmp_path / "site.yaml").write_text(
        (ROOT / "tests/site/fixture/site.yaml")
        .read_text()
        .replace("base_url: https://example.org", "base_url: https://[::1")
    )
    assert any("'base_url' is not a web address" in p for p in _check(tmp_path))


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims a size and holds no pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_an_image_claiming_more_pixels_than_pillow_opens_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "big.png").write_bytes(_png_header(30000, 30000))
    _story(tmp_path, f"{HEADER}image: big.png\nimage_alt: Big\n---\nText.\n")
    assert any(p.startswith("big.png:None: cannot use this image") for p in _check(tmp_path))


def test_a_whole_number_of_thousands_of_digits_is_quoted_by_name(tmp_path: Path) -> None:
    _story(tmp_path, "---\ntitle: 0x" + "f" * 3600 + "\ndate: 2020-01-01\nsummary: S\n---\nT.\n")
    assert _check(tmp_path) == ["x.md:2: 'title' must be text (got a number too long to show)"]


def test_stories_per_page_has_a_ceiling(tmp_path: Path) -> None:
    settings = (ROOT / "tests/site/fixture/site.yaml").read_text()
    assert "stories_per_page: " in settings
    huge = f"stories_per_page: 0x{'f' * 3600}\n"
    lines = [
        huge if line.startswith("stories_per_page:") else line for line in settings.splitlines(True)
    ]
    (tmp_path / "site.yaml").write_text("".join(lines))
    shutil.copytree(ROOT / "tests/site/fixture/i18n", tmp_path / "i18n")
    _story(tmp_path, f"{HEADER}---\nText.\n")
    problems = _check(tmp_path)
    assert any("'stories_per_page' must be at most 10,000" in p for p in problems), problems


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  title: Stories\n", "", "UI string 'stories.title' is not defined"),
        ("about “{tag}”\n", "about {tag:d}\n", "'stories.tagged' has a placeholder other than"),
        ("about “{tag}”\n", "about {tag.upper.__globals__}\n", "a placeholder other than"),
        ("about “{tag}”\n", "about {0}\n", "has a placeholder other than"),
        ("about “{tag}”\n", "about {tagg}\n", "'stories.tagged' has a placeholder the site"),
    ],
)
def test_ui_strings_the_site_fills_in_itself_are_checked(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    strings = (ROOT / "content/i18n/en.yaml").read_text()
    assert old in strings
    (tmp_path / "i18n").mkdir()
    (tmp_path / "i18n" / "en.yaml").write_text(strings.replace(old, new, 1))
    _story(tmp_path, f"{HEADER}tags: [jobs]\n---\nText.\n")
    problems = _check(tmp_path)
    assert any(expected in problem for problem in problems), problems


def test_an_image_file_name_that_is_not_utf8_is_no_crash(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    # As a file system that is not UTF-8 gives it: a lone surrogate for the byte 0xff.
    (tmp_path / "images" / "\udcff.jpg").write_bytes(b"")
    _story(tmp_path, f"{HEADER}---\nText.\n")
    assert _check(tmp_path) == []


def test_a_strings_file_linked_to_itself_is_named_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "i18n").mkdir()
    (tmp_path / "i18n" / "en.yaml").symlink_to("en.yaml")
    _story(tmp_path, f"{HEADER}---\nText.\n")
    problems = _check(tmp_path)
    assert any(problem.startswith("en.yaml:") for problem in problems), problems


def test_folders_deeper_than_pythons_recursion_limit_are_a_problem_not_a_crash(
    tmp_path: Path,
) -> None:
    deep = tmp_path.joinpath("stories", *["d"] * 300)
    deep.mkdir(parents=True)
    (deep / "x.md").write_text(f"{HEADER}---\nText.\n")
    # A lower limit than the depth, rather than a tree deeper than the usual one, which the
    # clean-up of temporary folders (shutil.rmtree, itself recursive) could not remove.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(250)
    try:
        problems = _check(tmp_path)
    finally:
        sys.setrecursionlimit(limit)
    assert problems == ["x.md:None: stories cannot be in subfolders"]


def test_a_file_name_ending_in_a_line_break_is_a_problem(tmp_path: Path) -> None:
    _story(tmp_path, f"{HEADER}---\nText.\n", name="two\n.md")
    assert _check(tmp_path) == [
        "two\n.md:None: 'two\n' must be lowercase letters, digits and single hyphens"
    ]


def test_a_section_name_or_language_code_ending_in_a_line_break_is_a_problem(
    tmp_path: Path,
) -> None:
    (tmp_path / "site.yaml").write_text(
        "title: T\nbase_url: https://example.org\ndefault_language: en\nlanguages:\n"
        '  en: {name: English, sections: {stories: "stories\\n", campaigns: c, tags: t}}\n'
        '  "pl\\n": {name: Polski, sections: {stories: s, campaigns: c, tags: t}}\n'
    )
    _story(tmp_path, f"{HEADER}---\nText.\n")
    problems = _check(tmp_path)
    assert (
        "site.yaml:5: section name 'stories\\n' of 'en' must be lowercase letters, digits, -"
        in problems
    )
    assert "site.yaml:6: language code 'pl\\n' must be two letters" in problems


def test_a_page_may_be_32_folders_deep_and_no_deeper(tmp_path: Path) -> None:
    page = "---\ntitle: Deep\nsummary: S\n---\nText.\n"
    fine = tmp_path.joinpath("pages", *["p"] * (PAGE_DEPTH - 1))
    fine.mkdir(parents=True)
    (fine / "fine.md").write_text(page)
    assert _check(tmp_path) == []
    (fine / "p").mkdir()
    (fine / "p" / "deep.md").write_text(page)
    assert _check(tmp_path) == ["deep.md:None: the page is in too many subfolders"]
