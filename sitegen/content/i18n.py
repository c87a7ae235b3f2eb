"""UI strings per language: every key in every language, same placeholders everywhere."""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from sitegen.classes import dataclass
from sitegen.content.yamltext import Field
from sitegen.errors import ContentError, Problem, display_path

DATE_KEYS = ("date.format", *(f"months.{month}" for month in range(1, 13)))


@dataclass(frozen=True)
class StringsFile:
    """The strings of one language and the file they came from."""

    lang: str
    path: Path
    fields: dict[str, Field]


@dataclass(frozen=True)
class Use:
    """A place that needs a UI string: a template line, or the generator itself."""

    key: str
    path: Path
    line: int | None


class Translator:
    """Look up UI strings of one language: `t('stories.tagged', tag='jobs')`."""

    def __init__(self, lang: str, texts: Mapping[str, str], source: Path | None = None) -> None:
        self.lang = lang
        self.texts = dict(texts)
        # The file the texts come from, named in the problem of a placeholder nobody fills.
        self.source = source

    def __call__(self, key: str, /, **values: object) -> str:
        """The text for `key`, with `{name}` placeholders filled in from `values`; a
        ContentError when it has a placeholder `values` lacks."""
        text = self.texts[key]
        if not values:
            return text
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            given = ", ".join(f"{{{name}}}" for name in values)
            message = f"UI string '{key}' has a placeholder the site does not fill"
            hint = f"use only {given}"
            path = self.source or Path(f"i18n/{self.lang}.yaml")
            raise ContentError([Problem(path, None, message, hint)]) from exc

    def prefixed(self, prefix: str) -> dict[str, str]:
        """The strings whose keys start with `prefix`, keyed by the rest of the key."""
        return {k.removeprefix(prefix): v for k, v in self.texts.items() if k.startswith(prefix)}

    def date(self, day: date) -> str:
        """A date written the way this language writes it."""
        month = self.texts[f"months.{day.month}"]
        return self("date.format", day=day.day, month=month, year=day.year)


def check_languages(files: Iterable[StringsFile]) -> list[Problem]:
    """Every key must exist in every language, with the same placeholders, each a plain
    `{name}`."""
    files = list(files)
    problems: list[Problem] = []
    # Each text's placeholders, read once: by file and key.
    found = {(f.path, k): _placeholders(str(v.value)) for f in files for k, v in f.fields.items()}
    for (path, key), (_, plain) in found.items():
        if not plain:
            line = next(f.fields[key].line for f in files if f.path == path)
            hint = "write each placeholder as {name}, and a brace as {{ or }}"
            message = f"'{key}' has a placeholder other than {{name}}"
            problems.append(Problem(path, line, message, hint))
    for key in sorted({key for f in files for key in f.fields}):
        having = [f for f in files if key in f.fields]
        first = having[0]
        wanted_names = found[first.path, key][0]
        for f in files:
            if key not in f.fields:
                where = f"{display_path(first.path)}:{first.fields[key].line}"
                hint = f"{where} has it; add the text for '{f.lang}'"
                problems.append(Problem(f.path, None, f"missing UI string '{key}'", hint))
            elif found[f.path, key][0] != wanted_names:
                wanted = ", ".join(sorted(wanted_names)) or "none"
                message = (
                    f"'{key}' must use the placeholders of {display_path(first.path)} ({wanted})"
                )
                problems.append(Problem(f.path, f.fields[key].line, message))
    return problems


def check_uses(files: Iterable[StringsFile], uses: Iterable[Use]) -> list[Problem]:
    """Every key that templates or the generator use must be defined."""
    defined = {key for f in files for key in f.fields}
    hint = "add it to every file in the i18n folder"
    return [
        Problem(use.path, use.line, f"UI string '{use.key}' is not defined", hint)
        for use in uses
        if use.key not in defined
    ]


def translators(files: Iterable[StringsFile]) -> dict[str, Translator]:
    """One translator per language."""
    return {
        f.lang: Translator(f.lang, {k: str(v.value) for k, v in f.fields.items()}, f.path)
        for f in files
    }


def _placeholders(text: str) -> tuple[frozenset[str], bool]:
    """The names of a text's placeholders, and whether each is a plain `{name}`: no `{0}`,
    `{a.b}`, `{a[0]}`, `{a!r}` or `{a:>9}`, which filling it in would fail on, or reach into
    what it is given."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:  # an unmatched brace
        return frozenset({"(unbalanced braces)"}), False
    names = frozenset(name for _, name, _, _ in parsed if name is not None)
    plain = all(
        name is None or (name.isidentifier() and not spec and conversion is None)
        for _, name, spec, conversion in parsed
    )
    return names, plain
