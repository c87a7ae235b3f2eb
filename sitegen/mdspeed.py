"""Python-Markdown, minus the work that cannot change its output.

Python-Markdown tries every inline pattern on every run of text and every block processor on
every block, mostly to find nothing. A pattern whose regular expression needs a character the
text lacks cannot match, so skipping it leaves the result as it was. Each shortcut here is
taken only for a pattern or processor whose expression is exactly the one it was written for;
anything else (another Markdown version, an extension's own pattern) runs as usual.

Most text is plain words with a few code spans, links and emphasis; `simple_inline` builds the
elements of such a text directly, and hands anything less simple to the patterns.
`tests/site/test_mdspeed.py` compares the HTML with plain Python-Markdown's."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

import markdown
from markdown import blockprocessors, inlinepatterns, treeprocessors, util
from markdown.extensions import footnotes, tables, toc

# Characters the text must hold for an inline pattern to match, by the pattern's expression.
_INLINE_NEEDS: dict[str, tuple[str, ...]] = {
    inlinepatterns.BACKTICK_RE: ("`",),
    inlinepatterns.ESCAPE_RE: ("\\",),
    inlinepatterns.LINK_RE: ("[",),
    inlinepatterns.IMAGE_LINK_RE: ("![",),
    inlinepatterns.AUTOLINK_RE: ("<",),
    inlinepatterns.AUTOMAIL_RE: ("<",),
    inlinepatterns.HTML_RE: ("<",),
    inlinepatterns.ENTITY_RE: ("&",),
    inlinepatterns.LINE_BREAK_RE: ("  \n",),
    r"\[\^([^\]]*)\]": ("[^",),  # footnotes' reference
}

# The same for block processors: (class, its expression, what a block must hold to match).
# Tables need a pipe; footnote and reference definitions (whose `test` says yes to anything
# and whose `run` puts back a block it can't use) need their opening bracket.
_BLOCK_NEEDS: tuple[tuple[type[blockprocessors.BlockProcessor], str | None, tuple[str, ...]], ...]
_BLOCK_NEEDS = (
    (blockprocessors.HashHeaderProcessor, blockprocessors.HashHeaderProcessor.RE.pattern, ("#",)),
    (
        blockprocessors.SetextHeaderProcessor,
        blockprocessors.SetextHeaderProcessor.RE.pattern,
        ("=", "-"),
    ),
    (blockprocessors.HRProcessor, blockprocessors.HRProcessor.RE, ("-", "_", "*")),
    (blockprocessors.OListProcessor, r"^[ ]{0,3}\d+\.[ ]+(.*)", (".",)),
    (blockprocessors.UListProcessor, r"^[ ]{0,3}[*+-][ ]+(.*)", ("*", "+", "-")),
    (blockprocessors.BlockQuoteProcessor, blockprocessors.BlockQuoteProcessor.RE.pattern, (">",)),
    (blockprocessors.ReferenceProcessor, blockprocessors.ReferenceProcessor.RE.pattern, ("[",)),
    (footnotes.FootnoteBlockProcessor, footnotes.FootnoteBlockProcessor.RE.pattern, ("[^",)),
    (tables.TableProcessor, None, ("|",)),
)

_Needs = tuple[str, ...] | None


class Converter(markdown.Markdown):
    """`markdown.Markdown` with the same output, faster; use it like one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parser.parseBlocks = _block_loop(self.parser)  # type: ignore[method-assign, assignment]
        # Python-Markdown registers its inline processor at 20.
        self.treeprocessors.register(_FastInline(self), "inline", 20)
        block_level = frozenset(self.block_level_elements)
        levels: dict[str, bool] = {}

        def is_block_level(tag: Any) -> bool:
            if not isinstance(tag, str):
                return False
            known = levels.get(tag)
            if known is None:
                known = levels[tag] = tag.lower().rstrip("/") in block_level
            return known

        self.is_block_level = is_block_level  # type: ignore[method-assign]
        delimiters = getattr(self, "delimiters", None)
        if isinstance(delimiters, inlinepatterns.DelimiterProcessor):
            _speed_up_delimiters(delimiters)
        self._toc = next(
            (p for p in self.treeprocessors if isinstance(p, toc.TocTreeprocessor)), None
        )
        self._toc_marker = self._toc.marker if self._toc else ""
        attr_list = "attr_list" in self.treeprocessors
        self._attr_list_run = self.treeprocessors["attr_list"].run if attr_list else None

    def convert(self, source: str) -> str:
        # The marker can only be found in a text that holds it; attribute lists need a brace.
        if self._toc is not None:
            self._toc.marker = self._toc_marker if self._toc_marker in source else ""
        if self._attr_list_run is not None:
            processor = self.treeprocessors["attr_list"]
            processor.run = self._attr_list_run if "{" in source else _nothing  # type: ignore[method-assign]
        return super().convert(source)


def _nothing(root: Element) -> None:
    return None


class _FastInline(treeprocessors.InlineProcessor):
    """The inline processor, skipping patterns that need characters the text lacks.

    A text of plain words with nothing but code spans, links and simple emphasis (most of what
    people write) is turned into its elements directly, without the stash of placeholders the
    patterns work through. Every other text goes through the patterns."""

    def run(self, tree: Element, ancestors: list[str] | None = None) -> Element:
        self._patterns = [(p, _inline_needs(p)) for p in self.inlinePatterns]
        self._delimiters = _direct_delimiters(self.md)
        # Upstream's loop (markdown/treeprocessors.py), with the direct way in front of it.
        self.stashed_nodes: dict[str, Element | str] = {}
        self.parent_map = {c: p for p in tree.iter() for c in p}
        tree_parents = [] if ancestors is None else ancestors[:]
        stack = [(tree, tree_parents)]
        self._InlineProcessor__build_ancestors(tree, tree_parents)  # type: ignore[attr-defined]
        handle = self._InlineProcessor__handleInline
        placeholders = self._InlineProcessor__processPlaceholders  # type: ignore[attr-defined]
        while stack:
            element, parents = stack.pop(0)
            self.ancestors = parents
            if element is not tree:
                self.ancestors.append(element.tag.lower())
            queue: list[tuple[Element, list[Element]]] = []
            for child in element:
                if child.text and not isinstance(child.text, util.AtomicString):
                    text, child.text = child.text, None
                    direct = self._simple(text)
                    if direct is None:
                        self.ancestors.append(child.tag.lower())
                        found = placeholders(handle(text), child)
                        for item in found:
                            self.parent_map[item[0]] = child
                        stack += found
                        queue.append((child, [item[0] for item in found]))
                        self.ancestors.pop()
                    else:
                        child.text = direct[0] or None
                        queue.append((child, direct[1]))
                if child.tail:
                    direct = self._simple(child.tail)
                    if direct is None:
                        tail = handle(child.tail)
                        dummy = Element("d")
                        child.tail = None
                        found = placeholders(tail, dummy, False)
                        child.tail = dummy.tail or None
                        new = [item[0] for item in found]
                    else:
                        child.tail = direct[0] or None
                        new = direct[1]
                    if new:
                        position = list(element).index(child) + 1
                        for node in reversed(new):
                            self.parent_map[node] = element
                            element.insert(position, node)
                if len(child):
                    self.parent_map[child] = element
                    stack.append((child, self.ancestors[:]))
            for parent, nodes in queue:
                for index, node in enumerate(nodes):
                    parent.insert(index, node)
        return tree

    def _simple(self, text: str) -> tuple[str, list[Element]] | None:
        delimiters = self._delimiters
        # Emphasis keeps state from text to text while it has unpaired delimiters; then the
        # patterns must see the text.
        if delimiters is None or delimiters.regions or delimiters.stack:
            return None
        for delimiter in delimiters.delimiters.values():
            if delimiter.stack:
                return None
        direct = simple_inline(text)
        if direct is not None:
            # Stashed as the patterns would stash them: a later text's placeholders count on it.
            stash = self.stashed_nodes
            for node in direct[1]:
                stash[f"{len(stash):04d}"] = node
        return direct

    # Replaces the base class's private loop over the patterns (Python mangles the name).
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, util.AtomicString):
            return data
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        patterns = self._patterns
        start = 0
        while patternIndex < len(patterns):
            pattern, needs = patterns[patternIndex]
            if needs is not None:
                # Written out rather than any(): this runs for every pattern.
                for needed in needs:
                    if needed in data:
                        break
                else:
                    # What a pattern that finds nothing returns: the text as it was, from 0.
                    patternIndex += 1
                    start = 0
                    continue
            data, matched, start = apply(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


# The inline patterns, by name, type and expression, that `simple_inline` does the work of.
_DIRECT_PATTERNS = (
    ("backtick", inlinepatterns.BacktickInlineProcessor, inlinepatterns.BACKTICK_RE),
    ("escape", inlinepatterns.EscapeInlineProcessor, inlinepatterns.ESCAPE_RE),
    ("footnote", footnotes.FootnoteInlineProcessor, r"\[\^([^\]]*)\]"),
    ("reference", inlinepatterns.ReferenceInlineProcessor, inlinepatterns.REFERENCE_RE),
    ("link", inlinepatterns.LinkInlineProcessor, inlinepatterns.LINK_RE),
    ("image_link", inlinepatterns.ImageInlineProcessor, inlinepatterns.IMAGE_LINK_RE),
    (
        "image_reference",
        inlinepatterns.ImageReferenceInlineProcessor,
        inlinepatterns.IMAGE_REFERENCE_RE,
    ),
    (
        "short_reference",
        inlinepatterns.ShortReferenceInlineProcessor,
        inlinepatterns.REFERENCE_RE,
    ),
    (
        "short_image_ref",
        inlinepatterns.ShortImageReferenceInlineProcessor,
        inlinepatterns.IMAGE_REFERENCE_RE,
    ),
    ("autolink", inlinepatterns.AutolinkInlineProcessor, inlinepatterns.AUTOLINK_RE),
    ("automail", inlinepatterns.AutomailInlineProcessor, inlinepatterns.AUTOMAIL_RE),
    ("linebreak", inlinepatterns.SubstituteTagInlineProcessor, inlinepatterns.LINE_BREAK_RE),
    ("html", inlinepatterns.HtmlInlineProcessor, inlinepatterns.HTML_RE),
    ("entity", inlinepatterns.HtmlInlineProcessor, inlinepatterns.ENTITY_RE),
    ("em_strong", inlinepatterns.DelimiterProcessor, r"\*|_"),
)


def _direct_delimiters(md: markdown.Markdown) -> inlinepatterns.DelimiterProcessor | None:
    """The emphasis processor, if the inline patterns are exactly those `simple_inline` was
    written for; otherwise None."""
    patterns = md.inlinePatterns
    if len(patterns) != len(_DIRECT_PATTERNS):
        return None
    for index, (name, kind, expression) in enumerate(_DIRECT_PATTERNS):
        if name not in patterns or patterns.get_index_for_name(name) != index:
            return None
        pattern = patterns[name]
        if type(pattern) is not kind or getattr(pattern, "pattern", None) != expression:
            return None
    delimiters = patterns["em_strong"]
    if not isinstance(delimiters, inlinepatterns.DelimiterProcessor):
        return None
    tokens = delimiters.delimiters
    return delimiters if list(tokens) == ["*", "_"] and not tokens["*"].smart else None


# Outside the elements below, a text must hold none of these: the characters the inline
# patterns key on, two spaces before a line break, and the placeholders of stashed HTML.
_SPECIAL = re.compile(r"[\\`*_\[\]<&\x02\x03]|  \n")
_PLAIN = r"[^\\`*_\[\]!<&^\x02\x03\n]"
_SOLID = r"[^\s\\`*_\[\]!<&^\x02\x03]"
# A code span between single backticks, on one line.
_CODE = re.compile(r"`([^`\\\x02\x03\n]+)`(?!`)")
# Emphasis with one or two stars around plain words, opened after a space or line break (see
# `simple_inline`) and closed before one or a punctuation mark: a pair that nothing can split.
_EMPHASIS = re.compile(rf"(\*\*?)({_SOLID}(?:{_PLAIN}*{_SOLID})?)\1(?=[ \n.,;:!?)]|\Z)")
# A link with plain text and a bare address.
_LINK = re.compile(rf"\[({_PLAIN}+)\]\(([^\s()<>\"'\\`\[\]*\x02\x03]+)\)")


def simple_inline(text: str) -> tuple[str, list[Element]] | None:
    """What the inline patterns make of a text of plain words, code spans, links and simple
    emphasis: the text before the first element, and the elements (with their tails).

    None for any other text, which then goes through the patterns."""
    found = _SPECIAL.search(text)
    if found is None:
        return text, []
    lead = ""
    nodes: list[Element] = []
    position = 0
    while found is not None:
        start = found.start()
        piece = text[position:start]
        if nodes:
            nodes[-1].tail = piece or None
        else:
            lead = piece
        char = text[start]
        if char == "`":
            match = _CODE.match(text, start)
            if match is None:
                return None
            node = Element("code")
            node.text = util.AtomicString(util.code_escape(match.group(1).strip()))
        elif char == "*" and (start == 0 or text[start - 1] in " \n"):
            match = _EMPHASIS.match(text, start)
            if match is None:
                return None
            node = Element("strong" if len(match.group(1)) == 2 else "em")
            node.text = match.group(2)
        elif char == "[" and (start == 0 or text[start - 1] != "!"):
            match = _LINK.match(text, start)
            if match is None:
                return None
            node = Element("a")
            node.text = match.group(1)
            node.set("href", match.group(2))
        else:
            return None
        nodes.append(node)
        position = match.end()
        found = _SPECIAL.search(text, position)
    if nodes:
        nodes[-1].tail = text[position:] or None
    else:
        lead = text
    return lead, nodes


def _inline_needs(pattern: object) -> _Needs:
    if type(pattern) is inlinepatterns.DelimiterProcessor:
        tokens = tuple(pattern.tokens)
        return tokens if all(len(t) == 1 for t in tokens) else None
    expression = getattr(pattern, "pattern", None)
    return _INLINE_NEEDS.get(expression) if isinstance(expression, str) else None


def _block_needs(processor: blockprocessors.BlockProcessor) -> _Needs:
    for kind, expression, needs in _BLOCK_NEEDS:
        if type(processor) is kind:
            actual = getattr(processor, "RE", None)
            actual = actual.pattern if isinstance(actual, re.Pattern) else actual
            return needs if expression is None or actual == expression else None
    return None


def _block_loop(
    parser: markdown.blockparser.BlockParser,
) -> Callable[[Element, list[str]], None]:
    """`BlockParser.parseBlocks`, not asking processors that need what a block lacks."""
    processors: list[tuple[blockprocessors.BlockProcessor, _Needs]] | None = None

    def parse_blocks(parent: Element, blocks: list[str]) -> None:
        nonlocal processors
        if processors is None:
            processors = [(p, _block_needs(p)) for p in parser.blockprocessors]
        while blocks:
            block = blocks[0]
            for processor, needs in processors:
                if needs is not None:
                    # Written out rather than a call: this runs for every processor and block.
                    for needed in needs:
                        if needed in block:
                            break
                    else:
                        continue
                # `run` may still decline (return False); then the next processor is asked.
                if processor.test(parent, block) and processor.run(parent, blocks) is not False:
                    break

    return parse_blocks


def _speed_up_delimiters(processor: inlinepatterns.DelimiterProcessor) -> None:
    """Jump from delimiter to delimiter instead of looking at every character."""
    if not all(len(token) == 1 for token in processor.tokens):
        return
    delimiters = processor.delimiters

    def search(data: str, start: int) -> re.Match[str] | None:
        for found in processor.compiled_re.finditer(data, start):
            delimiter = delimiters[found.group(0)]
            m = delimiter.boundary.match(data, found.start())
            if m is not None:
                if not delimiter.stack and m.lastgroup[0] == "e":  # type: ignore[index]
                    continue
                return m
        return None

    processor.search = search  # type: ignore[method-assign]
