"""The site settings (`content/site.yaml`), read once into one typed object."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from sitegen.classes import dataclass
from sitegen.content.yamltext import Field, load_mapping, plain, shown
from sitegen.errors import ContentError, Problem

SECTIONS = ("stories", "campaigns", "tags")
_LOCALES = {"en": "en_GB", "de": "de_DE", "pl": "pl_PL"}
_CODE = re.compile(r"^[a-z]{2}$")
_SEGMENT = re.compile(r"^[a-z0-9][a-z0-9-]*$")


# The most stories a list page or feed may show.
MOST = 10_000


@dataclass(frozen=True)
class Language:
    """One language of the site and its translated section names."""

    code: str
    name: str
    locale: str
    sections: dict[str, str]


@dataclass(frozen=True)
class SiteConfig:
    """Everything `site.yaml` says about the site."""

    title: str
    base_url: str
    default_language: str
    languages: tuple[Language, ...]
    stories_per_page: int = 10
    feed_entries: int = 20

    @property
    def codes(self) -> tuple[str, ...]:
        """Language codes, the default first."""
        return tuple(lang.code for lang in self.languages)

    def language(self, code: str) -> Language:
        """The language with this code."""
        return next(lang for lang in self.languages if lang.code == code)


DEFAULT_CONFIG = SiteConfig(
    title="Ask for Help",
    base_url="https://ask-for-help.example",
    default_language="en",
    languages=(Language("en", "English", "en_GB", {s: s for s in SECTIONS}),),
)


def parse_site_config(text: str, path: Path) -> SiteConfig:
    """Read the text of `site.yaml` into a SiteConfig."""
    fields = load_mapping(text, path)
    problems: list[Problem] = []
    check = _Checker(path, fields, problems)
    title = check.text("title")
    base_url = check.text("base_url").rstrip("/")
    if base_url and not base_url.startswith(("https://", "http://")):
        check.fail("base_url", "'base_url' must start with https://", "e.g. https://example.org")
    elif base_url and not _address(base_url):
        check.fail("base_url", "'base_url' is not a web address", "e.g. https://example.org")
    languages = _languages(path, fields.get("languages"), problems)
    default = check.text("default_language")
    if languages and default and default not in {lang.code for lang in languages}:
        check.fail("default_language", f"'default_language' {shown(default)} is not in 'languages'")
    per_page = check.positive("stories_per_page", 10)
    feed_entries = check.positive("feed_entries", 20)
    check.unknown({"title", "base_url", "default_language", "languages"} | _OPTIONAL)
    if problems:
        raise ContentError(problems)
    ordered = sorted(languages, key=lambda lang: lang.code != default)
    return SiteConfig(title, base_url, default, tuple(ordered), per_page, feed_entries)


_OPTIONAL = {"stories_per_page", "feed_entries"}


class _Checker:
    def __init__(self, path: Path, fields: dict[str, Field], problems: list[Problem]) -> None:
        self.path, self.fields, self.problems = path, fields, problems

    def fail(self, key: str, message: str, hint: str = "") -> None:
        line = self.fields[key].line if key in self.fields else 1
        self.problems.append(Problem(self.path, line, message, hint))

    def text(self, key: str) -> str:
        value = self.fields[key].value if key in self.fields else None
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.fail(key, f"'{key}' is required and must be text", f"add a line '{key}: ...'")
        return ""

    def positive(self, key: str, default: int) -> int:
        value = self.fields[key].value if key in self.fields else default
        number = value if isinstance(value, int) and not isinstance(value, bool) else 0
        if 0 < number <= MOST:
            return number
        if number > MOST:
            self.fail(key, f"'{key}' must be at most {MOST:,} (got {shown(value)})")
        else:
            self.fail(key, f"'{key}' must be a whole number above 0 (got {shown(value)})")
        return default

    def unknown(self, allowed: set[str]) -> None:
        for key in sorted(set(self.fields) - allowed):
            self.fail(key, f"unknown key '{key}'", f"allowed: {', '.join(sorted(allowed))}")


def _languages(path: Path, field: Field | None, problems: list[Problem]) -> list[Language]:
    if field is None or not isinstance(field.value, dict) or not field.value:
        hint = "list each language code with its 'name' and 'sections'"
        problems.append(Problem(path, field.line if field else 1, "'languages' is required", hint))
        return []
    result = []
    for code, entry in field.value.items():
        language = _language(path, code, entry, problems)
        if language:
            result.append(language)
    return result


def _language(path: Path, code: str, field: Field, problems: list[Problem]) -> Language | None:
    data = plain(field.value)
    before = len(problems)
    if not _CODE.fullmatch(code):
        problems.append(
            Problem(path, field.line, f"language code {shown(code)} must be two letters")
        )
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        problems.append(Problem(path, field.line, f"language '{code}' needs a 'name'"))
        return None
    sections = data.get("sections") or {}
    if not isinstance(sections, dict) or set(sections) != set(SECTIONS):
        hint = f"give 'sections' with exactly: {', '.join(SECTIONS)}"
        problems.append(Problem(path, field.line, f"language '{code}' has wrong 'sections'", hint))
        return None
    for segment in sections.values():
        if not isinstance(segment, str) or not _SEGMENT.fullmatch(segment):
            message = (
                f"section name {shown(segment)} of '{code}' must be lowercase letters, digits, -"
            )
            problems.append(Problem(path, field.line, message))
    if len(problems) > before:
        return None
    locale = data.get("locale") or _LOCALES.get(code, code)
    return Language(code, data["name"], str(locale), {str(k): str(v) for k, v in sections.items()})


def _address(url: str) -> bool:
    """Whether `url` has a host that urllib takes (it refuses `https://[x`)."""
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:
        return False
