"""UI strings: the built-in English matches the site's, and every language is complete."""

from __future__ import annotations

from pathlib import Path

from functions.help_requests.contract import CONTRACT_PATH
from sitegen.content.i18n import StringsFile, check_languages, check_uses
from sitegen.content.load import DEFAULTS
from sitegen.content.yamltext import load_flat_strings
from sitegen.render.form import read_form
from sitegen.render.templates import required_strings

ROOT = Path(__file__).resolve().parents[3]


def strings(path: Path, lang: str) -> StringsFile:
    return StringsFile(lang, path, load_flat_strings(path.read_text("utf-8"), path))


def test_site_strings_are_complete_in_every_language() -> None:
    files = [strings(ROOT / "content/i18n" / f"{lang}.yaml", lang) for lang in ("en", "de", "pl")]
    assert check_languages(files) == []
    assert check_uses(files, required_strings(ROOT / "templates", read_form(CONTRACT_PATH))) == []


def test_built_in_english_has_the_same_keys_as_the_site() -> None:
    built_in = strings(DEFAULTS / "i18n/en.yaml", "en")
    site = strings(ROOT / "content/i18n/en.yaml", "en")
    ui_keys = {key for key in site.fields if not key.startswith("tag_names.")}
    assert set(built_in.fields) == ui_keys


def test_german_and_polish_are_written_with_their_letters() -> None:
    german = (ROOT / "content/i18n/de.yaml").read_text("utf-8")
    polish = (ROOT / "content/i18n/pl.yaml").read_text("utf-8")
    assert all(letter in german for letter in "äöü")
    assert all(letter in polish for letter in "ąęłóśźż")
