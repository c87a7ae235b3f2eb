"""A contact in one spelling, and its keyed hash: how a person's requests are found again."""

from __future__ import annotations

import hashlib
import hmac
import re


def contact_key(contact: str) -> str:
    """A contact in one spelling: e-mail addresses case-folded, phone numbers as +digits."""
    contact = contact.strip()
    if "@" in contact:
        return contact.casefold()
    # Any digit, 0-9 or another script's: requests stored while the form took those are found
    # by the hash of this spelling.
    digits = re.sub(r"\D", "", contact)
    if contact.startswith("+"):
        return f"+{digits}"
    return f"+{digits[2:]}" if digits.startswith("00") else digits


def contact_hash(contact: str, key: bytes) -> str:
    """The keyed hash (HMAC-SHA256, hex) of the contact's one spelling: stored, and looked up."""
    return hmac.new(key, contact_key(contact).encode(), hashlib.sha256).hexdigest()
