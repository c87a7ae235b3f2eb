"""Markdown becomes HTML that cannot run scripts; external links open no window reference."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sitegen.markdown.texts import TooDeep, with_markdown
from sitegen.markdown.texts import converted as render_markdown


def test_scripts_and_handlers_are_removed() -> None:
    html = render_markdown('<script>alert(1)</script>\n\n<img src="x.png" onerror="alert(2)">')
    assert "script" not in html
    assert "onerror" not in html
    assert "alert" not in html


def test_javascript_links_lose_their_target() -> None:
    html = render_markdown("[click](javascript:alert(1)) <a href='JavaScript:x'>raw</a>")
    assert html == "<p><a>click</a> <a>raw</a></p>"


def test_external_links_get_noopener_and_internal_ones_do_not() -> None:
    html = render_markdown("[out](https://example.org/a?b=1&c=2) [in](/en/stories/)")
    assert html == (
        '<p><a href="https://example.org/a?b=1&amp;c=2" rel="noopener">out</a>'
        ' <a href="/en/stories/">in</a></p>'
    )


def test_editor_rel_and_target_are_replaced() -> None:
    html = render_markdown('<a href="//example.org" rel="opener" target="_blank">x</a>')
    assert html == '<p><a href="//example.org" rel="noopener">x</a></p>'


def test_tables_footnotes_attributes_and_heading_ids() -> None:
    html = render_markdown(
        "# Über uns {: .intro }\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\nNote[^n]\n\n[^n]: Here."
    )
    assert '<h2 class="intro" id="uber-uns">Über uns</h2>' in html
    assert '<th align="left">a</th>' in html
    assert '<td align="right">2</td>' in html
    assert '<sup id="fnref:n"><a class="footnote-ref" href="#fn:n">1</a></sup>' in html
    assert "style=" not in html


def test_same_text_gives_same_html() -> None:
    text = "Text[^1]\n\n[^1]: One."
    assert render_markdown(text) == render_markdown(text)


def _called_from_depth(frames: int, call: Callable[[], object]) -> object:
    return call() if frames == 0 else _called_from_depth(frames - 1, call)


def _nested_list(levels: int) -> str:
    return "".join("    " * level + "- item\n" for level in range(levels))


def test_a_list_nested_past_the_recursion_limit_is_too_deep_and_leaves_no_state() -> None:
    text = "- a\n    - b\n\n1. c\n\n> q\n\nA paragraph with `code`.\n\n    indented\n"
    before = with_markdown(text)
    assert "<li>item</li>" in with_markdown(_nested_list(100))
    # Where the recursion limit stops the parser depends on the stack already in use: from a
    # few depths, so that one stops it inside a list whatever the stack.
    for frames in range(8):
        with pytest.raises(TooDeep):
            _called_from_depth(frames, lambda: with_markdown(_nested_list(400)))
        # The failed converter's parser is still inside the list; the next text gets another.
        assert with_markdown(text) == before
    assert "<p>A paragraph with <code>code</code>.</p>" in before
