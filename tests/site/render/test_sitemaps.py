"""sitemap.xml: one file up to sitemaps.org's limits, past them an index of several."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from functions.help_requests.contract import CONTRACT_PATH
from sitegen.content.config import DEFAULT_CONFIG
from sitegen.content.schema import Document
from sitegen.options import TEMPLATES
from sitegen.render import outputs
from sitegen.render.outputs import (
    MAX_URLS,
    kept_sitemap,
    kept_sitemap_files,
    robots_txt,
    sitemap_entries,
    sitemap_files,
    sitemaps,
    with_entries,
    with_pages_added,
    without_pages,
)
from sitegen.site.model import Page
from tests.site.incremental.test_builder import FIXTURE, Site, snapshot

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
BASE = DEFAULT_CONFIG.base_url


def page(number: int, *, day: date | None = None, indexable: bool = True) -> Page:
    doc = Document("stories", f"s{number}", "en", Path(f"s{number}.md"), "T", "S", date=day)
    url = f"/en/stories/s{number:06d}/"
    alternates = {"en": url, "pl": f"/pl/historie/s{number:06d}/"}
    return Page(
        url, "en", "story.html", "T", "", "", (), doc, indexable=indexable, alternates=alternates
    )


def locations(text: str, path: str) -> list[str]:
    root = ET.fromstring(text)  # noqa: S314 - our own output
    return [loc.text or "" for loc in root.findall(path, NS)]


def test_a_site_within_the_limits_has_one_sitemap() -> None:
    pages = [page(n) for n in range(3)] + [page(9, indexable=False)]
    files = sitemaps(DEFAULT_CONFIG, pages, max_urls=3)
    assert [name for name, _ in files] == ["sitemap.xml"]
    expected = [f"{BASE}/en/stories/s{n:06d}/" for n in range(3)]
    assert locations(files[0][1], "s:url/s:loc") == expected
    assert robots_txt(DEFAULT_CONFIG).endswith(f"\nSitemap: {BASE}/sitemap.xml\n")


def test_past_the_limit_sitemap_xml_is_an_index_of_full_sitemaps() -> None:
    days = [date(2020, 1, 1 + n) if n != 6 else None for n in range(7)]
    pages = [page(n, day=days[n]) for n in reversed(range(7))]
    files = dict(sitemaps(DEFAULT_CONFIG, pages, max_urls=3))
    assert list(files) == ["sitemap.xml", "sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"]
    index = ET.fromstring(files["sitemap.xml"])  # noqa: S314 - our own output
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    children = [f"{BASE}/sitemap-{n}.xml" for n in (1, 2, 3)]
    assert locations(files["sitemap.xml"], "s:sitemap/s:loc") == children
    # The newest date of each child's pages; the last child's one page has none.
    assert locations(files["sitemap.xml"], "s:sitemap/s:lastmod") == ["2020-01-03", "2020-01-06"]
    listed = [locations(files[f"sitemap-{n}.xml"], "s:url/s:loc") for n in (1, 2, 3)]
    assert [len(urls) for urls in listed] == [3, 3, 1]
    assert [url for urls in listed for url in urls] == [
        f"{BASE}/en/stories/s{n:06d}/" for n in range(7)
    ]
    assert 'hreflang="pl"' in files["sitemap-3.xml"]


def test_a_sitemap_also_ends_before_its_bytes_reach_the_limit() -> None:
    whole = sitemaps(DEFAULT_CONFIG, [page(n) for n in range(10)])[0][1]
    limit = len(whole.encode()) - 1
    files = dict(sitemaps(DEFAULT_CONFIG, [page(n) for n in range(10)], max_bytes=limit))
    assert list(files) == ["sitemap.xml", "sitemap-1.xml", "sitemap-2.xml"]
    assert all(len(files[name].encode()) <= limit for name in files)
    assert [len(locations(files[f"sitemap-{n}.xml"], "s:url/s:loc")) for n in (1, 2)] == [9, 1]


def test_the_default_limit_is_50_000_urls() -> None:
    pages = [page(n) for n in range(MAX_URLS + 1)]
    assert MAX_URLS == 50_000
    files = dict(sitemaps(DEFAULT_CONFIG, pages))
    assert list(files) == ["sitemap.xml", "sitemap-1.xml", "sitemap-2.xml"]
    assert len(locations(files["sitemap-1.xml"], "s:url/s:loc")) == 50_000
    assert locations(files["sitemap-2.xml"], "s:url/s:loc") == [f"{BASE}/en/stories/s050000/"]
    assert len(dict(sitemaps(DEFAULT_CONFIG, pages[:-1]))) == 1


@pytest.mark.parametrize("max_urls", [3, MAX_URLS], ids=["split in files", "one file"])
def test_a_kept_sitemap_with_new_dates_gives_the_files_made_anew(
    max_urls: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "MAX_URLS", max_urls)
    days = [date(2020, 1, 1 + n) for n in range(7)]
    pages = [page(n, day=days[n]) for n in range(7)]
    entries = sitemap_entries(DEFAULT_CONFIG, pages)
    kept = kept_sitemap(sitemap_files(DEFAULT_CONFIG, [e for _, e in entries]), entries)
    assert isinstance(kept, str) == (max_urls == MAX_URLS)
    redated = {2: page(2, day=date(2021, 6, 30)), 5: page(5, day=date(2019, 12, 31))}
    now = with_entries(kept, sitemap_entries(DEFAULT_CONFIG, redated.values()))
    assert now is not None
    expected = sitemaps(DEFAULT_CONFIG, [redated.get(n, p) for n, p in enumerate(pages)])
    assert kept_sitemap_files(DEFAULT_CONFIG, now) == expected
    assert kept_sitemap_files(DEFAULT_CONFIG, kept) == sitemaps(DEFAULT_CONFIG, pages)
    # A page the sitemap lacks gives none; kept as text, one of another length (no date now)
    # neither.
    assert with_entries(kept, sitemap_entries(DEFAULT_CONFIG, [page(8)])) is None
    undated = with_entries(kept, sitemap_entries(DEFAULT_CONFIG, [page(3)]))
    assert (undated is None) == isinstance(kept, str)


@pytest.mark.parametrize("max_urls", [3, MAX_URLS], ids=["split in files", "one file"])
def test_a_kept_sitemap_with_pages_added_or_gone_gives_the_files_made_anew(
    max_urls: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "MAX_URLS", max_urls)
    pages = [page(n, day=date(2020, 1, n + 1)) for n in range(2, 12, 2)]
    entries = sitemap_entries(DEFAULT_CONFIG, pages)
    kept = kept_sitemap(sitemap_files(DEFAULT_CONFIG, [e for _, e in entries]), entries)
    # First, between two, and last: each where the URLs' order puts it.
    added = [page(5), page(13), page(1, day=date(2020, 2, 1))]
    now = with_pages_added(kept, BASE, sitemap_entries(DEFAULT_CONFIG, added))
    assert now is not None
    assert kept_sitemap_files(DEFAULT_CONFIG, now) == sitemaps(DEFAULT_CONFIG, pages + added)
    # And taken out again: as it was; a page it lacks gives none.
    assert without_pages(now, BASE, [p.url for p in added]) == kept
    assert without_pages(kept, BASE, [page(5).url]) is None
    # A page it has already gives none; kept as text, so does one past a file's limits.
    assert with_pages_added(kept, BASE, sitemap_entries(DEFAULT_CONFIG, [page(4)])) is None
    monkeypatch.setattr(outputs, "MAX_URLS", len(pages))
    past = with_pages_added(kept, BASE, sitemap_entries(DEFAULT_CONFIG, [page(7)]))
    assert (past is None) == isinstance(kept, str)


def test_a_build_writes_the_index_and_removes_its_files_once_one_is_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = Site(tmp_path)
    shutil.copytree(FIXTURE, site.content)
    shutil.copytree(TEMPLATES, site.templates, ignore=shutil.ignore_patterns("js"))
    shutil.copy(CONTRACT_PATH, site.base / "openapi.yaml")
    monkeypatch.setattr(outputs, "MAX_URLS", 10)
    site.build()
    built = snapshot(tmp_path / "public")
    assert built == site.reference()
    children = sorted(name for name in built if name.startswith("sitemap-"))
    assert len(children) >= 2
    named = locations(built["sitemap.xml"].decode(), "s:sitemap/s:loc")
    assert named == [f"https://example.org/{name}" for name in children]
    monkeypatch.setattr(outputs, "MAX_URLS", 50_000)
    # A change to the site's structure, not only to what a story shows, remakes the
    # site-wide files.
    site.edit("content/stories/two.md", "date: 2019-10-01", "date: 2019-10-02")
    site.build()
    after = snapshot(tmp_path / "public")
    assert not [name for name in after if name.startswith("sitemap-")]
    assert after == site.reference()
    assert len(locations(after["sitemap.xml"].decode(), "s:url/s:loc")) > 20
