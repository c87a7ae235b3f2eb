"""Texts in the Markdown most people write, converted without Python-Markdown.

Most texts are paragraphs, headings, lists of one line an item and quotes, with words, code
spans, links and emphasis in them. For such a text Python-Markdown builds a tree, tries every
processor and pattern on it, writes it out and hands it to the sanitiser, which finds nothing
to remove: some 0.4 ms for 2 KB, most of a cold build's work. `simple_markdown` writes the
same HTML directly, in a quarter of the time, and declines (None) any text holding anything
else, which then goes through the whole pipeline. What it declines: raw HTML and entities
(`<`, `&`), escapes, tables, attribute lists, footnotes and references, images, tabs and
control characters, lines that start with a space (code blocks, nested lists), two spaces
before a line break, rules and underlined headings, a heading or quote line inside another
block, lazy quote lines, list items over more lines than one or holding a block of their own,
links whose address the sanitiser might change, and inline text other than words, code spans,
links and emphasis as `sitegen.markdown.fast.simple_inline` takes them. A list right after a
list, or a quote right after a quote, goes on in it, as in Python-Markdown.

Each case follows Python-Markdown's own processors (`markdown/blockprocessors.py`, the toc
extension's ids) and the sanitiser's way of writing HTML; `tests/site/markdown/test_simple.py`
compares the result with the whole pipeline's, and with Python-Markdown's as it comes, on
written cases, generated texts of every construct, the sample content and the texts of
Python-Markdown's own tests."""

from __future__ import annotations

import re
import unicodedata
from collections import deque

# The inline part: which characters the inline patterns key on, and the few elements built
# directly. `sitegen.markdown.fast` uses them inside Python-Markdown, where escapes, HTML,
# entities, images and stashed parts can occur; here `_DECLINED` has ruled those out already.
# Outside the elements below, a text must hold none of these: the characters the inline
# patterns key on and the placeholders of stashed HTML (nor two spaces before a line break).
# A set of characters alone is searched for several times faster than with an alternative.
SPECIAL = re.compile(r"[\\`*_\[\]<&\x02\x03]")
_PLAIN = r"[^\\`*_\[\]!<&^\x02\x03\n]"
_SOLID = r"[^\s\\`*_\[\]!<&^\x02\x03]"
# A code span between single backticks, on one line.
CODE = re.compile(r"`([^`\\\x02\x03\n]+)`(?!`)")
# Emphasis with one or two stars around plain words, opened after a space or line break (see
# `_inline`) and closed before one or a punctuation mark: a pair that nothing can split.
EMPHASIS = re.compile(rf"(\*\*?)({_SOLID}(?:{_PLAIN}*{_SOLID})?)\1(?=[ \n.,;:!?)]|\Z)")
# A link with plain text and a bare address.
LINK = re.compile(rf"\[({_PLAIN}+)\]\(([^\s()<>\"'\\`\[\]*\x02\x03]+)\)")

# Anywhere in the text, these send it through the whole pipeline: HTML, entities, escapes,
# tables, attribute lists, footnotes, link references, images, tabs, carriage returns and
# other control characters (which the sanitiser may drop or the parser treat otherwise).
_DECLINED = re.compile(r"[<&\\|{\x00-\x09\x0b-\x1f\x7f-\x9f]")
_DECLINED_PAIRS = ("[^", "]:", "![")
# A line of nothing but these is a rule or underlines a heading.
_RULE = re.compile(r"[-*_= ]+")
_HEADING = re.compile(r"(#{1,6})(?!#)(.*)")
# The items of a list: a number and a dot, or a bullet, then spaces (`OListProcessor`).
_ITEM = re.compile(r"(?:\d+\.|[*+-]) +(.*)")
_ORDERED = re.compile(r"\d+\. ")
# Nested deeper than this, a text is left to Python-Markdown (which stops nesting quotes
# near the recursion limit).
_DEPTH = 8
# What the sanitiser writes as an entity in text.
_NBSP = "\u00a0"
# Addresses the sanitiser keeps as they are: relative ones, and absolute ones of the schemes
# it allows with a host of letters, digits, dots and hyphens whose last part starts with a
# letter (an address of numbers, a port, punycode it finds wrong or an odd host it drops).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_ALLOWED = re.compile(
    r"(?:https?://(?:(?!xn--)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*(?!xn--)[a-z](?:[a-z0-9-]*[a-z0-9])?"
    r"(?:[/?#].*)?|mailto:[^:/?#]+@[a-z0-9.-]+|tel:\+?[0-9-]+)",
    re.IGNORECASE | re.ASCII,
)
_EXTERNAL = ("http://", "https://", "//")


class _Declined(Exception):
    """The text holds something this module does not convert."""


def simple_markdown(text: str) -> str | None:
    """What `sitegen.markdown.texts.with_markdown` makes of the text, or None when the text
    holds anything this module leaves to it."""
    if _DECLINED.search(text) is not None or any(pair in text for pair in _DECLINED_PAIRS):
        return None
    if not text.strip():
        return ""
    lines = text.split("\n")
    if lines[0] and not lines[0].strip(" "):
        # Spaces alone on the first line, which Markdown blanks only after a line break.
        return None
    # Lines of spaces are blank (`NormalizeWhitespace`).
    source = "\n".join(line if line.strip(" ") else "" for line in lines) + "\n\n"
    children: list[str | _List | _Quote] = []
    try:
        _Blocks().parse(source, children)
    except _Declined:
        return None
    return "\n".join(map(str, children))


class _List:
    """A list: its tag, each item's HTML, and which items are loose (in a paragraph)."""

    def __init__(self, tag: str, items: list[str]) -> None:
        self.tag, self.items = tag, items
        self.loose: set[int] = set()

    def __str__(self) -> str:
        items = (
            f"<li>\n<p>{html}</p>\n</li>" if number in self.loose else f"<li>{html}</li>"
            for number, html in enumerate(self.items)
        )
        return f"<{self.tag}>\n" + "\n".join(items) + f"\n</{self.tag}>"


class _Quote:
    """A quote and the elements in it."""

    def __init__(self) -> None:
        self.children: list[str | _List | _Quote] = []

    def __str__(self) -> str:
        return "<blockquote>\n" + "\n".join(map(str, self.children)) + "\n</blockquote>"


class _Blocks:
    """Python-Markdown's block parser for the cases above; ids of headings as the toc
    extension gives them, unique in the text."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.counters: dict[str, int] = {}

    def parse(self, text: str, children: list[str | _List | _Quote], depth: int = 0) -> None:
        """Add the elements of a text (the whole or a quote's) to `children`."""
        if depth > _DEPTH:
            raise _Declined
        blocks = deque(text.split("\n\n"))
        while blocks:
            block = blocks.popleft()
            if not block:
                continue
            if block[0] == "\n":
                # `EmptyBlockProcessor`: a block that starts with a blank line loses it.
                blocks.appendleft(block[1:])
                continue
            lines = block.split("\n")
            first = lines[0]
            # A heading line splits any block; a quote line, any block but a quote.
            splitting = "#" if first[0] == ">" else "#>"
            for number, line in enumerate(lines):
                if not line:
                    raise _Declined  # a quote's last line blank: its paragraph keeps the break
                if line[0] == " ":
                    raise _Declined  # code, nesting
                if _RULE.fullmatch(line) is not None:
                    raise _Declined  # a rule, or the line under a heading
                if number and line[0] in splitting:
                    raise _Declined
            last = children[-1] if children else None
            if first[0] == "#":
                children.append(self.heading(first))
                if len(lines) > 1:
                    blocks.appendleft("\n".join(lines[1:]))
            elif first[0] == ">":
                if any(line[0] != ">" for line in lines):
                    raise _Declined  # lazy lines
                # `BlockQuoteProcessor`: a quote right after a quote goes on in it.
                quote = last if isinstance(last, _Quote) else _Quote()
                if quote is not last:
                    children.append(quote)
                self.parse("\n".join(map(_unquoted, lines)), quote.children, depth + 1)
                if not quote.children:
                    raise _Declined
            elif _ITEM.match(first) is not None:
                items = [_item(line) for line in lines]
                if isinstance(last, _List):
                    # `OListProcessor`: a list right after a list goes on in it, loose: the
                    # last item before and the first one now are put in paragraphs.
                    last.loose.update((len(last.items) - 1, len(last.items)))
                    last.items += items
                else:
                    children.append(_List("ol" if _ORDERED.match(first) else "ul", items))
            elif block.strip():
                # `ParagraphProcessor`; a block of other white space (no-break spaces) is dropped.
                children.append("<p>" + _inline(block.lstrip()) + "</p>")

    def heading(self, line: str) -> str:
        """`HashHeaderProcessor`'s heading, with the toc extension's id; the page's title is
        its only h1, so a level of one becomes two, as `render_with_markdown` makes it."""
        found = _HEADING.fullmatch(line)
        if found is None or found.group(2).endswith("#"):
            raise _Declined  # seven marks or more; closing marks
        words = found.group(2).strip()
        if not words:
            raise _Declined
        plain: list[str] = []
        html = _inline(words, plain)
        slug = _unique(_slugify(" ".join("".join(plain).split())), self.ids, self.counters)
        level = max(2, len(found.group(1)))
        return f'<h{level} id="{slug}">{html}</h{level}>'


def _unquoted(line: str) -> str:
    """`BlockQuoteProcessor.clean`: the line without its `>` and one space after it; a line
    of `>` and white space of any kind (no-break spaces too) is blank."""
    if line.strip() == ">":
        return ""
    return line[2:] if line.startswith("> ") else line[1:]


def _item(line: str) -> str:
    """One line of a list as its item's HTML: words that the block processors take for a
    paragraph (in a list, the item's text)."""
    found = _ITEM.fullmatch(line)
    if found is None:
        raise _Declined  # a line that continues the item before
    words = found.group(1).lstrip()
    if not words or words[0] in "#>" or _ITEM.match(words) or _RULE.fullmatch(words):
        raise _Declined  # empty, or a heading, quote, list or rule inside the item
    return _inline(words)


def _inline(text: str, plain: list[str] | None = None) -> str:
    """The HTML of a run of text (what `fast.simple_inline` makes of it, written out); its
    words without markup go to `plain` (for a heading's id)."""
    if "  \n" in text:
        raise _Declined  # a line break
    escape = _escaped if ">" in text or _NBSP in text else str
    html: list[str] = []
    position = 0
    found = SPECIAL.search(text)
    while found is not None:
        start = found.start()
        piece = text[position:start]
        html.append(escape(piece))
        char = text[start]
        if char == "`":
            match = CODE.match(text, start)
            if match is None:
                raise _Declined
            words = match.group(1).strip()
            html.append(f"<code>{escape(words)}</code>")
        elif char == "*" and (start == 0 or text[start - 1] in " \n"):
            match = EMPHASIS.match(text, start)
            if match is None:
                raise _Declined
            tag = "strong" if len(match.group(1)) == 2 else "em"
            words = match.group(2)
            html.append(f"<{tag}>{escape(words)}</{tag}>")
        elif char == "[":  # never an image's: `_DECLINED_PAIRS` has ruled "![" out
            match = LINK.match(text, start)
            if match is None:
                raise _Declined
            words, address = match.group(1), match.group(2)
            if _SCHEME.match(address) is not None and _ALLOWED.fullmatch(address) is None:
                raise _Declined
            rel = ' rel="noopener"' if address.startswith(_EXTERNAL) else ""
            html.append(f'<a href="{address}"{rel}>{escape(words)}</a>')
        else:
            raise _Declined
        if plain is not None:
            plain += (piece, words)
        position = match.end()
        found = SPECIAL.search(text, position)
    piece = text[position:]
    if plain is not None:
        plain.append(piece)
    if not html:
        return escape(text)
    html.append(escape(piece))
    return "".join(html)


def _escaped(text: str) -> str:
    """Text as the sanitiser writes it (`<` and `&` never get this far)."""
    if ">" in text:
        text = text.replace(">", "&gt;")
    if _NBSP in text:
        text = text.replace(_NBSP, "&nbsp;")
    return text


def _slugify(value: str) -> str:
    """The toc extension's `slugify` with its default separator."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


_NUMBERED = re.compile(r"(.*)_([0-9]+)")


def _unique(slug: str, ids: set[str], counters: dict[str, int]) -> str:
    """The toc extension's `unique`: `_1`, `_2` and on added to an id already taken.
    `counters` holds, by base, the n up to which `base_1` to `base_n` are all taken, so that
    many equal headings do not look through every suffix again (as the extension does)."""
    if slug in ids or not slug:
        numbered = _NUMBERED.fullmatch(slug)
        base, count = (numbered.group(1), int(numbered.group(2))) if numbered else (slug, 0)
        known = counters.get(base, 0)
        skip = count <= known or slug == f"{base}_{known + 1}"
        if skip:
            count = max(count, known)
        count += 1
        while f"{base}_{count}" in ids:
            count += 1
        slug = f"{base}_{count}"
        if skip:
            counters[base] = count
    ids.add(slug)
    return slug
