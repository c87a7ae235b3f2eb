"""Texts of plain paragraphs get exactly the HTML the whole Markdown pipeline gives them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bench import corpus
from sitegen.content.frontmatter import body
from sitegen.errors import ContentError
from sitegen.markdown.convert import render_with_markdown
from sitegen.markdown.plain import plain_paragraphs
from sitegen.markdown.texts import converted as render_markdown

ROOT = Path(__file__).resolve().parents[3]

PLAIN = [
    "",
    "\n\n",
    "One line.",
    "Hello world.\nSecond line of it.\n\n\nThird paragraph.",
    "A\n   \nB\n",
    "Zoë asked: 50% of \"it\" (or 'most') \u2013 yes\u2026 \u201cquoted\u201d",
    "\u201eCytat\u201d \u00abguillemets\u00bb \u2018single\u2019 \u201aGerman\u2018",
    "Źródło pomocy, für Straße und Größe; a = b + c @ 10 $ 5 € 3 £ 1 / 2 !?",
    "(Bracketed start.)\n\"Quoted start\"\n'Single start'",
]

# Each is one character or line away from a plain text, and Markdown makes something else of
# it (or may): the fast way must leave all of them to the pipeline.
NEAR_MISSES = [
    "Title\n=",
    "Title\n-",
    "Title\n---",
    "1. one",
    "2015. A year",
    "- item",
    "+ item",
    "* item",
    "# Heading",
    "> quoted",
    "    code",
    "  leading spaces",
    "Tab\there",
    "Line break  \nnext",
    "Trailing space ",
    "*em* here",
    "snake_case",
    "`code`",
    "a \\ backslash",
    "[a link](/x)",
    "an [^1] note",
    "a <b>tag</b>",
    "a & b",
    "a > b",
    "x | y",
    "Para {: .class}",
    "no\u00a0break",
    "carriage\r\nreturn",
    "combining e\u0301",
    "zero\u200bwidth",
    "control\x02char",
    "~~strike~~",
    "#hashtag",
    "A line\n#hashtag",
]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_texts_are_converted_as_the_pipeline_converts_them(text: str) -> None:
    html = plain_paragraphs(text)
    assert html is not None
    assert html == render_with_markdown(text)
    assert render_markdown(text) == html


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_are_left_to_the_pipeline(text: str) -> None:
    assert plain_paragraphs(text) is None
    assert render_markdown(text) == render_with_markdown(text)


# Plain words and punctuation, most of the time; now and then a character that could make a
# text something else.
_SAFE = st.sampled_from(
    [
        *("word", "Zoë", "żółw", "Straße", "x", "12", " ", "  ", "\n", "\n\n", "\n \n"),
        *(".", ",", ";", ":", "!", "?", "'", '"', "(", ")", "/", "%", "+", "=", "@", "$", "-"),
        *("\u2013", "\u2014", "\u2026", "\u2018", "\u2019", "\u201a", "\u201c", "\u201d"),
        *("\u201e", "\u00ab", "\u00bb", "€", "£"),
    ]
)
_SPOILERS = st.sampled_from(
    [
        *("1.", "2)", "---", "===", "*", "_", "`", "\\", "[", "]", "<", ">", "&", "#", "|"),
        *("{", "}", "~", "^", "\t", "\u00a0", "\u0301", "\r", "    ", "  \n", " \n"),
    ]
)
_PIECES = st.one_of(_SAFE, _SAFE, _SAFE, _SAFE, _SPOILERS)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
@example("word\n===")
@example("word.\n\n1. word")
@example("Line  \nbreak")
@example("      \nword")
def test_whatever_the_fast_way_takes_it_converts_as_the_pipeline_does(text: str) -> None:
    html = plain_paragraphs(text)
    if html is not None:
        assert html == render_with_markdown(text)


def test_generated_and_sample_texts_convert_as_the_pipeline_does() -> None:
    shape = corpus.SHAPES["front-matter"]
    texts = [body(text, Path(name)) for name, text in corpus.stories(400, shape)]
    for path in [*ROOT.glob("content/**/*.md"), *ROOT.glob("tests/**/*.md")]:
        text = path.read_text("utf-8")
        try:
            texts.append(body(text, path))
        except ContentError:  # a fixture without front matter
            texts.append(text)
    plain = [text for text in texts if plain_paragraphs(text) is not None]
    # The front-matter shape writes a plain paragraph for most stories.
    assert len(plain) > 150
    for text in plain:
        assert plain_paragraphs(text) == render_with_markdown(text), text
