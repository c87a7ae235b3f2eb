"""The faster converter gives exactly the HTML plain Python-Markdown gives."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import markdown
import pytest

from bench import corpus
from sitegen import mdspeed
from sitegen.markdown import _converter

ROOT = Path(__file__).resolve().parents[2]
SETTINGS: dict[str, Any] = {
    "extensions": ["tables", "footnotes", "attr_list", "toc"],
    "extension_configs": {"tables": {"use_align_attribute": True}},
    "output_format": "html",
}

# One case per shortcut, and the corners where skipping a pattern could go wrong.
CASES = [
    "A `code` span, then **strong** after it.",
    "``double `tick` code`` and `one` and \\`escaped\\` and *em*",
    "Escapes: \\*not em\\* \\_nor this\\_ \\[no link\\] \\# \\{: .x}",
    "[a link](https://example.org 'title') and [ref][r] and [r] and ![img](/i.png)\n\n[r]: /x",
    '![alt][pic] and ![pic]\n\n[pic]: /p.png "Pic"',
    "<https://example.org> and <me@example.org> and <span>inline html</span>",
    "Entities: &amp; &copy; &#169; &#xA9; & alone",
    "Line  \nbreak after two spaces",
    "*em* **strong** ***both*** _em_ __strong__ ___both___ snake_case_word 2*3*4",
    "**unclosed and *mixed** nesting* and ** spaced ** and * lone",
    "A footnote[^1] and another[^note].\n\n[^1]: The first.\n[^note]: The second, *with em*.",
    "| a | b |\n|:--|--:|\n| `x|y` | *z* |\n\nno | table here",
    "# Heading {#custom .cls}\n\nParagraph {: .para }\n\n## Other ##",
    "[TOC]\n\n# One\n\n## Two\n\n### Three",
    "Title\n=====\n\nSub\n---\n\n***\n\n- - -\n\n___",
    "1. one\n2. two\n    - nested *em*\n    - more\n3. three\n\n* star\n+ plus\n- dash",
    "> quote with **strong**\n> > nested\n\n    indented code *not em*\n\n```\nfence\n```",
    "[undefined reference] and [^nofootnote] and { braces } and | pipe",
    "Text with < and > and ! and ^ and = alone.",
]


def _plain() -> markdown.Markdown:
    return markdown.Markdown(**SETTINGS)


def _fast() -> markdown.Markdown:
    return mdspeed.Converter(**SETTINGS)


def _same(texts: list[str]) -> None:
    plain, fast = _plain(), _fast()
    for text in texts:
        expected = plain.reset().convert(text)
        assert fast.reset().convert(text) == expected, text


@pytest.mark.parametrize("text", CASES)
def test_each_case_converts_as_plain_markdown_does(text: str) -> None:
    _same([text])


def test_content_and_fixtures_convert_as_plain_markdown_does() -> None:
    files = [*ROOT.glob("content/**/*.md"), *ROOT.glob("tests/**/*.md")]
    assert len(files) > 40
    _same([path.read_text("utf-8") for path in files])


def test_generated_stories_convert_as_plain_markdown_does() -> None:
    _same([text for _, text in corpus.stories(150)])


# Characters every shortcut keys on, with words and the line breaks blocks are made of.
_PIECES = [
    *("word", "other", "x", "12", "1.", " ", " ", "  ", "\n", "\n\n", "    "),
    *("*", "**", "_", "__", "`", "``", "\\", "[", "]", "(", ")", "!", "<", ">", "&", "#"),
    *("|", "-", "---", "=", "{", "}", ":", ".", "^", "[^1]", "[TOC]", "{: .c}", "&amp;"),
    *("<b>", "</b>", "<https://a.b>", "<a@b.c>", "[x](/y)", "[x]: /y", "[^1]: n", "> ", "- "),
]


def test_random_text_converts_as_plain_markdown_does() -> None:
    rng = random.Random(20261125)
    texts = ["".join(rng.choices(_PIECES, k=rng.randint(1, 60))) for _ in range(1500)]
    _same(texts)


def test_the_shortcuts_apply_to_every_built_in_pattern_and_processor() -> None:
    """If a Markdown release changes an expression, its shortcut is dropped; say so here."""
    fast = _fast()
    missing = [name for name in ("backtick", "link", "em_strong", "footnote", "html", "entity")]
    missing = [name for name in missing if mdspeed._inline_needs(fast.inlinePatterns[name]) is None]
    assert missing == []
    blocks = ["hashheader", "setextheader", "hr", "olist", "ulist", "quote", "reference"]
    blocks += ["table", "footnote"]
    processors = fast.parser.blockprocessors
    missing = [name for name in blocks if mdspeed._block_needs(processors[name]) is None]
    assert missing == []


def test_the_processing_steps_are_those_of_plain_markdown() -> None:
    plain, fast = _plain(), _fast()
    for registry in ("preprocessors", "inlinePatterns", "treeprocessors", "postprocessors"):
        assert [type(p).__name__ for p in getattr(fast, registry)] in (
            [type(p).__name__ for p in getattr(plain, registry)],
            # The one step replaced: the inline processor, by its faster subclass.
            [
                "_FastInline" if type(p).__name__ == "InlineProcessor" else type(p).__name__
                for p in getattr(plain, registry)
            ],
        )


def test_the_site_converts_with_the_faster_converter() -> None:
    assert isinstance(_converter(), mdspeed.Converter)
