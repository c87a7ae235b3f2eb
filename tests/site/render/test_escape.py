"""Templates escape with the generator's own `escape`, which writes what markupsafe writes."""

from __future__ import annotations

from pathlib import Path

import jinja2
import markupsafe
import pytest
from markupsafe import Markup

from sitegen.render import templates
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
