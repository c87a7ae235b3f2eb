"""Links read without urljoin lead to the files urljoin says they lead to."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from sitegen.links import internal_targets, output_path

PAGES = ["/en/stories/a-story/", "/", "/pl/about.html"]
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
    "",
    "other/",
    "../up/",
    "./same.html",
    "?page=2",
    "a:b/c",
    "/a:b/",
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
