"""The e-mails' templates against the UI strings: a string an e-mail uses and some language
lacks is an error at the template's line; the assets written hold the mail strings only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sitegen.content.i18n import StringsFile
from sitegen.content.load import load_config, load_strings
from sitegen.errors import ContentError, Problem
from sitegen.render.emails import (
    check_email_strings,
    email_templates,
    email_uses,
    mail_strings,
    make_mail_assets,
    syntax_problems,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's UI strings, site settings and e-mail templates."""
    shutil.copytree(ROOT / "content" / "i18n", tmp_path / "content" / "i18n")
    shutil.copy(ROOT / "content" / "site.yaml", tmp_path / "content" / "site.yaml")
    shutil.copytree(ROOT / "templates" / "email", tmp_path / "templates" / "email")
    return tmp_path


def strings_of(root: Path) -> list[StringsFile]:
    """The UI strings of every language in a copied project."""
    problems: list[Problem] = []
    found = load_strings(root / "content", load_config(root / "content"), problems)
    assert problems == []
    return found


def test_the_projects_e_mails_use_only_strings_every_language_has() -> None:
    assert check_email_strings(ROOT / "templates", strings_of(ROOT)) == []


def test_every_e_mail_has_a_text_and_an_html_template() -> None:
    names = [path.name for path in email_templates(ROOT / "templates")]
    mails = {name.rsplit(".", 1)[0] for name in names if not name.startswith("_")}
    assert mails == {
        "follow_up",
        "helper_confirm",
        "helper_contact",
        "introduction_accepted",
        "introduction_request",
    }
    assert all(f"{mail}.txt" in names and f"{mail}.html" in names for mail in mails)


def test_uses_are_found_with_their_line_in_text_and_html(tmp_path: Path) -> None:
    folder = tmp_path / "email"
    folder.mkdir()
    (folder / "a.txt").write_text("x\n{{ t('email.one') }} {{ t(\"email.two\", n=1) }}\n")
    (folder / "a.html").write_text("<p>{{ t('email.three') }}</p>\n")
    (folder / "notes.md").write_text("{{ t('email.not_a_template') }}\n")
    found = [(use.key, use.path.name, use.line) for use in email_uses(tmp_path)]
    assert found == [
        ("email.three", "a.html", 1),
        ("email.one", "a.txt", 2),
        ("email.two", "a.txt", 2),
    ]


def test_a_string_missing_in_one_language_stops_the_assets_at_the_templates_line(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)  # paths in hints are shown from the working directory
    pl = project / "content" / "i18n" / "pl.yaml"
    pl.write_text(pl.read_text("utf-8").replace("    answer_not_yet: Jeszcze nie\n", ""), "utf-8")
    out = project / "assets"
    with pytest.raises(ContentError) as caught:
        make_mail_assets(project / "content", project / "templates", out)
    lines = caught.value.format(project).splitlines()
    txt = (project / "templates" / "email" / "follow_up.txt").read_text("utf-8")
    html = (project / "templates" / "email" / "follow_up.html").read_text("utf-8")
    txt_line = txt.splitlines().index(
        "{{ t('email.follow_up.answer_not_yet') }}: {{ not_yet_url }}"
    )
    html_line = next(
        number for number, line in enumerate(html.splitlines(), 1) if "answer_not_yet" in line
    )
    assert lines == [
        f"templates/email/follow_up.html:{html_line}: "
        "e-mail string 'email.follow_up.answer_not_yet' is missing in 'pl'",
        "  hint: add 'email.follow_up.answer_not_yet' to content/i18n/pl.yaml",
        f"templates/email/follow_up.txt:{txt_line + 1}: "
        "e-mail string 'email.follow_up.answer_not_yet' is missing in 'pl'",
        "  hint: add 'email.follow_up.answer_not_yet' to content/i18n/pl.yaml",
        "2 errors; nothing was written.",
    ]
    assert not out.exists()


def test_a_page_string_in_an_e_mail_is_refused(project: Path) -> None:
    path = project / "templates" / "email" / "helper_contact.txt"
    path.write_text(path.read_text("utf-8") + "{{ t('nav.home') }}\n", "utf-8")
    problems = check_email_strings(project / "templates", strings_of(project))
    assert [problem.format(project) for problem in problems] == [
        f"templates/email/helper_contact.txt:{len(path.read_text('utf-8').splitlines())}: "
        "'nav.home' is not a mail string\n"
        "  hint: e-mails ship only strings under email., date., months."
    ]


def test_the_assets_hold_the_templates_and_the_mail_strings_only(project: Path) -> None:
    out = project / "assets"
    make_mail_assets(project / "content", project / "templates", out)
    de = json.loads((out / "strings" / "de.json").read_text("utf-8"))
    assert de["email.follow_up.answer_yes"] == "Ja"
    assert de["months.3"] == "März"
    assert not [key for key in de if not key.startswith(("email.", "date.", "months."))]
    assert sorted(path.stem for path in (out / "strings").iterdir()) == ["de", "en", "pl"]
    written = sorted(path.name for path in (out / "templates").iterdir())
    assert written == sorted(path.name for path in email_templates(project / "templates"))


def test_mail_strings_match_in_every_language() -> None:
    keys = {lang: set(texts) for lang, texts in mail_strings(strings_of(ROOT)).items()}
    assert keys["en"] == keys["de"] == keys["pl"]


def test_a_build_stops_at_an_e_mail_that_uses_a_page_string(tmp_path: Path) -> None:
    """Only mail strings reach the function's package, so a page's string in a mail is an error."""
    from sitegen.incremental.builder import build_site
    from sitegen.options import BuildOptions

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    follow_up = templates / "email" / "follow_up.txt"
    follow_up.write_text(follow_up.read_text("utf-8") + "{{ t('nav.home') }}\n", "utf-8")
    line = follow_up.read_text("utf-8").count("\n")
    output = tmp_path / "public"
    options = BuildOptions(
        content=ROOT / "content", output=output, templates=templates, cache=tmp_path / "cache"
    )
    with pytest.raises(ContentError) as error:
        build_site(options)
    assert [(p.path, p.line, p.message) for p in error.value.problems] == [
        (follow_up, line, "'nav.home' is not a mail string")
    ]
    assert not output.exists()


def test_templates_that_do_not_parse_are_problems_at_their_line(project: Path) -> None:
    templates = project / "templates"
    follow_up = templates / "email" / "follow_up.txt"
    follow_up.write_text(follow_up.read_text("utf-8") + "{% if %}\n", "utf-8")
    line = follow_up.read_text("utf-8").count("\n")
    (templates / "links").mkdir()
    (templates / "links" / "accept.html").write_bytes(b"\xff\xfe not UTF-8")
    found = syntax_problems(templates, lambda path: True)
    assert [(p.path, p.line) for p in found] == [
        (follow_up, line),
        (templates / "links" / "accept.html", None),
    ]
    assert found[0].message.startswith("Expected an expression")
    assert found[1].message.startswith("not UTF-8 text (")
    assert found[1].hint == "save the file with UTF-8 encoding"
    # Only what may have changed is parsed: the rest passed the last build.
    assert syntax_problems(templates, lambda path: path.suffix == ".html") == found[1:]
    with pytest.raises(ContentError) as error:
        make_mail_assets(project / "content", templates, project / "assets")
    assert [p.path for p in error.value.problems] == [p.path for p in found]
    assert syntax_problems(ROOT / "templates", lambda path: True) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "{% block x %}{{ 'x'|no_such_filter }}{% endblock %}",
            "No filter named 'no_such_filter'.",
        ),
        ("{% block subject %}{% endblock %}", "block 'subject' defined twice"),
    ],
)
def test_errors_jinja_finds_only_when_compiling_are_problems_too(
    project: Path, line: str, message: str
) -> None:
    follow_up = project / "templates" / "email" / "follow_up.txt"
    follow_up.write_text(follow_up.read_text("utf-8") + line + "\n", "utf-8")
    found = syntax_problems(project / "templates", lambda path: True)
    assert [(p.path, p.message) for p in found] == [(follow_up, message)]
