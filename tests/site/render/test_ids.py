"""Ids a text shares with the page around it."""

from __future__ import annotations

import random
import re
from pathlib import Path

from sitegen.content.schema import Document
from sitegen.render.ids import id_problems, id_texts

_REFERENCE = re.compile(r'\sid="([^"]*)"')


def test_id_texts_finds_what_the_expression_finds() -> None:
    pieces = ['id="', '"', " ", "x", "\n", "i", "d", "=", "\t", "\x1c", "\xa0", "\u2003"]
    choose = random.Random(7)
    for _ in range(20_000):
        text = "".join(choose.choice(pieces) for _ in range(choose.randint(0, 14)))
        assert id_texts(text) == _REFERENCE.findall(text), text


def test_id_texts_reads_tags_and_text_alike() -> None:
    html = '<h2 id="a">A</h2><p>x id="b" and xid="c"</p><p\tid="d" id="e"'
    assert id_texts(html) == ["a", "b", "d", "e"]


def test_an_id_of_the_text_that_the_page_has_too_is_a_problem() -> None:
    doc = Document("stories", "x", "en", Path("stories/x.md"), "X", "x", body="## Main\n")
    body = '<h2 id="main">Main</h2>\n<h2 id="other">Other</h2>'
    page = f'<main id="main">{body}</main><p>id="other"</p>'
    problems = id_problems(doc, body, page)
    assert [(p.line, p.message) for p in problems] == [
        (1, "the id 'main' is used twice on the page")
    ]
    assert id_problems(doc, body, f"<main>{body}</main>") == []
