"""What each signed link shows and does: confirm an offer, pause, resume or withdraw it, accept
or decline an introduction, answer a follow-up. A page is shown only while its change can still
be made; the change itself is a conditional write, so a link works once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..shared.table import introduction_key, offer_key, request_key
from ..shared.tokens import Claims
from .errors import Gone, HelpRequestError, Stale
from .items import (
    ANSWERS,
    DECLINED_NOTE,
    WITHDRAWN_NOTE,
    Item,
    item_id,
    number,
    strings,
    text,
)
from .links import ANY_VERSION, Purpose
from .runtime import Runtime

OFFER_ACTIONS = {"pause": ("confirmed", "paused"), "resume": ("paused", "confirmed")}


class BadForm(HelpRequestError):
    """The form's fields are not one of the page's buttons."""


@dataclass(frozen=True)
class Subject:
    """A link's item and what its page needs of the items around it."""

    purpose: Purpose
    claims: Claims
    item: Item
    request: Item | None = None
    offer: Item | None = None

    @property
    def lang(self) -> str:
        """The page's language: the item's (a helper's introduction speaks the helper's)."""
        return text(self.item, "language") or "en"


@dataclass(frozen=True)
class View:
    """A page to render: its template, language and values."""

    template: str
    lang: str
    values: Mapping[str, Any] = field(default_factory=dict)


class Flows:
    """The links' flows over one runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def open(self, purpose: Purpose, claims: Claims) -> Subject:
        """Read the link's item (and its request and helper); Gone when it is not there."""
        now, get = self.runtime.now(), self.runtime.store.get
        if purpose in (Purpose.ACCEPT, Purpose.DECLINE):
            intro = _found(get(introduction_key(claims.item), now))
            request = _found(get(request_key(text(intro, "request_id")), now))
            return Subject(
                purpose, claims, intro, request, get(offer_key(text(intro, "helper_id")), now)
            )
        if purpose == Purpose.FOLLOW_UP:
            request = _found(get(request_key(claims.item), now))
            introduction = get(introduction_key(text(request, "introduction")), now)
            helper = text(introduction, "helper_id") if introduction else ""
            offer = get(offer_key(helper), now) if helper else None
            return Subject(purpose, claims, request, request, offer)
        return Subject(purpose, claims, _found(get(offer_key(claims.item), now)))

    def show(self, subject: Subject, answer: str | None) -> View:
        """The page with its button(s); Stale when the link's change was made or overtaken."""
        _check_ready(subject)
        values = self._values(subject)
        if subject.purpose == Purpose.FOLLOW_UP:
            first = answer if answer in ANSWERS else "yes"
            values["answers"] = [first, *(other for other in ANSWERS if other != first)]
        return View(_template(subject.purpose), subject.lang, values)

    def apply(self, subject: Subject, form: Mapping[str, str]) -> View:
        """Make the link's change once, and say it is done."""
        _check_ready(subject)
        store, now = self.runtime.store, self.runtime.now()
        values = self._values(subject) | {"done": True}
        match subject.purpose:
            case Purpose.CONFIRM:
                keep = self.runtime.config.helper_retention_days
                store.confirm_offer(subject.item, subject.claims.version, now, keep)
            case Purpose.PAUSE | Purpose.WITHDRAW:
                values["state"] = self._change_offer(subject, form.get("action", ""))
            case Purpose.ACCEPT:
                store.accept(subject.item, _found(subject.request), subject.offer, now)
            case Purpose.DECLINE:
                store.hand_back(
                    subject.item, subject.request, subject.offer, "declined", DECLINED_NOTE, now
                )
            case Purpose.FOLLOW_UP:
                answer = form.get("answer", "")
                if answer not in ANSWERS:
                    raise BadForm("answer")
                store.answer_follow_up(subject.item, answer, now)
                values["answer"] = answer
        return View(_template(subject.purpose), subject.lang, values)

    def _change_offer(self, subject: Subject, action: str) -> str:
        store, offer = self.runtime.store, subject.item
        if action == "withdraw":
            self.withdraw(offer)
            return "withdrawn"
        if action not in OFFER_ACTIONS:
            raise BadForm("action")
        before, after = OFFER_ACTIONS[action]
        if text(offer, "status") != before:
            raise Stale(action)
        store.set_offer_status(offer, before, after)
        return after

    def withdraw(self, offer: Item) -> None:
        """Hand the helper's pending introductions back, then erase the offer."""
        store, now = self.runtime.store, self.runtime.now()
        for intro in store.pending_introductions(item_id(offer)):
            request = store.get(request_key(text(intro, "request_id")), now)
            try:
                store.hand_back(intro, request, None, "withdrawn", WITHDRAWN_NOTE, now)
            except Stale:
                continue  # answered or timed out meanwhile: nothing to hand back
        store.delete_offer(offer)

    def _values(self, subject: Subject) -> dict[str, Any]:
        texts, lang = self.runtime.texts, subject.lang
        if subject.purpose in (Purpose.ACCEPT, Purpose.DECLINE):
            return {"topic": texts.topic(lang, text(subject.item, "topic"))}
        if subject.purpose == Purpose.FOLLOW_UP:
            helper = text(subject.offer, "name") if subject.offer else ""
            return {"helper": helper or texts.t(lang, "links.someone_helping")}
        topics = ", ".join(texts.topic(lang, topic) for topic in strings(subject.item, "topics"))
        return {"topics": topics, "state": text(subject.item, "status")}


def _check_ready(subject: Subject) -> None:
    """Stale unless the link's change can still be made to the item as it is."""
    item, claims = subject.item, subject.claims
    same = claims.version == ANY_VERSION or number(item, "version") == claims.version
    status = text(item, "status")
    ready = {
        Purpose.CONFIRM: status == "unconfirmed",
        Purpose.PAUSE: True,
        Purpose.WITHDRAW: True,
        Purpose.ACCEPT: status == "pending",
        Purpose.DECLINE: status == "pending",
        Purpose.FOLLOW_UP: status == "introduced" and "help_answer" not in item,
    }[subject.purpose]
    if subject.purpose == Purpose.FOLLOW_UP:
        same = True  # answered once: `help_answer`; the request's version moves with moderators
    if not (same and ready):
        raise Stale(subject.purpose.value)


def _found(item: Item | None) -> Item:
    if item is None:
        raise Gone("item")
    return item


def _template(purpose: Purpose) -> str:
    names = {Purpose.PAUSE: "offer", Purpose.WITHDRAW: "offer", Purpose.FOLLOW_UP: "follow_up"}
    return f"{names.get(purpose, purpose.value.split('-')[0])}.html"
