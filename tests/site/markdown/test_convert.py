"""Markdown becomes HTML that cannot run scripts; external links open no window reference."""

from __future__ import annotations

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
