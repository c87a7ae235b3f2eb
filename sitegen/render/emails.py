"""The e-mails' templates (`templates/email/`) and the pages behind their links
(`templates/links/`) against the UI strings: every string they use must exist in every
language, and the assets the functions ship are made from both."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from sitegen.content.i18n import StringsFile, Use
from sitegen.content.load import read_text
from sitegen.errors import ContentError, Problem, display_path, template_problem

EMAIL_FOLDER = "email"
LINKS_FOLDER = "links"
# The strings an e-mail may use: its own, and those `date()` writes a date with.
MAIL_PREFIXES = ("email.", "date.", "months.")
# The strings a link's page may use: its own, the topics' names, and dates'.
PAGE_PREFIXES = ("links.", "topics.", "date.", "months.")
SUFFIXES = (".txt", ".html")
_T_CALL = re.compile(r"""\bt\(\s*['"]([\w.-]+)['"]\s*[,)]""")


def email_templates(templates_dir: Path) -> list[Path]:
    """Every e-mail template file, text and HTML, in name order."""
    folder = templates_dir / EMAIL_FOLDER
    return sorted(p for p in folder.glob("*") if p.suffix in SUFFIXES and p.is_file())


def link_templates(templates_dir: Path) -> list[Path]:
    """Every template of the links' pages, in name order."""
    return sorted(p for p in (templates_dir / LINKS_FOLDER).glob("*.html") if p.is_file())


def email_uses(templates_dir: Path) -> list[Use]:
    """Every `t('key')` an e-mail template calls with a literal key, with its line."""
    return _uses(email_templates(templates_dir))


def link_uses(templates_dir: Path) -> list[Use]:
    """Every `t('key')` a link page's template calls with a literal key, with its line."""
    return _uses(link_templates(templates_dir))


def _uses(paths: Iterable[Path]) -> list[Use]:
    uses = []
    for path in paths:
        try:
            text = read_text(path)
        except ContentError:
            continue  # a problem of `syntax_problems`
        for number, line in enumerate(text.splitlines(), 1):
            uses += [Use(key, path, number) for key in _T_CALL.findall(line)]
    return uses


def syntax_problems(templates_dir: Path, changed: Callable[[Path], bool]) -> list[Problem]:
    """A problem at its line for each template of the e-mails and the links' pages that does
    not compile as the functions' Jinja compiles it (a syntax error, an unknown filter, a
    block defined twice), or cannot be read as UTF-8. Only those `changed` says may have
    changed are compiled: the others compiled in the build that last passed."""
    return compile_problems(to_compile(templates_dir, changed))


def to_compile(templates_dir: Path, changed: Callable[[Path], bool]) -> list[Path]:
    """The templates of the e-mails and the links' pages that `changed` says may have changed."""
    every = [*email_templates(templates_dir), *link_templates(templates_dir)]
    return [path for path in every if changed(path)]


def compile_problems(paths: Iterable[Path]) -> list[Problem]:
    """`syntax_problems` of these templates (a build has another process compile them)."""
    import jinja2

    # As functions.shared.mail and functions.helpers.pages make theirs: no extensions, no
    # filters of their own. Without folding constants, which finds no error (an expression
    # it cannot fold is left as it is, for the compiler to check): a sixth of the time.
    environment = jinja2.Environment(  # noqa: S701 - compiled only, never rendered here
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, optimized=False
    )
    problems = []
    for path in paths:
        try:
            # Into Python's source only: Jinja's own checks are all made by then.
            environment.compile(read_text(path), path.name, str(path), raw=True)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(template_problem(exc, path))
        except ContentError as error:
            problems += error.problems
    return problems


def check_email_strings(templates_dir: Path, strings: Iterable[StringsFile]) -> list[Problem]:
    """A problem at the template's line for each language that lacks a string it uses, for the
    e-mails and for the pages behind their links."""
    files = list(strings)
    problems = _check(email_uses(templates_dir), files, "e-mail", "a mail", MAIL_PREFIXES)
    pages = _check(link_uses(templates_dir), files, "link page", "a link page", PAGE_PREFIXES)
    return problems + pages


def _check(
    uses: Iterable[Use], files: list[StringsFile], kind: str, a_kind: str, prefixes: tuple[str, ...]
) -> list[Problem]:
    problems = []
    for use in uses:
        for file in files:
            if use.key not in file.fields:
                hint = f"add '{use.key}' to {display_path(file.path)}"
                message = f"{kind} string '{use.key}' is missing in '{file.lang}'"
                problems.append(Problem(use.path, use.line, message, hint))
        if not use.key.startswith(prefixes):
            hint = f"{kind}s ship only strings under {', '.join(prefixes)}"
            message = f"'{use.key}' is not {a_kind} string"
            problems.append(Problem(use.path, use.line, message, hint))
    return problems


def mail_strings(
    strings: Iterable[StringsFile], prefixes: tuple[str, ...] = MAIL_PREFIXES
) -> dict[str, dict[str, str]]:
    """Each language's strings that e-mails (or, given their prefixes, pages) use, by flat key."""
    return {
        file.lang: {
            key: str(field.value)
            for key, field in sorted(file.fields.items())
            if key.startswith(prefixes)
        }
        for file in strings
    }


def write_mail_assets(
    templates_dir: Path,
    strings: Mapping[str, Mapping[str, str]],
    out: Path,
    page_strings: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """The folder the functions render e-mails from: `templates/` and `strings/<lang>.json`;
    with `page_strings`, the links' pages in `links/` the same way."""
    shutil.rmtree(out, ignore_errors=True)
    _write(templates_dir / EMAIL_FOLDER, strings, out)
    if page_strings is not None and (templates_dir / LINKS_FOLDER).is_dir():
        _write(templates_dir / LINKS_FOLDER, page_strings, out / LINKS_FOLDER)


def _write(templates: Path, strings: Mapping[str, Mapping[str, str]], out: Path) -> None:
    shutil.copytree(templates, out / "templates")
    (out / "strings").mkdir()
    for lang, texts in strings.items():
        text = json.dumps(dict(texts), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        (out / "strings" / f"{lang}.json").write_text(text, encoding="utf-8")


def make_mail_assets(content_dir: Path, templates_dir: Path, out: Path) -> None:
    """Check the e-mails' strings in every language, then write their assets to `out`."""
    from sitegen.content.load import load_config, load_strings

    problems: list[Problem] = []
    strings = load_strings(content_dir, load_config(content_dir), problems)
    problems += check_email_strings(templates_dir, strings)
    problems += syntax_problems(templates_dir, lambda path: True)
    if problems:
        raise ContentError(problems)
    pages = mail_strings(strings, PAGE_PREFIXES)
    write_mail_assets(templates_dir, mail_strings(strings), out, pages)
