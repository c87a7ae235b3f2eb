"""Links read without urljoin lead to the files urljoin says they lead to."""

from __future__ import annotations

import html
import random
import re
from urllib.parse import urljoin, urlsplit

import pytest

from sitegen.site.links import internal_targets, links_in, output_path

PAGES = [
    "/en/stories/a-story/",
    "/",
    "/pl/about.html",
    "/en/café/",
    "/en/caf%C3%A9/",
    "/en/a?b/",
    "/en/./x/../y/",
    "/api/requests/",
    "/en/about;",
    "/;",
    "/en/a;b/",
    "//",
]
LINKS = [
    "/en/stories/",
    "/en/stories/?page=2#top",
    "/en/search#q?x",
    "/static/site.css",
    "/images/a-0123456789-480.webp",
    "/en/caf%C3%A9/",
    "/en/café/",
    "/en/./stories/../tags/",
    "/en/\tstories/",
    "/\n/?/x/./y",
    "/\t/#a/.",
    "/api/requests",
    "/",
    "//cdn.example.org/x.js",
    "https://example.org/en/",
    "HTTPS://example.org/",
    "mailto:help@example.org",
    "tel:+441234",
    "x+y.z-w:thing",
    "1ab:thing",
    "über:thing",
    "#main",
    "#",
    "#a/../b?c",
    "#\t",
    "",
    "other/",
    "../up/",
    "./same.html",
    "?page=2",
    "a:b/c",
    "/a:b/",
    "/en/about;",
    "/en/a;b/c;",
    "x;",
]


def _through_urljoin(page: str, link: str) -> str | None:
    parts = urlsplit(urljoin(page, link))
    if parts.scheme or parts.netloc or parts.path.startswith("/api/") or not parts.path:
        return None
    return output_path(parts.path)


@pytest.mark.parametrize("page", PAGES)
def test_every_kind_of_link_leads_where_urljoin_says(page: str) -> None:
    text = "".join(f' <a href="{link}">' for link in LINKS)
    expected = [_through_urljoin(page, link) for link in LINKS]
    assert internal_targets(page, text) == [target for target in expected if target]


def test_srcset_entries_and_escaped_links_count_one_by_one() -> None:
    text = ' <img src="/i/a.jpg" srcset="/i/a-480.webp 480w, /i/a-960.webp 960w">'
    text += ' <a href="/en/?a=1&amp;b=2">'
    expected = ["i/a.jpg", "i/a-480.webp", "i/a-960.webp", "en/index.html"]
    assert internal_targets("/en/", text) == expected


def _links_by_one_expression(text: str) -> list[str]:
    found = []
    for name, value in re.findall(r'\s(href|src|srcset)="([^"]*)"', text):
        value = html.unescape(value)
        if name == "srcset":
            found += [part.split()[0] for part in value.split(",") if part.strip()]
        else:
            found.append(value)
    return found


def test_attributes_are_found_as_one_expression_finds_them() -> None:
    pieces = [' href="', ' src="', ' srcset="', 'href="', '-src="', "\nhref=", '"', '" ', "/a"]
    pieces += [" 1x,"]
    pieces += [" ", "\t", "x", "=", "&amp;", "src", "set", "<a", ">", ",", "\u00a0src="]
    rng = random.Random(20261126)
    for _ in range(3000):
        text = "".join(rng.choices(pieces, k=rng.randint(1, 30)))
        assert links_in(text) == _links_by_one_expression(text), text


def test_a_value_holding_another_attribute_name_is_one_link() -> None:
    text = '<a href="/x src=" class="y"> <img\nsrc="/i.png">'
    assert links_in(text) == ["/x src=", "/i.png"]
