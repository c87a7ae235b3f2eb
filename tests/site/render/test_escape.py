"""Templates escape with the generator's own `escape`, which writes what markupsafe writes."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from xml.sax import saxutils

import jinja2
import markupsafe
import pytest
from markupsafe import Markup

from sitegen.render import outputs, templates
from sitegen.render.templates import make_environment


class Html:
    def __html__(self) -> str:
        return "<i>safe</i>"

    def __repr__(self) -> str:  # the same test id in every process
        return "Html()"


class Text(str):
    __slots__ = ()


VALUES = [
    "plain words",
    "",
    "<script>alert('x') & \"y\"</script>",
    "Zoë & Łukasz > 3 < 4",
    Text("<a str subclass>"),
    Markup("<b>already safe</b>"),
    Html(),
    42,
    1.5,
    None,
    ("tuple", "<x>"),
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_escape_gives_what_markupsafe_gives(value: object) -> None:
    ours = templates.escape(value)
    assert type(ours) is Markup
    assert ours == markupsafe.escape(value)


def test_every_way_a_template_is_loaded_escapes_with_it(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "page.html").write_text("<p>{{ value }}</p>", encoding="utf-8")
    (tmp_path / "compiled").mkdir()
    compiled = jinja2.FileSystemBytecodeCache(str(tmp_path / "compiled"))
    fresh = make_environment(folder, compiled).get_template("page.html")
    # Compiled by the environment above; this one takes the byte code from the cache.
    cached = make_environment(folder, compiled).get_template("page.html")
    from_string = make_environment(folder).from_string("<p>{{ value }}</p>")
    assert list((tmp_path / "compiled").iterdir())
    for template in (fresh, cached, from_string):
        # Were Jinja to load templates another way, they would escape with markupsafe's,
        # the same text more slowly.
        assert template.root_render_func.__globals__["escape"] is templates.escape
        for value in VALUES:
            assert template.render(value=value) == f"<p>{markupsafe.escape(value)}</p>"


# What XML 1.0 cannot hold, written as the standard lists what it can.
ALLOWED_IN_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
XML_TRICKY = ["&", "<", ">", '"', "'", "\n", "\r", "\t", "a", "\x00", "\x0b", "\x1f", "\x7f"]
XML_TRICKY += ["\x85", "\ud800", "\udfff", "\ue000", "\ufffd", "\ufffe", "\uffff", "\U0001f600"]


def test_feed_escaping_writes_what_the_standard_library_writes() -> None:
    # Every text of up to three of these characters, as saxutils writes it, less what XML
    # cannot hold.
    for size in range(4):
        for chars in itertools.product(XML_TRICKY, repeat=size):
            text = "".join(chars)
            kept = ALLOWED_IN_XML.sub("", text)
            assert outputs._escape(text) == saxutils.escape(kept), repr(text)
            assert outputs._quoteattr(text) == saxutils.quoteattr(kept), repr(text)


def test_feed_escaping_leaves_out_exactly_what_xml_cannot_hold() -> None:
    every = "".join(map(chr, range(0x110000)))
    assert outputs._NOT_XML.sub("", every) == ALLOWED_IN_XML.sub("", every)
