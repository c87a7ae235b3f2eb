"""Site-wide files: sitemap.xml with hreflang alternates (an index of several past 50,000 URLs),
one Atom feed per language, robots.txt."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from datetime import date
from functools import partial

from sitegen.content.config import SiteConfig
from sitegen.content.i18n import Translator
from sitegen.site.listing import Entry
from sitegen.site.model import Page

# Every character but those XML 1.0 allows (https://www.w3.org/TR/xml/#charsets): not even a
# reference can write one, and a feed holding one is not XML, which feed readers refuse.
# Written as what is left out, it compiles in a seventh of the time of what is allowed.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(text: str) -> str:
    """Text as XML character data; characters XML cannot hold are left out.

    As `xml.sax.saxutils.escape`, whose import (urllib.request, http.client, ssl, email)
    took a twentieth of a build of 1,000 stories."""
    text = _NOT_XML.sub("", text)
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _quoteattr(text: str) -> str:
    """Text as a quoted XML attribute value; characters XML cannot hold are left out.

    As `xml.sax.saxutils.quoteattr`: line breaks and tabs as references, so that a parser
    does not normalise them to spaces, and in single quotes when the text holds only '"'."""
    text = _escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'


# sitemaps.org: a sitemap holds at most 50,000 URLs and 50 MB (52,428,800 bytes) uncompressed;
# a bigger site lists several in a sitemap index.
MAX_URLS = 50_000
MAX_BYTES = 52_428_800
_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
_URLSET = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_NAMESPACE}"'
    ' xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
)
_URLSET_END = "</urlset>\n"
# The names of the sitemap and of its parts.
_SITEMAP_FILE = re.compile(r"sitemap(-[0-9]+)?\.xml")


def sitemaps(
    config: SiteConfig,
    pages: Iterable[Page],
    *,
    max_urls: int | None = None,
    max_bytes: int | None = None,
) -> list[tuple[str, str]]:
    """`sitemap.xml` with every indexable page, each with links to its translations; past one
    file's limits (by default sitemaps.org's), an index of `sitemap-1.xml`, `sitemap-2.xml`..."""
    entries = [entry for _, entry in sitemap_entries(config, pages)]
    return sitemap_files(config, entries, max_urls=max_urls, max_bytes=max_bytes)


SitemapEntry = tuple[str, str]


def sitemap_entries(config: SiteConfig, pages: Iterable[Page]) -> list[tuple[str, SitemapEntry]]:
    """Each indexable page's URL and `<url>` element with its date ("" without), by URL."""
    indexable = sorted((page for page in pages if page.indexable), key=lambda page: page.url)
    return [(page.url, sitemap_entry(config, page)) for page in indexable]


def sitemap_files(
    config: SiteConfig,
    entries: list[SitemapEntry],
    *,
    max_urls: int | None = None,
    max_bytes: int | None = None,
) -> list[tuple[str, str]]:
    """The sitemap files of these `<url>` elements, in order (see `sitemaps`)."""
    room = (max_bytes or MAX_BYTES) - len(_URLSET) - len(_URLSET_END)
    parts = _split(entries, max_urls or MAX_URLS, room)
    if len(parts) == 1:
        return [("sitemap.xml", _urlset(parts[0]))]
    names = [f"sitemap-{number}.xml" for number in range(1, len(parts) + 1)]
    index = _index(config, names, [max(day for _, day in part) for part in parts])
    return [("sitemap.xml", index), *((n, _urlset(p)) for n, p in zip(names, parts, strict=True))]


def is_sitemap_file(name: str) -> bool:
    """Whether an output file is the sitemap or one of its parts (`sitemap_files` names)."""
    return _SITEMAP_FILE.fullmatch(name) is not None


def sitemap_entry(config: SiteConfig, page: Page) -> SitemapEntry:
    """One page's `<url>` element, and its date ("" without)."""
    day = page.document.date.isoformat() if page.document and page.document.date else ""
    lines = [_loc_line(config.base_url, page.url)]
    if day:
        lines.append(f"<lastmod>{day}</lastmod>")
    if len(page.alternates) > 1:
        lines += [
            f'<xhtml:link rel="alternate" hreflang="{code}"'
            f" href={_quoteattr(config.base_url + url)}/>"
            for code, url in sorted(page.alternates.items())
        ]
    lines.append("</url>")
    return "\n".join(lines) + "\n", day


# The sitemap as rebuilds after a new date keep it (`kept_sitemap`): the text of its one
# file, or its entries by URL when it is split in files, which an index dates by their newest.
KeptSitemap = str | tuple[tuple[str, SitemapEntry], ...]


def kept_sitemap(
    files: list[tuple[str, str]], entries: Iterable[tuple[str, SitemapEntry]]
) -> KeptSitemap:
    """The sitemap as kept for rebuilds: the `files` made of these `entries`
    (`sitemap_files`). Of one file, its text, which takes a tenth of the time of the entries to
    read and to save again, and in which a new date changes one entry alone."""
    return files[0][1] if len(files) == 1 else tuple(entries)


def kept_sitemap_files(config: SiteConfig, kept: KeptSitemap) -> list[tuple[str, str]]:
    """The sitemap files of a kept sitemap."""
    if isinstance(kept, str):
        return [("sitemap.xml", kept)]
    return sitemap_files(config, [entry for _, entry in kept])


def with_entries(
    kept: KeptSitemap, entries: Iterable[tuple[str, SitemapEntry]]
) -> KeptSitemap | None:
    """The kept sitemap with these entries (by URL) in place of those of their URLs; None
    when it has no entry of one of them, or, kept as text, when an entry is of another length
    than the one it replaces, which could take the sitemap past one file's limits."""
    if isinstance(kept, str):
        # Where each goes, then the text made once: made again for each, it was copied whole
        # each time (0.5 ms an entry at 10,000 stories).
        places: dict[int, str] = {}
        for _, (element, _day) in entries:
            span = _element(kept, element[: element.index("\n")])
            if span is None or span[1] - span[0] != len(element):
                return None
            places[span[0]] = element
        pieces: list[str] = []
        done = 0
        for start in sorted(places):
            pieces += (kept[done:start], places[start])
            done = start + len(places[start])
        pieces.append(kept[done:])
        return "".join(pieces)
    found = list(kept)
    for url, entry in entries:
        place = bisect.bisect_left(found, url, key=lambda item: item[0])
        if place == len(found) or found[place][0] != url:
            return None
        found[place] = (url, entry)
    return tuple(found)


def with_pages_added(
    kept: KeptSitemap, base_url: str, entries: Iterable[tuple[str, SitemapEntry]]
) -> KeptSitemap | None:
    """The kept sitemap with the entries of new pages (by URL) in their places, in the order of
    the URLs (`sitemap_entries`); None when it has an entry of one of them already, or, kept as
    text, when the entries would take it past one file's limits, or a URL holds what XML
    escapes (its place among the escaped ones is not the text's order)."""
    found = kept if isinstance(kept, str) else list(kept)
    for url, entry in entries:
        if isinstance(found, list):
            place = bisect.bisect_left(found, url, key=lambda item: item[0])
            if place < len(found) and found[place][0] == url:
                return None
            found.insert(place, (url, entry))
            continue
        element = entry[0]
        # Where each entry starts (`_LOC_OPEN`); its URL is read only where the search looks
        # (all of them took 8 ms).
        starts = [match.start() for match in _LOC.finditer(found)]
        size = len(found) if found.isascii() else len(found.encode())
        size += len(element.encode())
        if _escape(url) != url or len(starts) + 1 > MAX_URLS or size > MAX_BYTES:
            return None
        url_at = partial(_url_at, found, len(_LOC_OPEN) + len(_escape(base_url)))
        place = bisect.bisect_left(starts, url, key=url_at)
        if place < len(starts) and url_at(starts[place]) == url:
            return None
        at = starts[place] if place < len(starts) else found.rindex(_URLSET_END)
        found = found[:at] + element + found[at:]
    return found if isinstance(found, str) else tuple(found)


def without_pages(kept: KeptSitemap, base_url: str, urls: Iterable[str]) -> KeptSitemap | None:
    """The kept sitemap without the entries of these pages; None when it lacks one of them."""
    gone = set(urls)
    if not isinstance(kept, str):
        found = tuple(item for item in kept if item[0] not in gone)
        return found if len(found) == len(kept) - len(gone) else None
    for url in gone:
        span = _element(kept, _loc_line(base_url, url))
        if span is None:
            return None
        kept = kept[: span[0]] + kept[span[1] :]
    return kept


# How a sitemap's entry begins: "<url>" begins an element alone, for "<" in a URL is escaped,
# and "</loc>" ends its URL.
_LOC_OPEN = "<url><loc>"
_LOC = re.compile(_LOC_OPEN)


def _loc_line(base_url: str, url: str) -> str:
    """The first line of the sitemap entry of the page at `url`."""
    return f"{_LOC_OPEN}{_escape(base_url + url)}</loc>"


def _element(text: str, first_line: str) -> tuple[int, int] | None:
    """Where the entry of a sitemap's text that begins with this line starts and ends; None
    when it has none."""
    start = text.find(first_line + "\n")
    if start < 0:
        return None
    return start, text.index("</url>\n", start) + len("</url>\n")


def _url_at(text: str, skip: int, start: int) -> str:
    """The URL of the entry at `start` of a sitemap's text, `skip` characters into it (its
    `_LOC_OPEN` and the base URL)."""
    return _unescape(text[start + skip : text.index("</loc>", start)])


def _unescape(text: str) -> str:
    """`_escape` undone, but for the characters it leaves out."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _split(entries: list[tuple[str, str]], max_urls: int, room: int) -> list[list[tuple[str, str]]]:
    """The entries in runs that each fit one file; one run (maybe empty) when all fit."""
    # A character is at most 4 bytes in UTF-8: most sites need not count their bytes.
    if len(entries) <= max_urls and 4 * sum(len(text) for text, _ in entries) <= room:
        return [entries]
    parts: list[list[tuple[str, str]]] = [[]]
    used = 0
    for entry in entries:
        size = len(entry[0].encode())
        if parts[-1] and (len(parts[-1]) == max_urls or used + size > room):
            parts.append([])
            used = 0
        parts[-1].append(entry)
        used += size
    return parts


def _urlset(entries: list[tuple[str, str]]) -> str:
    return _URLSET + "".join(text for text, _ in entries) + _URLSET_END


def _index(config: SiteConfig, names: list[str], days: list[str]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{_NAMESPACE}">']
    for name, day in zip(names, days, strict=True):
        lastmod = f"<lastmod>{day}</lastmod>" if day else ""
        lines.append(
            f"<sitemap><loc>{_escape(f'{config.base_url}/{name}')}</loc>{lastmod}</sitemap>"
        )
    lines.append("</sitemapindex>")
    return "\n".join(lines) + "\n"


def atom_feed(
    config: SiteConfig,
    lang: str,
    t: Translator,
    entries: Iterable[Entry],
    bodies: Mapping[str, str],
    today: date,
) -> str:
    """The newest stories of one language as an Atom feed; `bodies` are HTML by entry URL."""
    base = config.base_url
    newest = list(entries)[: config.feed_entries]
    updated = _timestamp(newest[0].doc.date if newest and newest[0].doc.date else today)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}"'
        f" xml:base={_quoteattr(base + '/')}>",
        f"<title>{_escape(t('feed.title', site=config.title))}</title>",
        f"<subtitle>{_escape(t('site.tagline'))}</subtitle>",
        f"<id>{_escape(base)}/{lang}/</id>",
        f'<link rel="self" type="application/atom+xml"'
        f" href={_quoteattr(f'{base}/{lang}/feed.xml')}/>",
        f'<link rel="alternate" type="text/html" href={_quoteattr(f"{base}/{lang}/")}/>',
        f"<updated>{updated}</updated>",
        f"<author><name>{_escape(config.title)}</name></author>",
    ]
    lines += [_entry(base, entry, bodies.get(entry.url, "")) for entry in newest]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def robots_txt(config: SiteConfig) -> str:
    """Let crawlers read the site, but not the APIs or the moderators' inbox."""
    disallowed = "".join(f"Disallow: {path}\n" for path in ("/api/", "/admin/"))
    return f"User-agent: *\n{disallowed}\nSitemap: {config.base_url}/sitemap.xml\n"


def _entry(base: str, entry: Entry, body: str) -> str:
    doc = entry.doc
    stamp = _timestamp(doc.date or date.min)
    url = base + entry.url
    categories = "".join(f"<category term={_quoteattr(tag)}/>" for tag in doc.tags)
    return (
        f"<entry><title>{_escape(doc.title)}</title><id>{_escape(url)}</id>"
        f'<link rel="alternate" type="text/html" href={_quoteattr(url)}/>'
        f"<published>{stamp}</published><updated>{stamp}</updated>"
        f"<summary>{_escape(doc.summary)}</summary>{categories}"
        f'<content type="html">{_escape(body)}</content></entry>'
    )


def _timestamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"
