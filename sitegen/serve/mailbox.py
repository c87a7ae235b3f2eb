"""The development-only mailbox of `build.py serve`: every e-mail sent through SES on moto,
listed at `/_dev/mail/` with its links clickable, so a whole journey by e-mail can be walked on
one machine. It is served, never built: nothing of it is written to the site's output.

moto keeps the e-mails it took and lists them at `/moto-api/data.json`; of a message with text
and HTML parts it keeps the HTML, which is shown here as text with its links."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from html import escape
from html.parser import HTMLParser
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sitegen.classes import dataclass

MAIL_PATH = "/_dev/mail/"
JSON_PATH = "/_dev/mail/messages.json"
BLOCKS = frozenset({"p", "div", "br", "tr", "li", "blockquote", "h1", "h2", "h3", "hr"})


@dataclass(frozen=True)
class SentMail:
    """One e-mail as moto took it."""

    message_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    body: str

    @property
    def text(self) -> str:
        """The body as plain text (the HTML part's text, when moto kept that)."""
        return as_text(self.body)[0]

    @property
    def links(self) -> list[tuple[str, str]]:
        """Each link of the body: its label and address."""
        return as_text(self.body)[1]

    def as_json(self) -> dict[str, Any]:
        """What `/_dev/mail/messages.json` gives of the e-mail."""
        labelled = [{"label": label, "href": href} for label, href in self.links]
        return {
            "id": self.message_id,
            "from": self.sender,
            "to": list(self.to),
            "subject": self.subject,
            "text": self.text,
            "links": labelled,
        }


def sent_mail(moto_endpoint: str) -> list[SentMail]:
    """Every e-mail the moto server took, newest first."""
    with urllib.request.urlopen(f"{moto_endpoint}/moto-api/data.json", timeout=5) as answer:  # noqa: S310 - moto's own local URL
        data = json.load(answer)
    messages = data.get("ses", {}).get("Message", [])
    return [_mail(message) for message in reversed(messages)]


def _mail(message: dict[str, Any]) -> SentMail:
    destinations = message.get("destinations", {})
    to = [
        address
        for kind in ("ToAddresses", "CcAddresses", "BccAddresses")
        for address in destinations.get(kind, [])
    ]
    return SentMail(
        str(message.get("id", "")),
        str(message.get("source", "")),
        tuple(to),
        str(message.get("subject", "")),
        str(message.get("body", "")),
    )


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._label: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("head", "style", "script", "title"):
            self._skip += 1
        elif tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._label = []
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "script", "title"):
            self._skip -= 1
        elif tag == "a" and self._href is not None:
            label = " ".join("".join(self._label).split())
            self.links.append((label, self._href))
            self.parts.append(f" <{self._href}>")
            self._href = None
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        data = data.replace("\n", " ")  # in HTML a line break is a space
        self.parts.append(data)
        if self._href is not None:
            self._label.append(data)


def as_text(body: str) -> tuple[str, list[tuple[str, str]]]:
    """An e-mail body as text with each link's address after it, and the links (plain text
    comes back as it is)."""
    if "<" not in body:
        return body, []
    parser = _TextParser()
    parser.feed(body)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n", parser.links


def mail_page(messages: list[SentMail]) -> str:
    """The mailbox as one HTML page."""
    items = "\n".join(_message_html(message) for message in messages)
    empty = "<p>No e-mail has been sent since the server started.</p>" if not messages else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n<title>Sent e-mail (development)</title>\n'
        "<style>body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:50rem;"
        "padding:0 1rem}"
        "article{border-top:1px solid #999;padding:.5rem 0}pre{white-space:pre-wrap}"
        "dt{font-weight:bold}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>Sent e-mail ({len(messages)})</h1>\n"
        "<p>Development only: what SES on moto took, newest first. Reload to see new mail.</p>\n"
        f"{empty}{items}\n</main>\n</body>\n</html>\n"
    )


def _message_html(message: SentMail) -> str:
    links = "".join(
        f'<li><a href="{escape(href)}">{escape(label or href)}</a> <code>{escape(href)}</code></li>'
        for label, href in message.links
    )
    return (
        f'<article id="{escape(message.message_id)}">\n'
        f"<h2>{escape(message.subject)}</h2>\n<dl>\n"
        f"<dt>To</dt><dd>{escape(', '.join(message.to))}</dd>\n"
        f"<dt>From</dt><dd>{escape(message.sender)}</dd>\n</dl>\n"
        f"<pre>{escape(message.text)}</pre>\n"
        + (f"<h3>Links</h3>\n<ul>{links}</ul>\n" if links else "")
        + "</article>"
    )


class Mailbox:
    """The mailbox's pages for one moto server."""

    def __init__(self, moto_endpoint: str) -> None:
        self.moto_endpoint = moto_endpoint

    async def page(self, request: Request) -> Response:
        """GET /_dev/mail/: every message, newest first."""
        messages = await asyncio.to_thread(sent_mail, self.moto_endpoint)
        return HTMLResponse(mail_page(messages), headers=_NO_STORE)

    async def messages(self, request: Request) -> Response:
        """GET /_dev/mail/messages.json: the same as data, for scripts and browser tests."""
        messages = await asyncio.to_thread(sent_mail, self.moto_endpoint)
        found = [message.as_json() for message in messages]
        return JSONResponse(found, headers=_NO_STORE)


_NO_STORE = {"Cache-Control": "no-store"}


def with_mailbox(app: ASGIApp, mailbox: Mailbox) -> ASGIApp:
    """Serve the mailbox under `/_dev/mail/`; everything else goes to `app`."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/_dev/mail"):
            await app(scope, receive, send)
            return
        request = Request(scope, receive)
        if request.method not in ("GET", "HEAD"):
            response: Response = Response(status_code=405, headers={"Allow": "GET, HEAD"})
        elif path == MAIL_PATH:
            response = await mailbox.page(request)
        elif path == JSON_PATH:
            response = await mailbox.messages(request)
        elif path == MAIL_PATH.rstrip("/"):
            response = RedirectResponse(MAIL_PATH, status_code=301)
        else:
            response = Response("Not found", status_code=404, media_type="text/plain")
        await response(scope, receive, send)

    return serve
