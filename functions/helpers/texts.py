"""The link pages' templates and strings: staged beside the e-mails' assets (`links/`).

`links/templates/` holds templates/links/, `links/strings/<lang>.json` each language's `links.`,
`topics.`, `date.` and `months.` strings as flat keys (sitegen/render/emails.py writes them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..shared.mail import ASSETS, MailAssets

FOLDER = "links"


@dataclass(frozen=True)
class PageTexts:
    """Each language's strings for the link pages, and where their templates are."""

    templates: Path
    strings: Mapping[str, Mapping[str, str]]

    @classmethod
    def load(cls, assets: Path = ASSETS) -> PageTexts:
        """Read `assets/links/` as the e-mails' assets are read; the templates when rendered."""
        read = MailAssets.load(assets / FOLDER)
        return cls(read.templates, read.strings)

    def of(self, lang: str) -> Mapping[str, str]:
        """The strings of `lang`, or English's when the language has none."""
        return self.strings.get(lang) or self.strings["en"]

    def t(self, lang: str, key: str, /, **values: object) -> str:
        """One string of `lang`, filled in."""
        text = self.of(lang)[key]
        return text.format(**values) if values else text

    def topic(self, lang: str, topic: str) -> str:
        """A topic's name in `lang` (its id when it has none)."""
        return self.of(lang).get(f"topics.{topic}", topic)

    def date(self, lang: str, day: date) -> str:
        """A date as `lang` writes it."""
        texts = self.of(lang)
        month = texts[f"months.{day.month}"]
        return texts["date.format"].format(day=day.day, month=month, year=day.year)
