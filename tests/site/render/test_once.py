"""The `once` tag reuses what it rendered for the same values; the context still calls right."""

from __future__ import annotations

import pickle
from pathlib import Path

import jinja2
from jinja2 import pass_context, pass_environment

from sitegen.content.config import DEFAULT_CONFIG
from sitegen.incremental.pagework import ONCE_KEPT, PageWork
from sitegen.render.once import Once
from sitegen.render.templates import Renderer, make_environment
from sitegen.site.model import Site


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


def test_with_a_limit_the_part_used_longest_ago_is_rendered_again(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("{% once x %}{{ x }}/{{ y }}{% endonce %}", "utf-8")
    env = make_environment(tmp_path, once_limit=2)
    page = env.get_template("page.html")
    assert [page.render(x=x, y=1) for x in "ab"] == ["a/1", "b/1"]
    assert page.render(x="a", y=2) == "a/1"  # used again: now "b" was used longest ago
    assert page.render(x="c", y=2) == "c/2"  # pushes "b" out
    assert page.render(x="a", y=3) == "a/1"
    assert page.render(x="b", y=3) == "b/3"  # pushes "c" out
    assert page.render(x="c", y=3) == "c/3"
    once = env.extensions[Once.identifier]
    assert isinstance(once, Once)
    assert len(once.rendered) == 2


def test_a_worker_forked_before_the_model_keeps_a_bounded_number_of_parts(
    tmp_path: Path,
) -> None:
    (tmp_path / "page.html").write_text("{% once x %}{{ x }}{% endonce %}", "utf-8")
    site = Site(DEFAULT_CONFIG, (), {}, {})
    renderer = Renderer.__new__(Renderer)
    renderer.templates_dir, renderer.site = tmp_path, site
    renderer.env = make_environment(tmp_path)
    work = PageWork(renderer, {}, {}, {}, None, tmp_path)
    here = work.renderer.env.extensions[Once.identifier]
    sent = pickle.loads(pickle.dumps(work))  # noqa: S301 - made just above
    there = sent.renderer.env.extensions[Once.identifier]
    assert isinstance(here, Once)
    assert isinstance(there, Once)
    assert (here.limit, there.limit) == (None, ONCE_KEPT)
    page = sent.renderer.env.get_template("page.html")
    for number in range(ONCE_KEPT + 10):
        page.render(x=number)
    assert len(there.rendered) == ONCE_KEPT
