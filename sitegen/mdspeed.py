"""Python-Markdown, minus the work that cannot change its output.

Python-Markdown tries every inline pattern on every run of text and every block processor on
every block, mostly to find nothing. A pattern whose regular expression needs a character the
text lacks cannot match, so skipping it leaves the result as it was. Each shortcut here is
taken only for a pattern or processor whose expression is exactly the one it was written for;
anything else (another Markdown version, an extension's own pattern) runs as usual.
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
    """The inline processor, skipping patterns that need characters the text lacks."""

    def run(self, tree: Element, ancestors: list[str] | None = None) -> Element:
        self._patterns = [(p, _inline_needs(p)) for p in self.inlinePatterns]
        return super().run(tree, ancestors)

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
