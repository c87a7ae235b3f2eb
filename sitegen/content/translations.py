"""Which texts lack a language, or have a translation older than the default language's text.

A text's revision is its `updated` date, else its `date`: editors set `updated` on the original
when its text changes in substance, and on a translation when it has caught up."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sitegen.classes import dataclass
from sitegen.content.config import SiteConfig
from sitegen.content.load import KINDS
from sitegen.content.schema import Document
from sitegen.errors import Problem

MISSING, OLDER = "missing", "older"


@dataclass(frozen=True)
class Gap:
    """One language of a text that is missing or older than the original, as a problem."""

    kind: str
    slug: str
    lang: str
    state: str
    problem: Problem


@dataclass(frozen=True)
class TranslationReport:
    """How many texts there are in the site's languages, and every gap among them."""

    languages: tuple[str, ...]
    texts: int
    gaps: tuple[Gap, ...]


def revised(doc: Document) -> date | None:
    """When the text last changed in substance: `updated`, else `date`."""
    return doc.updated or doc.date


def find_gaps(documents: Iterable[Document], config: SiteConfig) -> TranslationReport:
    """Compare every text's translations with its default-language file."""
    texts: dict[tuple[str, str], dict[str, Document]] = {}
    for doc in documents:
        texts.setdefault((doc.kind, doc.slug), {})[doc.lang] = doc
    order = sorted(texts, key=lambda text: (KINDS.index(text[0]), text[1]))
    gaps = [gap for text in order for gap in _gaps(texts[text], config)]
    return TranslationReport(config.codes, len(texts), tuple(gaps))


def _gaps(by_lang: dict[str, Document], config: SiteConfig) -> list[Gap]:
    default = config.default_language
    original = by_lang.get(default)
    gaps = []
    for code in config.codes:
        doc = by_lang.get(code)
        if doc is None and original is not None:
            gaps.append(_gap(original, code, MISSING, _missing(original, code)))
        elif doc is None:
            sibling = next(iter(by_lang.values()))
            gaps.append(_gap(sibling, code, MISSING, _no_original(sibling, default)))
        elif original is not None and _older(doc, original):
            gaps.append(_gap(doc, code, OLDER, _stale(original, doc)))
    return gaps


def _gap(doc: Document, lang: str, state: str, problem: Problem) -> Gap:
    return Gap(doc.kind, doc.slug, lang, state, problem)


def _older(translation: Document, original: Document) -> bool:
    base, own = revised(original), revised(translation)
    return base is not None and (own is None or own < base)


def format_table(report: TranslationReport) -> str:
    """The texts with gaps, a column per language; empty for a site in one language."""
    if len(report.languages) < 2:
        return ""
    default = report.languages[0]
    if not report.gaps:
        return (
            f"translations: all {report.texts} texts in every language, none older than {default}"
        )
    rows = _rows(report)
    heading = (
        f"translations: {len(rows)} of {report.texts} texts"
        f" missing a language or older than {default}"
    )
    return "\n".join([heading, *_aligned([["text", *report.languages], *rows])])


def _rows(report: TranslationReport) -> list[list[str]]:
    states = {(gap.kind, gap.slug, gap.lang): gap.state for gap in report.gaps}
    texts = dict.fromkeys((gap.kind, gap.slug) for gap in report.gaps)
    return [
        [f"{kind}/{slug}", *(states.get((kind, slug, code), "ok") for code in report.languages)]
        for kind, slug in texts
    ]


def _aligned(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(map(str.ljust, row, widths)).rstrip() for row in rows]


def gap_problems(report: TranslationReport) -> list[Problem]:
    """Every gap as a content error, at the file to change."""
    return [gap.problem for gap in report.gaps]


def _stale(original: Document, translation: Document) -> Problem:
    base, own = revised(original), revised(translation)
    message = (
        f"the '{translation.lang}' translation is older than the '{original.lang}' text"
        f" ({own or 'no date'} before {base})"
    )
    hint = f"bring it up to date with {original.path.name}, then set 'updated: {base}'"
    return Problem(translation.path, translation.line_of("updated", "date"), message, hint)


def _missing(original: Document, lang: str) -> Problem:
    hint = f"translate it into {_file_name(original, lang)} beside it"
    return Problem(original.path, 1, f"no '{lang}' translation", hint)


def _no_original(translation: Document, default: str) -> Problem:
    hint = f"write {_file_name(translation, default)}, the text its translations follow"
    return Problem(translation.path, 1, f"no '{default}' text of which this is a translation", hint)


def _file_name(doc: Document, lang: str) -> str:
    return f"{doc.slug.rpartition('/')[2]}.{lang}.md"
