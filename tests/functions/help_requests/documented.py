"""What `openapi.yaml` promises about text, written out on its own so that tests can hold the
API to it without borrowing the API's code."""

from __future__ import annotations

import unicodedata

CONTROL = frozenset(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)])
INVISIBLE = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
LINE_BREAKS = ("\r\n", "\r", "\u2028", "\u2029", "\x85")


def cleaned(text: str, *, multiline: bool) -> str:
    """NFC, line breaks as \\n, control and invisible characters removed (tabs and line breaks
    kept in the message, spaces in their place elsewhere), trimmed."""
    text = unicodedata.normalize("NFC", text)
    for line_break in LINE_BREAKS:
        text = text.replace(line_break, "\n")
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch if multiline else " ")
        elif not (ch in CONTROL or ch in INVISIBLE or 0xD800 <= ord(ch) <= 0xDFFF):
            out.append(ch)
    return "".join(out).strip()


def from_a_robot(data: object) -> bool:
    """The honeypot: a `website` with anything but blanks in it."""
    website = data.get("website") if isinstance(data, dict) else None
    return website is not None and not (isinstance(website, str) and not website.strip())
