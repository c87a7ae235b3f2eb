"""Texts in the common subset of Markdown get exactly the HTML the whole pipeline gives them,
and Python-Markdown itself (without the shortcuts of `sitegen.markdown.fast`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import markdown
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bench import corpus
from sitegen.content.frontmatter import body
from sitegen.errors import ContentError
from sitegen.markdown.convert import (
    SETTINGS,
    extensions,
    mark_external_links,
    render_with_markdown,
    sanitize,
)
from sitegen.markdown.simple import simple_markdown
from sitegen.markdown.texts import converted
from tests.deadline import within
from tests.loaded import loaded_after

ROOT = Path(__file__).resolve().parents[3]


def upstream(text: str) -> str:
    """The pipeline with Python-Markdown as it comes."""
    html = markdown.Markdown(extensions=extensions(), output_format=SETTINGS["output_format"])
    result = html.convert(text)
    return mark_external_links(sanitize(re.sub(r"<(/?)h1\b", r"<\1h2", result)))


def same(text: str) -> str | None:
    """The fast way's HTML, checked against both pipelines when it takes the text."""
    html = simple_markdown(text)
    if html is not None:
        assert html == render_with_markdown(text), text
        assert html == upstream(text), text
    return html


TAKEN = [
    "",
    "One paragraph.",
    "# Top\n\nText with *em*, **strong**, `code` and [a link](/de/ask/).",
    "## Same\n\n## Same\n\n### Same!\n\n## Same\n\n## ---x---",
    "## Heading with trailing spaces   \nand a paragraph right under it",
    "#No space after the marks",
    "###### Six",
    "## Zoë and Łódź: *straße* `a>b` [link](https://example.com/ä)",
    "- one\n- two\n* three\n+ four",
    "1. one\n2. two\n10. ten",
    "3. starts at three\n1. and one",
    "- a\n\n- b\n\n1. c\n2. d\n\n- e",
    "- one\n\nA paragraph between.\n\n- two",
    "> quoted\n> on two lines\n>\n> and a second paragraph",
    "> one quote\n\n> goes on in the next",
    "> ## A heading\n> - and a list\n> - of two\n>\n> > nested",
    "> - a\n\n> - b",
    "Para\n- not a list\n1. nor this",
    "Para one.\n\n\n\nAfter blank lines.\n\n\n- a list after them",
    "Text with > and \u00a0 and \"quotes\" and 'apostrophes'.",
    "[x](https://Example.COM/Path?q=1#frag) [y](HTTPS://EXAMPLE.ORG) [z](//cdn.example.net/x)",
    "[mail](mailto:someone@example.org) [phone](tel:+48-123) [rel](../x:y/z)",
    "Trailing single space \nnext line",
    "*em at start* of a line\n**strong** too",
    "> a\n>\u00a0\n> b",
    "> a\n> \u3000\n> b",
    "[x](https://xn-a.com/xn--b) [y](mailto:xn--a@b.cd)",
]

DECLINED = [
    "a <b>tag</b>",
    "a & b",
    "an \\* escape",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "Para {: .class}",
    "A note[^1]\n\n[^1]: The note.",
    "[ref]: https://example.com",
    "![alt](x.jpg)",
    "Tab\there",
    "Carriage\r\nreturn",
    "    code",
    "- item\n    - nested",
    "Line break  \nnext",
    "Title\n=====",
    "Title\n---",
    "---",
    "* * *",
    "Para\n# heading inside",
    "Para\n> quote inside",
    "> lazy\nline",
    "- item\ncontinued",
    "- # heading item",
    "- > quote item",
    "- - nested item",
    "####### seven",
    "## closed ##",
    "##",
    "snake_case word",
    "a * b",
    "[x](javascript:alert)",
    "[x](ftp://example.com)",
    "[x](https://example.com:99999/)",
    "[x](https://1.2.3.999/)",
    "[x](https://example.com/a\u00a0b)",
    "   \nword",
    "`unclosed code",
    "> \n> ",
    "1. ---",
    "+ ---",
    "- a\n\n1. -- --",
    "> + ---",
    "[x](https://xn--a.com)",
    "[x](https://a.XN--9)",
]


@pytest.mark.parametrize("text", TAKEN)
def test_the_common_subset_is_converted_as_the_pipeline_converts_it(text: str) -> None:
    html = same(text)
    assert html is not None
    assert converted(text) == html


@pytest.mark.parametrize("text", DECLINED)
def test_anything_else_is_left_to_the_pipeline(text: str) -> None:
    assert simple_markdown(text) is None
    assert converted(text) == render_with_markdown(text)


_WORDS = st.sampled_from(
    [
        *("word", "Zoë", "Straße", "żółw", "x", "12", "2015.", "#tag", "a>b", "\u00a0", "-"),
        *(".", ",", ":", "!", "?", "(", ")", '"', "'", "\u2013", "\u201e", "\u201d", "_", "~"),
        *("*em*", "**strong**", "*two words*", "`code`", "`a > b`", "` spaced `", "*", "**"),
        *("[link](/x)", "[Link](https://example.com/p?q=1)", "[l](HTTP://EX.ORG)", "[l](//x.y)"),
        *("[l](mailto:a@b.cd)", "[l](tel:123)", "[l](x:y)", "[l](https://1.2.3.4)", "[", "]"),
        *("[l](https://example.com:8080/)", "[l](javascript:x)", "[l](#frag)", "[l](../a_b)"),
        *("[l](https://xn--a.com)", "[l](https://a.xn--ls8h.la)", "---", "==", "\u3000"),
    ]
)
_TEXT = st.lists(_WORDS, min_size=1, max_size=8).map(" ".join)
_LINE_ENDS = st.sampled_from(["", "", "", " ", "  ", "#", " #"])


@st.composite
def _line(draw: st.DrawFn) -> str:
    lead = draw(st.sampled_from(["", "", "", "", " ", "    ", "#", "## ", "####### "]))
    lead = lead or draw(st.sampled_from(["", "", "- ", "* ", "+ ", "1. ", "7. ", "> ", ">"]))
    lead = lead or draw(st.sampled_from(["", "", "", ">\u00a0", "+ ---", "1. --"]))
    return lead + draw(_TEXT) + draw(_LINE_ENDS)


@st.composite
def _block(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["paragraph", "heading", "list", "quote", "rule", "lines"]))
    if kind == "heading":
        return "#" * draw(st.integers(1, 7)) + draw(st.sampled_from(["", " "])) + draw(_TEXT)
    if kind == "list":
        marker = draw(st.sampled_from(["- ", "* ", "+ ", "1. ", "4. "]))
        items = draw(st.lists(_TEXT, min_size=1, max_size=4))
        return "\n".join(marker + item for item in items)
    if kind == "quote":
        inner = draw(st.lists(st.one_of(_TEXT, _line()), min_size=1, max_size=4))
        separator = draw(st.sampled_from(["\n> ", "\n>\n> ", "\n> \n> ", "\n>\u00a0\n> "]))
        return "> " + separator.join(inner)
    if kind == "rule":
        return draw(st.sampled_from(["---", "***", "===", "- - -"]))
    if kind == "lines":
        return "\n".join(draw(st.lists(_line(), min_size=1, max_size=3)))
    return "\n".join(draw(st.lists(_TEXT, min_size=1, max_size=3)))


_DOCUMENTS = st.tuples(
    st.lists(_block(), min_size=1, max_size=6),
    st.lists(st.sampled_from(["\n\n", "\n\n", "\n", "\n\n\n", "\n  \n"]), min_size=6, max_size=6),
).map(lambda parts: "".join(b + s for b, s in zip(parts[0], parts[1], strict=False)))


@settings(max_examples=1000, deadline=None)
@given(_DOCUMENTS)
@example("- a\n- b\n\n- c")
@example("> a\n\n> b\n\n- c\n\n> d")
@example("## x_1\n\n## x\n\n## x")
def test_whatever_the_fast_way_takes_it_converts_as_the_pipeline_does(text: str) -> None:
    same(text)


def test_it_takes_most_generated_and_sample_texts_and_converts_them_as_the_pipeline_does() -> None:
    texts = []
    for name in ("short", "site", "tags", "translated"):
        shape = corpus.SHAPES[name]
        texts += [body(text, Path(slug)) for slug, text in corpus.stories(60, shape)]
    taken = [text for text in texts if same(text) is not None]
    # Headings the corpus cuts off in the middle of a link are left to the pipeline.
    assert len(taken) > 0.75 * len(texts)
    stories = sorted(ROOT.glob("content/stories/*.md"))
    assert stories
    for path in stories:
        assert same(body(path.read_text("utf-8"), path)) is not None, path
    for path in [*ROOT.glob("content/**/*.md"), *ROOT.glob("tests/**/*.md")]:
        text = path.read_text("utf-8")
        try:
            same(body(text, path))
        except ContentError:  # a fixture without front matter
            same(text)


def test_texts_of_python_markdowns_own_tests_are_declined_or_converted_as_it_converts_them() -> (
    None
):
    texts = json.loads(
        (Path(__file__).parent / "python_markdown" / "inputs.json").read_text("utf-8")
    )
    assert len(texts) > 4000
    taken = [text for text in texts if same(text) is not None]
    # Most of them test what the fast way leaves alone; enough are in the subset to count.
    assert len(taken) > 300


def test_many_equal_headings_get_the_pipelines_ids_without_a_search_per_heading() -> None:
    # Looking through `same_1` ... `same_n` again for every heading took a minute for these.
    text = "\n\n".join(["## Same", "## Same!", "### Same?"] * 7000)
    with within(20):
        html = same(text)
    assert html is not None
    assert html.endswith('<h3 id="same_20999">Same?</h3>')


def test_a_text_in_the_subset_is_converted_without_loading_python_markdown() -> None:
    code = (
        "from sitegen.markdown.texts import converted\n"
        "html = converted('## A heading\\n\\nWords with *em* and [a link](/x).\\n\\n- a\\n- b')\n"
        "assert html.startswith('<h2 id=\"a-heading\">'), html\n"
    )
    assert loaded_after(code, ["markdown", "nh3"]) == []
