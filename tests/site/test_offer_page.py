"""The offer-help pages of the real site: in every language, built from the API's contract,
linked from the home page and the stories, and a form that posts without JavaScript."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml

from functions.help_requests.contract import FormContract, load_contract
from sitegen.incremental.builder import build_site
from sitegen.options import BuildOptions
from sitegen.render import form

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
LANGUAGES = ("en", "de", "pl")
FIELDS = ["consent", "email", "language", "languages", "name", "region", "topics", "ways"]


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("offer")
    options = BuildOptions(content=CONTENT, output=base / "public", cache=base / "cache")
    build_site(options)
    return options.output


@pytest.fixture(scope="module")
def contract() -> FormContract:
    return load_contract()


def read(public: Path, url: str) -> str:
    return (public / url.strip("/") / "index.html").read_text("utf-8")


def form_of(page: str) -> str:
    return page.split('<form id="offer-form"')[1].split("</form>")[0]


def strings(language: str) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load(
        (CONTENT / "i18n" / f"{language}.yaml").read_text("utf-8")
    )
    return data


def stories_section(language: str) -> str:
    settings = yaml.safe_load((CONTENT / "site.yaml").read_text("utf-8"))
    name: str = settings["languages"][language]["sections"]["stories"]
    return name


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_form_page_thanks_and_error_pages_exist(public: Path, language: str) -> None:
    offer = read(public, f"/{language}/offer-help/")
    assert f'<html lang="{language}">' in offer
    assert '<meta name="robots" content="noindex">' not in offer
    thanks = read(public, f"/{language}/offer-help/thanks/")
    assert "7" in thanks.split('<div class="prose">')[1]
    error = read(public, f"/{language}/offer-help/error/")
    assert '<meta name="robots" content="noindex">' in error
    assert f'<a class="button" href="/{language}/offer-help/">' in error


@pytest.mark.parametrize("language", LANGUAGES)
def test_without_javascript_the_form_posts_to_the_api(public: Path, language: str) -> None:
    page = read(public, f"/{language}/offer-help/")
    assert (
        '<form id="offer-form" class="ask-form" method="post" action="/api/helper-offers" '
        f'data-thanks="/{language}/offer-help/thanks/"'
    ) in page
    fields = form_of(page)
    names = set(re.findall(r'name="([a-z_]+)"', fields))
    assert sorted(names) == sorted([*FIELDS, "capacity", "website"])
    assert f'<input type="hidden" name="language" value="{language}">' in fields
    # The script adds these; a plain post goes without them, and the API names it by content.
    assert 'name="id"' not in fields
    assert 'name="started_at"' not in fields
    assert 'id="consent" name="consent" type="checkbox" value="on" required' in fields


@pytest.mark.parametrize("language", LANGUAGES)
def test_choices_and_limits_are_the_contracts(
    public: Path, contract: FormContract, language: str
) -> None:
    fields = form_of(read(public, f"/{language}/offer-help/"))

    def ticks(name: str) -> list[str]:
        return re.findall(rf'name="{name}" type="checkbox" value="([a-z-]+)"', fields)

    assert ticks("topics") == list(contract.topics)
    assert ticks("languages") == list(contract.languages)
    assert ticks("ways") == list(contract.offer.ways)
    # The page's own language is ticked to begin with.
    assert f'value="{language}" checked>' in fields
    fewest, most = contract.offer.capacity
    assert f'type="number" required min="{fewest}" max="{most}" step="1"' in fields
    limits = re.findall(r'id="(\w+)" name="\w+" type="\w+"[^>]*? maxlength="(\d+)"', fields)
    assert dict(limits) == {k: str(v) for k, v in contract.offer.max_length.items()}
    found = re.search(r'id="email"[^>]*? data-patterns="([^"]*)"', fields)
    assert found is not None
    assert json.loads(html.unescape(found.group(1))) == [contract.offer.email_pattern]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_field_is_labelled_in_the_pages_language(public: Path, language: str) -> None:
    page = read(public, f"/{language}/offer-help/")
    offer = strings(language)["offer"]
    assert isinstance(offer, dict)
    for name in ("name", "email", "capacity", "region"):
        assert f'<label for="{name}">{html.escape(offer[name]["label"])} ' in page
    for name in ("topics", "languages", "ways"):
        assert f"<legend>{html.escape(offer[name]['label'])} " in page
        assert f'<p class="field-error" id="{name}-error" hidden></p>' in page
    for way, text in offer["way_names"].items():
        assert f'<label for="ways-{way}">{html.escape(text)}</label>' in page
    assert f'<a href="/{language}/privacy/">' in page.split('id="consent-hint"')[1]


def test_messages_for_every_rule_are_in_the_page(public: Path) -> None:
    catalogue = read(public, "/de/offer-help/").split('<template id="offer-messages">')[1]
    for rule in form.OFFER_RULES + form.HIDDEN_RULES + form.OFFER_REQUEST_RULES:
        assert f'data-field="{rule.field}" data-code="{rule.code}"' in catalogue
    for status in form.STATUSES:
        assert f'data-status="{status}"' in catalogue
    # Limits the contract sets are named in the message, not written into the strings.
    assert "Bitte geben Sie eine ganze Zahl von 1 bis 20 ein." in catalogue


def test_the_error_page_lists_every_rule_of_the_offer_form(public: Path) -> None:
    page = read(public, "/pl/offer-help/error/")
    ids = re.findall(r'<li id="(error-[a-z_]+-[a-z_]+)">', page)
    assert ids == [rule.element_id for rule in form.OFFER_RULES + form.OFFER_REQUEST_RULES]
    offer = strings("pl")["offer"]
    assert isinstance(offer, dict)
    assert html.escape(offer["errors"]["email"]["invalid"]) in page
    # The help request's error page still lists the help request's rules.
    ask = read(public, "/pl/ask/error/")
    asked = re.findall(r'<li id="(error-[a-z_]+-[a-z_]+)">', ask)
    assert asked == [rule.element_id for rule in form.RULES + form.REQUEST_RULES]


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_stories_and_story_list_invite_to_offer_help(public: Path, language: str) -> None:
    link = f'<a class="button" href="/{language}/offer-help/">'
    stories = stories_section(language)
    assert link in read(public, f"/{language}/")
    assert link in read(public, f"/{language}/{stories}/")
    story_pages = [
        path
        for path in (public / language / stories).glob("*/index.html")
        if path.parent.name != "page"
    ]
    assert story_pages
    for path in story_pages:
        assert link in path.read_text("utf-8"), path


@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_and_consent_tell_of_helpers(public: Path, language: str) -> None:
    privacy = read(public, f"/{language}/privacy/")
    for figure in ("7", "365", "5"):
        assert re.search(rf"\b{figure}\b", privacy.split('<div class="prose">')[1]), figure
    ask = read(public, f"/{language}/ask/")
    consent = strings(language)["form"]
    assert isinstance(consent, dict)
    assert html.escape(consent["consent"]["label"]) in ask
