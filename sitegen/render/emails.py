"""The e-mails' templates (`templates/email/`) against the UI strings: every string an e-mail
uses must exist in every language, and the assets the functions ship are made from both."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from sitegen.content.i18n import StringsFile, Use
from sitegen.errors import Problem, display_path

EMAIL_FOLDER = "email"
# The strings an e-mail may use: its own, and those `date()` writes a date with.
MAIL_PREFIXES = ("email.", "date.", "months.")
SUFFIXES = (".txt", ".html")
_T_CALL = re.compile(r"""\bt\(\s*['"]([\w.-]+)['"]\s*[,)]""")


def email_templates(templates_dir: Path) -> list[Path]:
    """Every e-mail template file, text and HTML, in name order."""
    folder = templates_dir / EMAIL_FOLDER
    return sorted(p for p in folder.glob("*") if p.suffix in SUFFIXES and p.is_file())


def email_uses(templates_dir: Path) -> list[Use]:
    """Every `t('key')` an e-mail template calls with a literal key, with its line."""
    uses = []
    for path in email_templates(templates_dir):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            uses += [Use(key, path, number) for key in _T_CALL.findall(line)]
    return uses


def check_email_strings(templates_dir: Path, strings: Iterable[StringsFile]) -> list[Problem]:
    """A problem at the template's line for each language that lacks a string it uses."""
    files = list(strings)
    problems = []
    for use in email_uses(templates_dir):
        for file in files:
            if use.key not in file.fields:
                hint = f"add '{use.key}' to {display_path(file.path)}"
                message = f"e-mail string '{use.key}' is missing in '{file.lang}'"
                problems.append(Problem(use.path, use.line, message, hint))
        if not use.key.startswith(MAIL_PREFIXES):
            hint = f"e-mails ship only strings under {', '.join(MAIL_PREFIXES)}"
            problems.append(Problem(use.path, use.line, f"'{use.key}' is not a mail string", hint))
    return problems


def mail_strings(strings: Iterable[StringsFile]) -> dict[str, dict[str, str]]:
    """Each language's strings that e-mails use, by flat key."""
    return {
        file.lang: {
            key: str(field.value)
            for key, field in sorted(file.fields.items())
            if key.startswith(MAIL_PREFIXES)
        }
        for file in strings
    }


def write_mail_assets(
    templates_dir: Path, strings: Mapping[str, Mapping[str, str]], out: Path
) -> None:
    """The folder the functions render e-mails from: `templates/` and `strings/<lang>.json`."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(templates_dir / EMAIL_FOLDER, out / "templates")
    (out / "strings").mkdir()
    for lang, texts in strings.items():
        text = json.dumps(dict(texts), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        (out / "strings" / f"{lang}.json").write_text(text, encoding="utf-8")


def make_mail_assets(content_dir: Path, templates_dir: Path, out: Path) -> None:
    """Check the e-mails' strings in every language, then write their assets to `out`."""
    from sitegen.content.load import load_config, load_strings
    from sitegen.errors import ContentError

    problems: list[Problem] = []
    strings = load_strings(content_dir, load_config(content_dir), problems)
    problems += check_email_strings(templates_dir, strings)
    if problems:
        raise ContentError(problems)
    write_mail_assets(templates_dir, mail_strings(strings), out)
