"""The form has one contract, the API's OpenAPI document: a topic added there, and nowhere
else, is offered on every language's ask page and accepted by the API."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.help_requests import Config, create_app
from functions.help_requests.contract import CONTRACT_PATH, load_contract
from sitegen.errors import ContentError
from sitegen.incremental.builder import build_site
from sitegen.options import BuildOptions

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Call = Callable[..., httpx.Response]
ItemsOf = Callable[[str], list[dict[str, Any]]]
ROOT = Path(__file__).resolve().parents[1]
TOPIC = "peer-support"
NEW_ID = "5d3c0a52-7f4e-4b53-9a55-0f7a9c0d2e11"
NAMES = {"en": "Talking to someone who has been there", "de": "Austausch", "pl": "Rozmowa"}


def with_topic(folder: Path) -> Path:
    """A copy of the contract whose topics end with one more."""
    text = CONTRACT_PATH.read_text("utf-8")
    enum = "enum: [job-search, career-change, mentoring, business, returning-to-work, other]"
    assert text.count(enum) == 1
    copy = folder / "openapi.yaml"
    copy.write_text(text.replace(enum, enum[:-1] + f", {TOPIC}]"), "utf-8")
    return copy


def site(folder: Path, *, named: bool) -> BuildOptions:
    """The sample site with the new contract; with `named`, the topic's UI strings too."""
    content = folder / "content"
    shutil.copytree(ROOT / "content", content)
    for language, name in NAMES.items():
        strings = content / "i18n" / f"{language}.yaml"
        text = strings.read_text("utf-8")
        if named:
            text = re.sub(r"(?m)^topics:\n", f"topics:\n  {TOPIC}: {name}\n", text)
        strings.write_text(text, "utf-8")
    return BuildOptions(
        content=content,
        output=folder / "public",
        cache=folder / "cache",
        contract=with_topic(folder),
        today=date(2026, 1, 15),
    )


@pytest.mark.dynamodb
def test_a_topic_added_to_the_contract_is_offered_on_every_ask_page_and_accepted(
    tmp_path: Path,
    help_config: Config,
    dynamodb_client: DynamoDBClient,
    call_app: Call,
    valid_request: dict[str, Any],
    table_items: ItemsOf,
) -> None:
    options = site(tmp_path, named=True)
    build_site(options)
    pages = [p for p in options.output.rglob("index.html") if 'id="ask-form"' in p.read_text()]
    assert {page.relative_to(options.output).parts[0] for page in pages} == set(NAMES)
    for page in pages:
        language = page.relative_to(options.output).parts[0]
        html = page.read_text("utf-8")
        assert f'<option value="{TOPIC}">{NAMES[language]}</option>' in html
    api = create_app(help_config, dynamodb_client, contract=load_contract(options.contract))
    options.contract.unlink()  # read once, when the app was made
    answer = call_app(api, "POST", json={**valid_request, "topic": TOPIC})
    assert answer.status_code == 201
    [stored] = table_items("request#")
    assert stored["topic"] == {"S": TOPIC}
    # The document as it is refuses the topic: the copy alone made the difference.
    default = create_app(help_config, dynamodb_client)
    refused = call_app(default, "POST", json={**valid_request, "topic": TOPIC, "id": NEW_ID})
    assert refused.status_code == 422
    assert refused.json() == {"errors": [{"field": "topic", "code": "invalid_choice"}]}
    assert len(table_items("request#")) == 1


def test_without_its_ui_strings_the_build_names_each_missing_one(tmp_path: Path) -> None:
    options = site(tmp_path, named=False)
    with pytest.raises(ContentError) as caught:
        build_site(options)
    assert caught.value.format() == (
        f"{options.contract}: UI string 'topics.{TOPIC}' is not defined\n"
        "  hint: add it to every file in the i18n folder\n"
        "1 error; nothing was written."
    )
    assert not options.output.exists()
