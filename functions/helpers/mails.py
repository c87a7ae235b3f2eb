"""Which e-mail an item's change sends, to whom, with which values and links. Pure: items in,
e-mails to send out; signing links takes the key and the time, nothing else.

A helper's mail never carries the requester's contact before the helper accepted: the
introduction request names the topic and the request's words, nothing else of the person."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ..shared.table import DAY_SECONDS
from .items import (
    ANSWER_SECONDS,
    CONFIRM_DAYS,
    Item,
    epoch,
    is_email,
    item_id,
    number,
    strings,
    text,
)
from .links import LIFETIME_DAYS, Purpose, Signer
from .texts import PageTexts


@dataclass(frozen=True)
class Outgoing:
    """One e-mail to render and send."""

    to: str
    lang: str
    name: str
    values: Mapping[str, Any]


def day_of(moment: float) -> date:
    """The UTC date of a moment, as links' expiry dates are shown."""
    return datetime.fromtimestamp(moment, UTC).date()


@dataclass(frozen=True)
class Composer:
    """Composes the e-mails of one site's flows."""

    signer: Signer
    texts: PageTexts

    def helper_confirm(self, offer: Item, now: float) -> Outgoing:
        """Ask a new helper to confirm the address (the link lasts as the unconfirmed offer)."""
        lang, offer_id = text(offer, "language"), item_id(offer)
        expires = number(offer, "expires_at") or int(now) + CONFIRM_DAYS * DAY_SECONDS
        link = self.signer.link(Purpose.CONFIRM, offer_id, number(offer, "version"), expires, lang)
        values = {
            "name": text(offer, "name"),
            "topic": self._topics(lang, strings(offer, "topics")),
            "confirm_url": link,
            "expires": day_of(expires),
            "days": CONFIRM_DAYS,
            "pause_url": self.signer.pause_link(offer_id, lang, now),
        }
        return Outgoing(text(offer, "email"), lang, "helper_confirm", values)

    def introduction_request(self, intro: Item, request: Item, offer: Item, now: float) -> Outgoing:
        """Ask the helper whether to be introduced: the request's words, never its contact."""
        lang, intro_id, version = text(offer, "language"), item_id(intro), number(intro, "version")
        expires = int(epoch(text(intro, "created_at"))) + ANSWER_SECONDS
        summary = "\n\n".join(
            part for part in (text(request, "message"), text(intro, "note")) if part
        )
        values = {
            "name": text(offer, "name"),
            "topic": self.texts.topic(lang, text(intro, "topic") or text(request, "topic")),
            "summary": summary,
            "accept_url": self.signer.link(Purpose.ACCEPT, intro_id, version, expires, lang),
            "decline_url": self.signer.link(Purpose.DECLINE, intro_id, version, expires, lang),
            "expires": day_of(expires),
            "pause_url": self.signer.pause_link(item_id(offer), lang, now),
        }
        return Outgoing(text(offer, "email"), lang, "introduction_request", values)

    def introduction_accepted(self, request: Item, offer: Item, now: float) -> list[Outgoing]:
        """Both sides get the other's contact; the requester only when it is an address."""
        helper_lang, lang = text(offer, "language"), text(request, "language")
        requester = text(request, "name") or self.texts.t(helper_lang, "links.someone_asking")
        mails = [
            Outgoing(
                text(offer, "email"),
                helper_lang,
                "helper_contact",
                {
                    "name": text(offer, "name"),
                    "requester": requester,
                    "contact": text(request, "contact"),
                    "pause_url": self.signer.pause_link(item_id(offer), helper_lang, now),
                },
            )
        ]
        if is_email(text(request, "contact")):
            values = {
                "name": text(request, "name"),
                "helper": text(offer, "name"),
                "topic": self.texts.topic(lang, text(request, "topic")),
                "about": self._about(lang, offer),
                "contact": text(offer, "email"),
            }
            mails.insert(
                0, Outgoing(text(request, "contact"), lang, "introduction_accepted", values)
            )
        return mails

    def follow_up(self, request: Item, offer: Item | None, now: float) -> Outgoing | None:
        """Ask the requester whether the help came; nothing for a phone number."""
        contact, lang = text(request, "contact"), text(request, "language")
        if not is_email(contact):
            return None
        expires = int(now) + LIFETIME_DAYS[Purpose.FOLLOW_UP] * DAY_SECONDS
        link = self.signer.link(
            Purpose.FOLLOW_UP, item_id(request), number(request, "version"), expires, lang
        )
        helper = text(offer, "name") if offer else ""
        values = {
            "name": text(request, "name"),
            "helper": helper or self.texts.t(lang, "links.someone_helping"),
            "yes_url": f"{link}?answer=yes",
            "not_yet_url": f"{link}?answer=not-yet",
            "no_url": f"{link}?answer=no",
            "expires": day_of(expires),
        }
        return Outgoing(contact, lang, "follow_up", values)

    def _topics(self, lang: str, topics: tuple[str, ...]) -> str:
        return ", ".join(self.texts.topic(lang, topic) for topic in topics)

    def _about(self, lang: str, offer: Item) -> str:
        about = self._topics(lang, strings(offer, "topics"))
        region = text(offer, "region")
        return f"{about} ({region})" if region else about
