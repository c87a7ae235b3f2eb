"""Ids a page's text takes from the page around it.

Labels, the skip link and the form's script find their element by id, and a browser gives them
the first element that has it: a heading 'Message' above the ask form (id="message") would take
the message field's label, and a text could hide the form's error summary from its script."""

from __future__ import annotations

import re
from collections import Counter

from sitegen.content.schema import Document
from sitegen.errors import Problem
from sitegen.markdown.texts import body_text

# A start tag as nh3 and the templates write it, every value in double quotes; its attributes.
_START_TAG = re.compile(r'<[a-zA-Z][\w-]*((?:\s+[\w:.-]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE = re.compile(r'\s+([\w:.-]+)(?:="([^"]*)")?')
_UNDERLINE = re.compile(r"^(?:=+|-+)\s*$")
_HINT = "an id names one element: rename the heading, or end its line with {: #another-id }"


def id_texts(html: str) -> list[str]:
    """Every `id="..."` after whitespace, in tags or not: the names a text may share with its
    page, as `re.findall(r'\\sid="([^"]*)"', html)` finds them."""
    # str.find goes from one candidate to the next much faster than the expression, which has
    # to try every character as the whitespace before the name.
    found = []
    find = html.find
    start = find('id="', 1)
    while start != -1:
        if html[start - 1].isspace():
            end = find('"', start + 4)
            if end == -1:
                break
            found.append(html[start + 4 : end])
            # The next one needs whitespace after this one's closing quote.
            start = find('id="', end + 2)
        else:
            start = find('id="', start + 1)
    return found


def ids_in(html: str) -> list[str]:
    """Every id of the start tags of an HTML text, in order."""
    return [
        value
        for tag in _START_TAG.finditer(html)
        if "id=" in tag.group(1)
        for name, value in _ATTRIBUTE.findall(tag.group(1))
        if name == "id"
    ]


def id_problems(doc: Document, body: str, page: str) -> list[Problem]:
    """A problem for each id of the text (`body`, its HTML) found twice in the whole page."""
    # Tags are read only when a quick count finds a name twice; most pages share none. A name
    # cannot hold a quote, so `id="name"` never overlaps itself, and its count is at least the
    # number of tags that give the id.
    names = set(id_texts(body))
    if all(page.count(f'id="{name}"') < 2 for name in names):
        return []
    counts = Counter(ids_in(page))
    twice = [name for name in dict.fromkeys(ids_in(body)) if counts[name] > 1]
    return [
        Problem(doc.path, _line(doc, name), f"the id '{name}' is used twice on the page", _HINT)
        for name in twice
    ]


def _line(doc: Document, name: str) -> int | None:
    """The line of the text that gives the id: an attribute list or tag naming it, or a
    heading whose words make it."""
    from markdown.extensions.toc import slugify  # only to report a problem

    named = re.compile(rf"\{{[^}}]*#{re.escape(name)}(?![\w-])|\bid=[\"']?{re.escape(name)}\b")
    lines = body_text(doc).split("\n")
    for number, line in enumerate(lines):
        underlined = number + 1 < len(lines) and _UNDERLINE.match(lines[number + 1]) is not None
        heading = line.startswith("#") or underlined
        if named.search(line) or (heading and slugify(line.strip("# "), "-") == name):
            return doc.body_line + number
    return None
