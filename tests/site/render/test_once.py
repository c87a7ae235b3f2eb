"""The `once` tag reuses what it rendered for the same values; the context still calls right."""

from __future__ import annotations

from pathlib import Path

import jinja2
from jinja2 import pass_context, pass_environment

from sitegen.render.templates import make_environment


def environment(tmp_path: Path, **templates: str) -> jinja2.Environment:
    for name, text in templates.items():
        (tmp_path / f"{name}.html").write_text(text, encoding="utf-8")
    return make_environment(tmp_path)


def test_the_body_is_rendered_once_per_value(tmp_path: Path) -> None:
    env = environment(tmp_path, page="{% once x %}{{ x }}/{{ y }}{% endonce %}")
    page = env.get_template("page.html")
    assert page.render(x="a", y=1) == "a/1"
    assert page.render(x="a", y=2) == "a/1"
    assert page.render(x="b", y=3) == "b/3"


def test_equal_values_of_other_types_are_not_the_same(tmp_path: Path) -> None:
    page = environment(tmp_path, page="{% once x %}{{ x }}{% endonce %}").get_template("page.html")
    assert [page.render(x=x) for x in (1, True, 1.0, 1)] == ["1", "True", "1.0", "1"]


def test_values_that_cannot_be_hashed_count_by_identity(tmp_path: Path) -> None:
    env = environment(tmp_path, page="{% once d %}{{ d.n }}{% endonce %}")
    page = env.get_template("page.html")
    first, equal = {"n": 1}, {"n": 1}
    assert page.render(d=first) == "1"
    equal["n"] = 2
    assert page.render(d=equal) == "2"
    assert page.render(d=first) == "1"


def test_each_tag_and_each_macro_call_has_its_own_entries(tmp_path: Path) -> None:
    env = environment(
        tmp_path,
        macros="{% macro box(v, level) %}{% once v, level %}<h{{ level }}>{{ v }}{% endonce %}"
        "{% endmacro %}",
        page='{% from "macros.html" import box %}{% once 1 %}A{% endonce %}'
        "{% once 1 %}B{% endonce %}{{ box(x, 2) }}{{ box(x, 3) }}{{ box(x, 2) }}",
    )
    assert (
        env.get_template("page.html").render(x="<x>") == "AB<h2>&lt;x&gt;<h3>&lt;x&gt;<h2>&lt;x&gt;"
    )


def test_functions_that_ask_for_the_context_still_get_it(tmp_path: Path) -> None:
    class Greeter:
        @pass_context
        def __call__(self, context: jinja2.runtime.Context) -> str:
            return f"hello {context['name']}"

    class Plain:
        def __call__(self, word: str) -> str:
            return word.upper()

    def ends(word: str) -> str:
        raise StopIteration

    env = environment(
        tmp_path,
        page="{{ own() }} {{ env() }} {{ greet() }} {{ plain('x') }} {{ name.upper() }}"
        " {{ ends('x') is defined }}",
    )
    env.globals.update(
        own=pass_context(lambda context: context["name"]),
        env=pass_environment(lambda environment: environment is env),
        greet=Greeter(),
        plain=Plain(),
        ends=ends,
    )
    text = env.get_template("page.html").render(name="ana")
    assert text == "ana True hello ana X ANA False"
