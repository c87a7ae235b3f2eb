"""E-mails rendered from the real templates and UI strings in every language, and sent with SES
v2 on moto in server mode, never to an address on the suppression list (DynamoDB Local)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from functions.shared.mail import (
    Email,
    MailAssets,
    Mailer,
    MailError,
    MailUnavailable,
    Renderer,
    Sender,
    Sent,
    Suppressed,
)
from functions.shared.suppression import SUPPRESSED_PREFIX, TableSuppressionList
from sitegen.render.emails import make_mail_assets
from sitegen.serve.mailbox import sent_mail
from sitegen.serve.moto import CONFIGURATION_SET, MAIL_FROM, MotoServer, create_local_mail

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parents[3]
HASH_KEY = b"contact-key-0123456789abcdef-0123456789"
LANGS = ("en", "de", "pl")
PAUSE = "https://example.org/en/offer-help/pause/?t=PAUSE"
EXPIRES = date(2026, 12, 17)
VALUES: dict[str, dict[str, Any]] = {
    "helper_confirm": {
        "name": "Jan",
        "topic": "Jobs",
        "confirm_url": "https://example.org/en/offer-help/confirm/?t=CONFIRM",
        "expires": EXPIRES,
        "days": 7,
        "pause_url": PAUSE,
    },
    "introduction_request": {
        "name": "Jan",
        "topic": "Jobs",
        "summary": "Looking for a first job in IT.\nSpeaks German and Polish.",
        "accept_url": "https://example.org/en/introductions/accept/?t=ACCEPT",
        "decline_url": "https://example.org/en/introductions/decline/?t=DECLINE",
        "expires": EXPIRES,
        "pause_url": PAUSE,
    },
    "introduction_accepted": {
        "name": "",
        "helper": "Jan",
        "topic": "Jobs",
        "about": "Twenty years in IT recruiting.",
        "contact": "jan@example.net",
    },
    "helper_contact": {
        "name": "Jan",
        "requester": "Ola",
        "contact": "ola@example.net",
        "pause_url": PAUSE,
    },
    "follow_up": {
        "name": "Ola",
        "helper": "Jan",
        "yes_url": "https://example.org/en/follow-up/?t=YES",
        "not_yet_url": "https://example.org/en/follow-up/?t=NOT_YET",
        "no_url": "https://example.org/en/follow-up/?t=NO",
        "expires": EXPIRES,
    },
}
HELPER_MAILS = ("helper_confirm", "introduction_request", "helper_contact")


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> MailAssets:
    """The assets made from the project's own templates and strings."""
    folder = tmp_path_factory.mktemp("mail") / "assets"
    make_mail_assets(ROOT / "content", ROOT / "templates", folder)
    return MailAssets.load(folder)


@pytest.fixture(scope="module")
def renderer(assets: MailAssets) -> Renderer:
    """A renderer of the project's e-mails."""
    return Renderer(assets)


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    """moto in server mode with the development sending domain."""
    with MotoServer() as server:
        create_local_mail(server)
        yield server


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(VALUES))
def test_every_e_mail_renders_in_every_language_with_every_link(
    renderer: Renderer, name: str, lang: str
) -> None:
    email = renderer.render(name, lang, VALUES[name])
    assert email.subject
    assert "\n" not in email.subject
    assert f'<html lang="{lang}">' in email.html
    assert f"<title>{email.subject}</title>" in email.html
    for key, value in VALUES[name].items():
        if key.endswith("_url"):
            assert value in email.text
            assert f'href="{value}"' in email.html


@pytest.mark.parametrize("name", HELPER_MAILS)
def test_every_e_mail_to_a_helper_has_the_pause_link_in_its_footer(
    renderer: Renderer, name: str
) -> None:
    email = renderer.render(name, "de", VALUES[name])
    footer = email.text.split("\n--\n", 1)[1]
    assert "pausieren oder zurückziehen:" in footer
    assert PAUSE in footer
    assert '<a href="https://example.org/en/offer-help/pause/?t=PAUSE"' in email.html


def test_a_helper_e_mail_without_its_pause_link_is_refused(renderer: Renderer) -> None:
    values = {key: v for key, v in VALUES["helper_contact"].items() if key != "pause_url"}
    with pytest.raises(MailError, match="'pause_url' is undefined"):
        renderer.render("helper_contact", "en", values)


def test_the_german_confirmation_reads_as_written(renderer: Renderer) -> None:
    email = renderer.render("helper_confirm", "de", VALUES["helper_confirm"])
    assert email.subject == "Bitte bestätigen Sie Ihr Hilfsangebot"
    assert email.text.startswith("Hallo Jan,\n\nDanke, dass Sie Menschen bei diesem Thema helfen")
    assert "Die Links gelten bis zum 17. Dezember 2026." in email.text
    assert "Mein Angebot bestätigen: https://example.org/en/offer-help/confirm/?t=CONFIRM" in (
        email.text
    )


def test_the_polish_follow_up_greets_without_a_name(renderer: Renderer) -> None:
    email = renderer.render("follow_up", "pl", {**VALUES["follow_up"], "name": None})
    assert email.subject == "Czy otrzymałeś lub otrzymałaś potrzebną pomoc?"
    assert email.text.startswith("Dzień dobry,\n\n")
    assert "Linki działają do 17 grudnia 2026." in email.text


def test_values_are_escaped_in_html_and_kept_in_text(renderer: Renderer) -> None:
    values = {**VALUES["introduction_accepted"], "helper": "<b>Jan</b> & Co"}
    email = renderer.render("introduction_accepted", "en", values)
    assert "<b>Jan</b> & Co would like to help you" in email.text
    assert "&lt;b&gt;Jan&lt;/b&gt; &amp; Co would like to help you" in email.html
    assert "<b>Jan</b>" not in email.html


@pytest.mark.parametrize(
    ("name", "lang", "message"),
    [
        ("no_such_mail", "en", "cannot render e-mail 'no_such_mail' in 'en'"),
        ("follow_up", "fr", "no e-mail strings for language 'fr'"),
    ],
)
def test_an_unknown_mail_or_language_is_a_mail_error(
    renderer: Renderer, name: str, lang: str, message: str
) -> None:
    with pytest.raises(MailError, match=f"^{message}"):
        renderer.render(name, lang, VALUES["follow_up"])


def test_a_missing_value_is_a_mail_error_never_blank_text(renderer: Renderer) -> None:
    values = {key: v for key, v in VALUES["follow_up"].items() if key != "helper"}
    with pytest.raises(MailError, match="'helper' is undefined"):
        renderer.render("follow_up", "en", values)


# Sending.


@pytest.fixture
def suppression(dynamodb_client: DynamoDBClient, dynamodb_table: str) -> TableSuppressionList:
    """The suppression list in a fresh table."""
    return TableSuppressionList(dynamodb_client, dynamodb_table, HASH_KEY)


def mailer(moto: MotoServer, suppression: TableSuppressionList) -> Mailer:
    """A mailer on moto's SES, from the verified development sender."""
    return Mailer(moto.client("sesv2"), suppression, Sender(MAIL_FROM, CONFIGURATION_SET))


@pytest.mark.dynamodb
def test_an_e_mail_is_sent_with_ses(
    moto: MotoServer, suppression: TableSuppressionList, renderer: Renderer
) -> None:
    email = renderer.render("follow_up", "en", VALUES["follow_up"])
    sent = mailer(moto, suppression).send("ola.sent@example.net", email)
    assert isinstance(sent, Sent)
    taken = {message.message_id: message for message in sent_mail(moto.endpoint)}
    message = taken[sent.message_id]
    assert (message.to, message.sender, message.subject) == (
        ("ola.sent@example.net",),
        MAIL_FROM,
        "Did you get the help you needed?",
    )
    assert message.body == email.html  # moto keeps the HTML of the two parts


@pytest.mark.dynamodb
def test_nothing_is_sent_to_a_suppressed_address(
    moto: MotoServer,
    suppression: TableSuppressionList,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    assert suppression.suppress("Bounced@Example.NET", "bounce", 1_800_000_000)
    before = len(sent_mail(moto.endpoint))
    email = Email("Subject", "text", "<p>html</p>")
    assert mailer(moto, suppression).send("bounced@example.net", email) == Suppressed()
    assert len(sent_mail(moto.endpoint)) == before
    items = dynamodb_client.scan(TableName=dynamodb_table)["Items"]
    assert [item["reason"]["S"] for item in items] == ["bounce"]
    assert str(items[0]["pk"]["S"]).startswith(SUPPRESSED_PREFIX)
    assert "bounced" not in json.dumps(items).lower()


@pytest.mark.dynamodb
def test_a_refused_sender_is_mail_unavailable(
    moto: MotoServer, suppression: TableSuppressionList
) -> None:
    unverified = Mailer(
        moto.client("sesv2"), suppression, Sender("x@unverified.example", CONFIGURATION_SET)
    )
    with pytest.raises(MailUnavailable, match=r"^MessageRejected$"):
        unverified.send("someone@example.net", Email("s", "t", "<p>h</p>"))


# The function package's assets.


def test_the_package_ships_the_assets_the_site_generator_checks(
    tmp_path: Path, assets: MailAssets
) -> None:
    env = {**os.environ, "ARTIFACTS_DIR": str(tmp_path), "PYTHON": sys.executable}
    subprocess.run(
        ["make", "-s", "-C", str(ROOT / "functions"), "mail-assets"],
        env=env,
        check=True,
        capture_output=True,
    )
    shipped = MailAssets.load(tmp_path / "functions" / "shared" / "mail_assets")
    assert shipped.strings == assets.strings
    names = sorted(path.name for path in shipped.templates.iterdir())
    assert names == sorted(path.name for path in assets.templates.iterdir())
    assert (tmp_path / "jinja2" / "__init__.py").is_file()
