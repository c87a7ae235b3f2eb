"""The signed links in e-mails: their purposes, how long each lasts, and their addresses.

Pure: signing takes the key and the time; no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from ..shared.table import DAY_SECONDS
from ..shared.tokens import SigningKey, sign
from .items import CONFIRM_DAYS, FOLLOW_UP_LINK_DAYS, PAUSE_DAYS

LANGUAGES = ("en", "de", "pl")
PATH = "/api/links"


class Purpose(StrEnum):
    """What a link may do."""

    CONFIRM = "confirm-offer"
    PAUSE = "pause-offer"
    WITHDRAW = "withdraw-offer"
    ACCEPT = "accept-introduction"
    DECLINE = "decline-introduction"
    FOLLOW_UP = "follow-up"


LIFETIME_DAYS = {
    Purpose.CONFIRM: CONFIRM_DAYS,
    Purpose.PAUSE: PAUSE_DAYS,
    Purpose.WITHDRAW: PAUSE_DAYS,
    Purpose.FOLLOW_UP: FOLLOW_UP_LINK_DAYS,
}
# Pausing and withdrawing work whatever the offer's version: the link goes in every mail.
ANY_VERSION = 0


def page_language(lang: str) -> str:
    """The language of a link's address, or English for any other."""
    return lang if lang in LANGUAGES else "en"


@dataclass(frozen=True)
class Signer:
    """Makes the links of one site with one key."""

    key: SigningKey
    site_url: str

    def link(self, purpose: Purpose, item: str, version: int, expires: int, lang: str) -> str:
        """The page's address for `purpose` on `item` at `version`, until `expires`."""
        token = sign(self.key, purpose.value, item, version, expires)
        return f"{self.site_url}{PATH}/{page_language(lang)}/{quote(token, safe='.')}"

    def pause_link(self, offer_id: str, lang: str, now: float) -> str:
        """The link to pause or withdraw an offer, good for a year."""
        expires = int(now) + LIFETIME_DAYS[Purpose.PAUSE] * DAY_SECONDS
        return self.link(Purpose.PAUSE, offer_id, ANY_VERSION, expires, lang)
