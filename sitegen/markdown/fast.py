"""Python-Markdown, minus the work that cannot change its output.

Python-Markdown tries every inline pattern on every run of text and every block processor on
every block, mostly to find nothing. A pattern whose regular expression needs a character the
text lacks cannot match, so skipping it leaves the result as it was. Each shortcut here is
taken only for a pattern or processor whose expression is exactly the one it was written for;
anything else (another Markdown version, an extension's own pattern) runs as usual.

Most text is plain words with a few code spans, links and emphasis; `simple_inline` builds the
elements of such a text directly, and hands anything less simple to the patterns.
`tests/site/markdown/test_fast.py` compares the HTML with plain Python-Markdown's."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

import markdown
from markdown import (
    blockprocessors,
    inlinepatterns,
    postprocessors,
    preprocessors,
    treeprocessors,
    util,
)
from markdown.extensions import footnotes, tables, toc

from sitegen.markdown.simple import CODE, EMPHASIS, LINK, SPECIAL

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
        if type(self._toc) is toc.TocTreeprocessor and _plain_postprocessors(self):
            self._toc.run = _toc_run(self._toc, self._toc.run)  # type: ignore[method-assign, assignment]
        attr_list = "attr_list" in self.treeprocessors
        self._attr_list_run = self.treeprocessors["attr_list"].run if attr_list else None
        self._unescape_run = None
        if "unescape" in self.treeprocessors:
            unescape = self.treeprocessors["unescape"]
            if type(unescape) is treeprocessors.UnescapeTreeprocessor:
                self._unescape_run = unescape.run
        if "normalize_whitespace" in self.preprocessors:
            normalize = self.preprocessors["normalize_whitespace"]
            if type(normalize) is preprocessors.NormalizeWhitespace:
                normalize.run = _normalize_whitespace(self)  # type: ignore[method-assign, assignment]
        if "html_block" in self.preprocessors:
            html_block = self.preprocessors["html_block"]
            if type(html_block) is preprocessors.HtmlBlockPreprocessor:
                html_block.run = _html_blocks(html_block.run)  # type: ignore[method-assign, assignment]

    def convert(self, source: str) -> str:
        # The marker can only be found in a text that holds it (once STX and ETX, which the
        # first preprocessor removes, are gone); attribute lists need a brace.
        if self._toc is not None:
            probe = source
            if util.STX in probe or util.ETX in probe:
                probe = probe.replace(util.STX, "").replace(util.ETX, "")
            self._toc.marker = self._toc_marker if self._toc_marker in probe else ""
        if self._attr_list_run is not None:
            processor = self.treeprocessors["attr_list"]
            processor.run = self._attr_list_run if "{" in source else _nothing  # type: ignore[method-assign]
        if self._unescape_run is not None:
            # What it turns back into characters, only backslash escapes make (the source's
            # own STX and ETX characters are removed first).
            processor = self.treeprocessors["unescape"]
            processor.run = self._unescape_run if "\\" in source else _nothing  # type: ignore[method-assign]
        return super().convert(source)


def _nothing(root: Element) -> None:
    return None


def _normalize_whitespace(md: markdown.Markdown) -> Callable[[list[str]], list[str]]:
    """`NormalizeWhitespace.run`, not looking for blank lines of spaces in a text without any."""

    def run(lines: list[str]) -> list[str]:
        source = "\n".join(lines)
        source = source.replace(util.STX, "").replace(util.ETX, "")
        source = source.replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
        source = source.expandtabs(md.tab_length)
        if " \n" in source:
            source = _BLANK_WITH_SPACES.sub("\n", source)
        return source.split("\n")

    return run


def _html_blocks(run: Callable[[list[str]], list[str]]) -> Callable[[list[str]], list[str]]:
    """`HtmlBlockPreprocessor.run`, which gives back a text without tags or entities as it was."""

    def maybe_run(lines: list[str]) -> list[str]:
        for line in lines:
            if "<" in line or "&" in line:
                return run(lines)
        return lines

    return maybe_run


def _plain_postprocessors(md: markdown.Markdown) -> bool:
    """Whether the postprocessors are those that change only text with placeholders in it."""
    known = {
        postprocessors.RawHtmlPostprocessor,
        postprocessors.AndSubstitutePostprocessor,
        footnotes.FootnotePostprocessor,
    }
    return all(type(p) in known for p in md.postprocessors)


# A heading holding one of these is rendered and read back as upstream does.
_NOT_PLAIN_HEADING = re.compile(r"[&<>\x02\x03]")


def _toc_run(
    processor: toc.TocTreeprocessor, upstream: Callable[[Element], None]
) -> Callable[[Element], None]:
    """`TocTreeprocessor.run` (ids for headings, the table of contents for a marker) with
    less work: a heading of plain text is not rendered to HTML and read back for its name,
    and without a marker in the text, the table of contents is not made into HTML (nothing
    of it is in the output; `md.toc` is then left empty)."""
    md = processor.md

    def run(doc: Element) -> None:
        if (
            processor.marker
            or processor.use_anchors
            or processor.use_permalinks not in (False, None)
            or processor.slugify is not toc.slugify
        ):
            upstream(doc)
            return
        used_ids = {el.attrib["id"] for el in doc.iter() if "id" in el.attrib}
        counters: dict[str, int] = {}
        tokens: list[Any] = []
        for el in doc.iter():
            if not (isinstance(el.tag, str) and processor.header_rgx.match(el.tag)):
                continue
            processor.set_level(el)
            text = el.text or ""
            if len(el) == 0 and _NOT_PLAIN_HEADING.search(text) is None:
                # What rendering and reading back would give: the text, stripped.
                inner = text.strip()
                name = " ".join(inner.split())
            else:
                inner = toc.render_inner_html(toc.remove_fnrefs(el), md)
                name = toc.strip_tags(inner)
            if "id" not in el.attrib:
                slug = processor.slugify(html.unescape(name), processor.sep)
                el.attrib["id"] = toc.unique(slug, used_ids, counters)
            label = ""
            if "data-toc-label" in el.attrib:
                label = toc.run_postprocessors(toc.unescape(el.attrib["data-toc-label"]), md)
                name = toc.escape_cdata(toc.strip_tags(label))
                del el.attrib["data-toc-label"]
            level = int(el.tag[-1])
            if processor.toc_top <= level <= processor.toc_bottom:
                token = {"level": level, "id": toc.unescape(el.attrib["id"]), "name": name}
                tokens.append({**token, "html": inner, "data-toc-label": label})
        md.toc_tokens = toc.nest_toc_tokens(tokens)  # type: ignore[attr-defined]

    return run


# Upstream's expression, compiled once.
_BLANK_WITH_SPACES = re.compile(r"(?<=\n) +\n")


class _FastInline(treeprocessors.InlineProcessor):
    """The inline processor, skipping patterns that need characters the text lacks.

    A text of plain words with nothing but code spans, links and simple emphasis (most of what
    people write) is turned into its elements directly, without the stash of placeholders the
    patterns work through. Every other text goes through the patterns."""

    _setup: tuple[tuple[int, ...], list[tuple[Any, _Needs]], Any] = ((), [], None)

    def run(self, tree: Element, ancestors: list[str] | None = None) -> Element:
        # What the patterns allow is worked out once, and again only if they change.
        registered = tuple(map(id, self.inlinePatterns))
        if registered != self._setup[0]:
            patterns = [(p, _inline_needs(p)) for p in self.inlinePatterns]
            self._setup = (registered, patterns, _direct_delimiters(self.md))
        self._patterns = self._setup[1]
        emphasis = self._setup[2]

        def simple(text: str) -> tuple[str, list[Element]] | None:
            # Emphasis keeps state from text to text while it has unpaired delimiters; then
            # the patterns must see the text.
            if emphasis is None or emphasis.regions or emphasis.stack:
                return None
            if star.stack or underscore.stack:
                return None
            return simple_inline(text)

        if emphasis is not None:
            star, underscore = emphasis.delimiters["*"], emphasis.delimiters["_"]
        # Upstream's loop (markdown/treeprocessors.py), with the direct way in front of it.
        self.stashed_nodes: dict[str, Element | str] = {}
        stash = self.stashed_nodes
        # Upstream maps every element to its parent, but reads the map only for the root here.
        self.parent_map = {}
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
                text = child.text
                if text and not isinstance(text, util.AtomicString):
                    child.text = None
                    direct = simple(text)
                    if direct is None:
                        self.ancestors.append(child.tag.lower())
                        found = placeholders(handle(text), child)
                        stack += found
                        queue.append((child, [item[0] for item in found]))
                        self.ancestors.pop()
                    else:
                        child.text = direct[0] or None
                        if direct[1]:
                            # Stashed as the patterns would: placeholders count on the number.
                            for node in direct[1]:
                                stash[f"{len(stash):04d}"] = node
                            queue.append((child, direct[1]))
                tail = child.tail
                if tail:
                    direct = simple(tail)
                    if direct is None:
                        dummy = Element("d")
                        child.tail = None
                        found = placeholders(handle(tail), dummy, False)
                        child.tail = dummy.tail or None
                        new = [item[0] for item in found]
                    else:
                        child.tail = direct[0] or None
                        new = direct[1]
                        for node in new:
                            stash[f"{len(stash):04d}"] = node
                    if new:
                        position = list(element).index(child) + 1
                        for node in reversed(new):
                            element.insert(position, node)
                if len(child):
                    stack.append((child, self.ancestors[:]))
            for parent, nodes in queue:
                for index, node in enumerate(nodes):
                    parent.insert(index, node)
        return tree

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


def simple_inline(text: str) -> tuple[str, list[Element]] | None:
    """What the inline patterns make of a text of plain words, code spans, links and simple
    emphasis: the text before the first element, and the elements (with their tails).

    None for any other text, which then goes through the patterns."""
    if "  \n" in text:
        return None  # a line break, which no element below can hold
    found = SPECIAL.search(text)
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
            match = CODE.match(text, start)
            if match is None:
                return None
            node = Element("code")
            node.text = util.AtomicString(util.code_escape(match.group(1).strip()))
        elif char == "*" and (start == 0 or text[start - 1] in " \n"):
            match = EMPHASIS.match(text, start)
            if match is None:
                return None
            node = Element("strong" if len(match.group(1)) == 2 else "em")
            node.text = match.group(2)
        elif char == "[" and (start == 0 or text[start - 1] != "!"):
            match = LINK.match(text, start)
            if match is None:
                return None
            node = Element("a")
            node.text = match.group(1)
            node.set("href", match.group(2))
        else:
            return None
        nodes.append(node)
        position = match.end()
        found = SPECIAL.search(text, position)
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
