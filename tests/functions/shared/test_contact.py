"""A contact's one spelling and its keyed hash: what finds a person's requests again."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from functions.shared.contact import contact_hash, contact_key

KEY = b"contact-key-0123456789abcdef-0123456789"


@pytest.mark.parametrize(
    ("contact", "key"),
    [
        ("Anna@Example.ORG ", "anna@example.org"),
        ("STRASSE@example.de", "strasse@example.de"),
        ("+48 600-700-800", "+48600700800"),
        ("0048 600 700 800", "+48600700800"),
        ("+49 (0151) 2345/678", "+4901512345678"),
        ("600 700 800", "600700800"),
    ],
)
def test_contact_key(contact: str, key: str) -> None:
    assert contact_key(contact) == key


def test_every_spelling_has_one_hash_and_the_hash_is_keyed() -> None:
    spellings = ["+49 151 2345 6789", "0049 151 2345 6789", "+49-151-23456789", "+4915123456789 "]
    hashes = {contact_hash(spelling, KEY) for spelling in spellings}
    assert len(hashes) == 1
    [found] = hashes
    assert found == hmac.new(KEY, b"+4915123456789", hashlib.sha256).hexdigest()
    assert found != hashlib.sha256(b"+4915123456789").hexdigest()
    assert contact_hash("+4915123456789", b"another-key-0123456789abcdef-012345") != found
    assert contact_hash("Anna@Example.org", KEY) == contact_hash("anna@example.org", KEY)
