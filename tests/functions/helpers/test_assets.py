"""The link pages' assets: staged with the e-mails', checked as strictly (a string some language
lacks stops them at the template's line), holding only the strings the pages may use."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from functions.helpers.texts import PageTexts
from sitegen.errors import ContentError
from sitegen.render.emails import make_mail_assets

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's UI strings, site settings and the functions' templates."""
    shutil.copytree(ROOT / "content" / "i18n", tmp_path / "content" / "i18n")
    shutil.copy(ROOT / "content" / "site.yaml", tmp_path / "content" / "site.yaml")
    for folder in ("email", "links"):
        shutil.copytree(ROOT / "templates" / folder, tmp_path / "templates" / folder)
    return tmp_path


def test_the_pages_strings_are_staged_beside_the_e_mails(project: Path) -> None:
    out = project / "assets"
    make_mail_assets(project / "content", project / "templates", out)
    pl = json.loads((out / "links" / "strings" / "pl.json").read_text("utf-8"))
    assert pl["links.follow_up.answer_yes"] == "Tak"
    assert pl["topics.mentoring"]
    prefixes = ("links.", "topics.", "date.", "months.")
    assert not [key for key in pl if not key.startswith(prefixes)]
    staged = sorted(path.name for path in (out / "links" / "templates").iterdir())
    assert staged == sorted(path.name for path in (project / "templates" / "links").iterdir())
    texts = PageTexts.load(out)
    assert texts.t("de", "links.confirm.intro", topics="X") == (
        "Sie haben angeboten, bei diesen Themen zu helfen: X."
    )
    assert texts.topic("xx", "mentoring") == texts.topic("en", "mentoring")


def test_a_page_string_missing_in_one_language_stops_the_assets_at_its_line(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    pl = project / "content" / "i18n" / "pl.yaml"
    text = pl.read_text("utf-8").replace(
        "    answer_no: Nie\n    done_title: Dzięk", "    done_title: Dzięk"
    )
    pl.write_text(text, "utf-8")
    out = project / "assets"
    with pytest.raises(ContentError) as caught:
        make_mail_assets(project / "content", project / "templates", out)
    template = (project / "templates" / "links" / "follow_up.html").read_text("utf-8")
    line = next(n for n, row in enumerate(template.splitlines(), 1) if "answer_no" in row)
    assert caught.value.format(project).splitlines() == [
        f"templates/links/follow_up.html:{line}: "
        "link page string 'links.follow_up.answer_no' is missing in 'pl'",
        "  hint: add 'links.follow_up.answer_no' to content/i18n/pl.yaml",
        "1 error; nothing was written.",
    ]
    assert not out.exists()


def test_a_site_string_in_a_link_page_is_refused(project: Path) -> None:
    page = project / "templates" / "links" / "refused.html"
    page.write_text(page.read_text("utf-8") + "{{ t('nav.home') }}\n", "utf-8")
    with pytest.raises(ContentError) as caught:
        make_mail_assets(project / "content", project / "templates", project / "assets")
    assert "'nav.home' is not a link page string" in caught.value.format(project)
    assert "link pages ship only strings under links., topics., date., months." in (
        caught.value.format(project)
    )
