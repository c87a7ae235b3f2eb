"""The development mailbox: every e-mail sent through SES on moto, at `/_dev/mail/`, with its
links clickable; and `build.py serve` serving it while the built site holds none of it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from functions.shared.mail import MailAssets, Mailer, Renderer, Sender, Sent
from functions.shared.suppression import TableSuppressionList
from functions.shared.tokens import KeyLoader, sign, verify
from sitegen.options import BuildOptions
from sitegen.render.emails import make_mail_assets
from sitegen.serve.dynamodb_local import free_port
from sitegen.serve.mailbox import Mailbox, as_text, sent_mail, with_mailbox
from sitegen.serve.moto import LocalMail, MotoServer, create_local_mail
from sitegen.serve.server import mail_input

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parents[2]
FOLLOW_UP = {
    "name": "Ola",
    "helper": "Jan <Nowak>",
    "yes_url": "http://127.0.0.1:8000/en/follow-up/?t=YES&a=1",
    "not_yet_url": "http://127.0.0.1:8000/en/follow-up/?t=NOT_YET",
    "no_url": "http://127.0.0.1:8000/en/follow-up/?t=NO",
    "expires": date(2026, 12, 17),
}


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    """moto in server mode, set up for mail as `build.py serve` sets it up."""
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="module")
def local_mail(moto: MotoServer) -> LocalMail:
    """The development sender, configuration set and link key on moto."""
    return create_local_mail(moto)


@pytest.fixture(scope="module")
def renderer(tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    """A renderer of the project's e-mails."""
    folder = tmp_path_factory.mktemp("mail") / "assets"
    make_mail_assets(ROOT / "content", ROOT / "templates", folder)
    return Renderer(MailAssets.load(folder))


async def site(scope: Scope, receive: Receive, send: Send) -> None:
    """What `build.py serve` serves besides the mailbox, here a marker."""
    await PlainTextResponse("the site")(scope, receive, send)


class Client:
    """Calls an ASGI app in this thread, as a browser would call the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def request(self, method: str, path: str) -> httpx.Response:
        """The app's answer to one request."""

        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                return await c.request(method, path)

        return asyncio.run(call())

    def get(self, path: str) -> httpx.Response:
        """GET `path`."""
        return self.request("GET", path)


@pytest.fixture
def client(moto: MotoServer) -> Client:
    """The mailbox in front of a stand-in for the rest of the server."""
    return Client(with_mailbox(site, Mailbox(moto.endpoint)))


@pytest.mark.dynamodb
def test_the_mailbox_lists_a_sent_e_mail_with_its_links(
    moto: MotoServer,
    local_mail: LocalMail,
    renderer: Renderer,
    client: Client,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    suppression = TableSuppressionList(dynamodb_client, dynamodb_table, b"k" * 32)
    sender = Sender(local_mail.from_address, local_mail.configuration_set)
    mailer = Mailer(moto.client("sesv2"), suppression, sender)
    email = renderer.render("follow_up", "en", FOLLOW_UP)
    sent = mailer.send("ola.mailbox@example.net", email)
    assert isinstance(sent, Sent)

    page = client.get("/_dev/mail/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"
    article = page.text.split(f'<article id="{sent.message_id}">', 1)[1].split("</article>")[0]
    assert "<h2>Did you get the help you needed?</h2>" in article
    assert "<dt>To</dt><dd>ola.mailbox@example.net</dd>" in article
    assert "<dt>From</dt><dd>Ask for Help &lt;hello@example.org&gt;</dd>" in article
    assert "Two weeks ago we introduced you to Jan &lt;Nowak&gt;." in article
    assert '<a href="http://127.0.0.1:8000/en/follow-up/?t=YES&amp;a=1">Yes</a>' in article
    assert '<a href="http://127.0.0.1:8000/en/follow-up/?t=NO">No</a>' in article

    listed = client.get("/_dev/mail/messages.json").json()
    mine = next(message for message in listed if message["id"] == sent.message_id)
    assert mine["to"] == ["ola.mailbox@example.net"]
    assert mine["links"][0] == {
        "label": "Yes",
        "href": "http://127.0.0.1:8000/en/follow-up/?t=YES&a=1",
    }


def test_the_newest_e_mail_comes_first(moto: MotoServer, local_mail: LocalMail) -> None:
    sesv2 = moto.client("sesv2")
    for subject in ("first of two", "second of two"):
        sesv2.send_email(
            FromEmailAddress=local_mail.from_address,
            Destination={"ToAddresses": ["order@example.net"]},
            Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": "x"}}}},
            ConfigurationSetName=local_mail.configuration_set,
        )
    subjects = [mail.subject for mail in sent_mail(moto.endpoint) if "of two" in mail.subject]
    assert subjects == ["second of two", "first of two"]


def test_only_the_mailbox_paths_are_the_mailboxs(client: Client) -> None:
    assert client.get("/en/").text == "the site"
    assert client.get("/_devil/").text == "the site"
    moved = client.get("/_dev/mail")
    assert (moved.status_code, moved.headers["location"]) == (301, "/_dev/mail/")
    assert client.get("/_dev/mail/other").status_code == 404
    refused = client.request("POST", "/_dev/mail/")
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET, HEAD")


def test_html_becomes_text_with_each_links_address() -> None:
    html = (
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<p>Hello &amp; welcome,</p><p>press <a href='https://x.example/?a=1&amp;b=2'>"
        "  here\n now</a>.</p><script>alert(1)</script></body></html>"
    )
    assert as_text(html) == (
        "Hello & welcome,\n\npress here now <https://x.example/?a=1&b=2>.\n",
        [("here now", "https://x.example/?a=1&b=2")],
    )
    assert as_text("plain text, no tags") == ("plain text, no tags", [])


def test_the_link_key_on_moto_signs_and_verifies(moto: MotoServer, local_mail: LocalMail) -> None:
    environment = local_mail.environment()
    assert environment["SES_ENDPOINT"] == environment["SECRETS_ENDPOINT"] == moto.endpoint
    keys = KeyLoader(moto.client("secretsmanager"), environment["LINK_KEYS_SECRET"]).keys()
    token = sign(keys.current, "follow-up", "request#1", 2, 2_000_000_000)
    assert verify(keys, token, "follow-up", 1_900_000_000) is not None
    assert keys.current.key_id == "dev"
    assert keys.previous is None


# `build.py serve` as a person runs it.


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> str:
    """The page at `url` once the server answers."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - local URL
                return str(answer.read().decode())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(log.read_text())


@pytest.mark.slow
@pytest.mark.dynamodb
def test_build_py_serve_shows_the_mailbox_and_never_builds_it(tmp_path: Path) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "DYNAMODB_ENDPOINT"}
    command = [sys.executable, "build.py", "serve", "--port", str(port)]
    command += ["--output", str(tmp_path / "public"), "--cache", str(tmp_path / "cache")]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=out, stderr=out)
    try:
        page = wait_for(f"http://127.0.0.1:{port}/_dev/mail/", process, log)
        listed = json.loads(
            wait_for(f"http://127.0.0.1:{port}/_dev/mail/messages.json", process, log)
        )
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert "<title>Sent e-mail (development)</title>" in page
    assert listed == []
    assert f"shown at http://127.0.0.1:{port}/_dev/mail/" in log.read_text()
    built = [path.relative_to(tmp_path / "public") for path in (tmp_path / "public").rglob("*")]
    assert built
    assert not [path for path in built if "_dev" in path.parts]


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ("templates/email/follow_up.txt", True),
        ("content/i18n/pl.yaml", True),
        ("templates/story.html", False),
        ("content/stories/a.en.md", False),
    ],
)
def test_the_mail_assets_are_made_again_when_an_e_mail_input_changes(
    tmp_path: Path, changed: str, expected: bool
) -> None:
    build = BuildOptions(content=tmp_path / "content", templates=tmp_path / "templates")
    assert mail_input(build, tmp_path / changed) is expected
