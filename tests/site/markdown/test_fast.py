"""The faster converter gives exactly the HTML plain Python-Markdown gives."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import markdown
import pytest

from bench import corpus
from sitegen.markdown import fast
from sitegen.markdown.convert import SETTINGS, _converter

ROOT = Path(__file__).resolve().parents[3]

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
    # Texts the direct way takes, and their near misses, which go through the patterns.
    "**Bold, then a stop.** *em*, *em*; *em*: *em*! *em*? (*em*) *em*) `code` [t](/a_b?x=1&y=2)",
    'x*em* *em*x *em*"q" a**b** *em**em* ** em** *em * ***em*** *a*b*c*',
    "[t](/u)[u](/v) ![img](/i.png) [t] (/u) [t][r] [^t](/u) [*t*](/u) [t](/u 'title') [t](</u>)",
    "`a` `` `b` `` `<&>` ` spaced ` `a\\b` `unclosed and *em*",
    "- item *em*\n    - nested **strong**\n\n    tail [link](/l) and `code`\n- next",
    "\x02klzzwxh:0000\x03 *em* and a placeholder",
    # Headings: plain ones are named without rendering them; the rest are rendered.
    "# Same\n\n## Same\n\n## Same_1\n\n### Héllo  wörld ßtraße\n\n#### \n\n## 1\n\n## -- --",
    "## A & B\n\n## <b>bold</b> tag\n\n## `code` and *em*\n\n## Note[^n]\n\n[^n]: A note.",
    '## Kept {#own-id}\n\n## Labelled {data-toc-label="Short"}\n\n## Own-Id\n\nHead\n====',
    "Escapes \\*here\\* and a # heading \\# and \\` and \\\\ too",
    "   \n\t\n  text with a blank line of spaces before it \n \n<div>\nraw\n</div>\n",
    # The first preprocessor removes STX and ETX, which can join a marker.
    "x\n\n[TOC\x03]\n\n# A\n\n## B\n\n[T\x02O\x02C]",
]


def _plain() -> markdown.Markdown:
    return markdown.Markdown(**SETTINGS)


def _fast() -> markdown.Markdown:
    return fast.Converter(**SETTINGS)


def _same(texts: list[str]) -> None:
    plain, ours = _plain(), _fast()
    for text in texts:
        expected = plain.reset().convert(text)
        assert ours.reset().convert(text) == expected, text


@pytest.mark.parametrize("text", CASES)
def test_each_case_converts_as_plain_markdown_does(text: str) -> None:
    _same([text])


def test_the_sites_converter_is_the_one_the_settings_name() -> None:
    by_name, site = _plain(), _converter()
    assert [type(e) for e in site.registeredExtensions] == [
        type(e) for e in by_name.registeredExtensions
    ]
    assert [e.getConfigs() for e in site.registeredExtensions] == [
        e.getConfigs() for e in by_name.registeredExtensions
    ]
    for text in CASES:
        assert site.reset().convert(text) == by_name.reset().convert(text), text


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
    ours = _fast()
    missing = [name for name in ("backtick", "link", "em_strong", "footnote", "html", "entity")]
    missing = [name for name in missing if fast._inline_needs(ours.inlinePatterns[name]) is None]
    assert missing == []
    blocks = ["hashheader", "setextheader", "hr", "olist", "ulist", "quote", "reference"]
    blocks += ["table", "footnote"]
    processors = ours.parser.blockprocessors
    missing = [name for name in blocks if fast._block_needs(processors[name]) is None]
    assert missing == []


def test_the_processing_steps_are_those_of_plain_markdown() -> None:
    plain, ours = _plain(), _fast()
    for registry in ("preprocessors", "inlinePatterns", "treeprocessors", "postprocessors"):
        assert [type(p).__name__ for p in getattr(ours, registry)] in (
            [type(p).__name__ for p in getattr(plain, registry)],
            # The one step replaced: the inline processor, by its faster subclass.
            [
                "_FastInline" if type(p).__name__ == "InlineProcessor" else type(p).__name__
                for p in getattr(plain, registry)
            ],
        )


def test_the_site_converts_with_the_faster_converter() -> None:
    assert isinstance(_converter(), fast.Converter)


def _inline_text(rng: random.Random) -> str:
    words = ["word", "Über", "x", "12", "a.b", "co-op", "it's", '"q"', "(p)", "snake_case", "2*3"]
    around = ["", "", "", "", ".", ",", "!", "?", ";", ":", ")", "(", "'", '"', "-", "*", "`"]
    out = []
    for _ in range(rng.randint(1, 12)):
        phrase = " ".join(rng.choices(words, k=rng.randint(1, 3)))
        shapes = ["*{}*", "**{}**", "`{}`", "[{}](https://e.org/a_b?x=1&y=2)", "{}", "{}"]
        shape = rng.choice(shapes)
        out += [rng.choice(around), shape.format(phrase), rng.choice(around)]
        out.append(rng.choice([" ", " ", " ", "\n", "  \n", ""]))
    return "".join(out).strip()


def _block(rng: random.Random, depth: int = 0) -> str:
    kind = rng.randrange(7) if depth < 2 else 0
    line = _inline_text(rng).replace("\n", " ")
    if kind == 0:
        return _inline_text(rng)
    if kind == 1:
        return "#" * rng.randint(1, 4) + " " + line
    if kind == 2:
        nested = "\n".join("    " + part for part in _block(rng, depth + 1).split("\n"))
        return f"- {line}\n- {_inline_text(rng)}\n\n{nested}\n\n    {line}\n1. {line}"
    if kind == 3:
        return "\n".join("> " + part for part in _block(rng, depth + 1).split("\n"))
    if kind == 4:
        cell = line.replace("|", "")
        return f"| a | b |\n|---|:-:|\n| {cell} | *x* |"
    if kind == 5:
        return f"{line}[^1] {{: .c }}\n\n[^1]: {line}"
    return "    " + line


def test_structured_documents_convert_as_plain_markdown_does() -> None:
    rng = random.Random(20261126)
    _same(["\n\n".join(_block(rng) for _ in range(rng.randint(1, 6))) for _ in range(600)])


def test_plain_prose_takes_the_direct_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most texts of real stories are built without the patterns; if that stops, say so."""
    taken: list[bool] = []
    direct = fast.simple_inline

    def counting(text: str) -> Any:
        result = direct(text)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(fast, "simple_inline", counting)
    ours = _fast()
    for _, text in corpus.stories(20):
        ours.reset().convert(text)
    assert len(taken) > 500
    assert sum(taken) / len(taken) > 0.9


def test_the_direct_way_builds_the_elements_of_a_simple_text() -> None:
    text = "Ask *once*, **twice**: `code` and [a link](/u)."
    lead, nodes = fast.simple_inline(text) or ("", [])
    assert lead == "Ask "
    assert [(n.tag, n.text, n.tail, dict(n.attrib)) for n in nodes] == [
        ("em", "once", ", ", {}),
        ("strong", "twice", ": ", {}),
        ("code", "code", " and ", {}),
        ("a", "a link", ".", {"href": "/u"}),
    ]
    for text in ("a_b", "*a*b", "a*b*", "![i](/i)", "<b>", "&amp;", "x  \ny", "\\*", "[a] (b)"):
        assert fast.simple_inline(text) is None, text


def test_the_table_of_contents_is_made_where_a_marker_asks_for_it() -> None:
    plain, ours = _plain(), _fast()
    for text in ("[TOC]\n\n# One\n\n## Two", "# One  more \n\n## Two\n\n## Two"):
        assert ours.reset().convert(text) == plain.reset().convert(text)
        assert ours.toc_tokens == plain.toc_tokens  # type: ignore[attr-defined]
    # Without a marker, nothing of it is in the output, and it is not made.
    assert ours.toc == ""  # type: ignore[attr-defined]
    ours.reset().convert("[TOC]\n\n# One")
    plain.reset().convert("[TOC]\n\n# One")
    assert ours.toc == plain.toc != ""  # type: ignore[attr-defined]
