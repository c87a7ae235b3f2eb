"""The front matter most files have, read without a YAML parser.

One `key: value` a line, where each value is plain or quoted text on that line, a whole
number, a date, yes/no/true/false/on/off, null, or a one-line list of such items, and keys
with nothing after them holding more such lines indented below them (the UI strings'
files): `read` gives exactly what PyYAML's safe loader would, key lines included. Anything
else (lists of lines, anchors, tags, comments after a value, escapes, a colon or `#` in
plain text, a number that is not a plain whole one...) gives None, and the caller reads
the text with PyYAML, which also reports the errors. A story's front matter is read in a
fifth of the time, and a build whose settings and strings are plain, or a rebuild after one
edit, need not import PyYAML at all."""

from __future__ import annotations

import re
from datetime import date
from functools import cache

# A line of `name: value`, from its start; PyYAML refuses a key of over 1,024 characters.
_KEY = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_-]{0,1023}):(?: +(.*))?")
# What PyYAML refuses, or reads as a line break (a lone CR, NEL, the Unicode separators); the
# byte-order mark, which libyaml refuses inside a text; and tabs, which may separate or not.
_UNUSUAL_ASCII = re.compile("[^\n\x20-\x7e]")
# Written as what it matches, not as the complement of what is usual: it compiles in a
# seventh of the time.
_UNUSUAL_TEXT = "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
_WHOLE = re.compile(r"0|[1-9][0-9]*")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# A letter that none of YAML 1.1's numbers and times starting with a digit holds (they hold
# hexadecimal digits, `x`, `T` and `Z` at most): a text starting with a digit and holding
# one is text (`6-digit code`).
_NOT_A_NUMBER = re.compile("[g-su-wyG-SU-WY]")
# YAML 1.1's implicit types for words: anything else starting with a letter is text.
_WORDS: dict[str, object] = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("null", "Null", "NULL"), None),
}
# Characters a plain item of a list may not hold here: `:`, `#`, the brackets and commas have
# meanings there (and `?`, where PyYAML ends a plain item). A plain value on its own may hold
# them, but not `: ` or ` #`, nor end in a colon.
_FLOW_STOPS = frozenset(":#,?[]{}")
# Mappings within mappings deeper than this are left to PyYAML, which refuses what it cannot
# read (libyaml stops at a thousand levels); a file of UI strings has three.
_DEEPEST = 64


class Unsure(Exception):
    """The text needs a YAML parser."""


def read(text: str, first_line: int) -> dict[str, tuple[object, int]] | None:
    """Each key's value and its line (`first_line` is the text's first line in the file), or
    None when the text is not of the plain kind read here. A key with nothing after it holds
    the keys indented below it, as a mapping of the same kind."""
    if (_UNUSUAL_ASCII if text.isascii() else _unusual()).search(text):
        return None
    fields: dict[str, tuple[object, int]] = {}
    # The mappings being filled, innermost last, with the indent of their keys.
    levels: list[tuple[int, dict[str, tuple[object, int]]]] = [(0, fields)]
    # The last key, when nothing followed it on its line: the lines indented below hold its value.
    bare: tuple[str, int] | None = None
    try:
        for number, line in enumerate(text.split("\n"), first_line):
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue  # a blank or comment line, whatever its indent
            indent = len(line) - len(stripped)
            match = _KEY.fullmatch(stripped)
            if match is None:
                return None
            if bare is not None and indent > levels[-1][0]:
                nested: dict[str, tuple[object, int]] = {}
                levels[-1][1][bare[0]] = (nested, bare[1])
                levels.append((indent, nested))
                if len(levels) > _DEEPEST:
                    return None
            else:
                while indent < levels[-1][0]:
                    levels.pop()
                if indent != levels[-1][0]:
                    return None
            mapping = levels[-1][1]
            if match[1] in mapping:
                return None
            value = (match[2] or "").rstrip(" ")
            mapping[match[1]] = (_value(value), number)
            bare = None if value else (match[1], number)
    except Unsure:
        return None
    return fields


@cache
def _unusual() -> re.Pattern[str]:
    """Compiled when first needed: only non-ASCII texts need it."""
    return re.compile(_UNUSUAL_TEXT)


def _value(text: str) -> object:
    if not text:
        return None
    first = text[0]
    if first in "\"'":
        return _quoted(text)
    if first == "[":
        if text[-1] != "]":
            raise Unsure
        inside = text[1:-1].strip(" ")
        return [_item(item.strip(" ")) for item in inside.split(",")] if inside else []
    if ": " in text or " #" in text or text[-1] == ":":
        raise Unsure
    return _plain(text, frozenset())


def _item(text: str) -> object:
    if not text:
        raise Unsure
    return _quoted(text) if text[0] in "\"'" else _plain(text, _FLOW_STOPS)


def _quoted(text: str) -> str:
    quote = text[0]
    if len(text) < 2 or text[-1] != quote:
        raise Unsure
    inside = text[1:-1]
    if quote == '"':
        if '"' in inside or "\\" in inside:
            raise Unsure
        return inside
    if "'" in inside.replace("''", ""):
        raise Unsure
    return inside.replace("''", "'")


def _plain(text: str, stops: frozenset[str]) -> object:
    if not stops.isdisjoint(text):
        raise Unsure
    first = text[0]
    if first.isalpha():
        return _WORDS.get(text, text)
    if not first.isascii():
        return text  # YAML's indicators and numbers all start with ASCII
    if first.isdigit() and _NOT_A_NUMBER.search(text):
        return text
    if _WHOLE.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts; PyYAML keeps the text
            raise Unsure from None
    found = _DATE.fullmatch(text)
    if found is None:
        raise Unsure
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        raise Unsure from None
