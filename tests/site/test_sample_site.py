"""Build the real sample site in content/ and check what visitors and crawlers get."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sitegen.incremental.builder import build_site
from sitegen.options import BuildOptions
from sitegen.site.links import broken_links

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sample")
    options = BuildOptions(content=CONTENT, output=base / "public", cache=base / "cache")
    build_site(options)
    return options.output


def html_pages(public: Path) -> dict[str, str]:
    return {
        "/" + p.relative_to(public).as_posix().removesuffix("index.html"): p.read_text("utf-8")
        for p in public.rglob("*.html")
    }


def test_every_internal_link_and_asset_resolves(public: Path) -> None:
    files = {p.relative_to(public).as_posix() for p in public.rglob("*") if p.is_file()}
    broken = {url: broken_links(url, text, files) for url, text in html_pages(public).items()}
    assert {url: links for url, links in broken.items() if links} == {}


def test_sitemap_and_feeds_parse_as_xml(public: Path) -> None:
    sitemap = ET.parse(public / "sitemap.xml").getroot()  # noqa: S314 - our own output
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in sitemap.findall("s:url/s:loc", namespace)]
    assert "https://ask-for-help.example/de/" in locations
    for lang in ("en", "de", "pl"):
        feed = ET.parse(public / lang / "feed.xml").getroot()  # noqa: S314 - our own output
        assert feed.findall("{http://www.w3.org/2005/Atom}entry")


def test_every_page_declares_language_canonical_and_one_h1(public: Path) -> None:
    for url, text in html_pages(public).items():
        # The moderators' inbox is checked by tests/site/render/test_admin_pages.py.
        if url == "/" or url.startswith("/admin/"):
            continue
        lang = url.split("/")[1]
        assert f'<html lang="{lang}">' in text, url
        assert '<link rel="canonical"' in text, url
        assert len(re.findall(r"<h1[ >]", text)) == 1, url


def test_no_inline_scripts_or_styles(public: Path) -> None:
    for url, text in html_pages(public).items():
        scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)[^>]*>", text)
        assert scripts == [], url
        assert "<style" not in text, url
        assert " style=" not in text, url


def test_root_sends_visitors_to_a_language(public: Path) -> None:
    root = (public / "index.html").read_text("utf-8")
    assert '<meta http-equiv="refresh" content="0; url=/en/">' in root
    for lang in ("en", "de", "pl"):
        assert f'href="/{lang}/" hreflang="{lang}" lang="{lang}"' in root


def test_polish_and_german_pages_carry_their_own_text(public: Path) -> None:
    polish = (public / "pl" / "ask" / "index.html").read_text("utf-8")
    german = (public / "de" / "ask" / "index.html").read_text("utf-8")
    assert "Wyślij prośbę" in polish
    assert "Anfrage senden" in german
