"""Site-wide files: sitemap.xml with hreflang alternates, one Atom feed per language, robots.txt."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from xml.sax import saxutils

from sitegen.content.config import SiteConfig
from sitegen.content.i18n import Translator
from sitegen.site.listing import Entry
from sitegen.site.model import Page

# Every character but those XML 1.0 allows (https://www.w3.org/TR/xml/#charsets): not even a
# reference can write one, and a feed holding one is not XML, which feed readers refuse.
_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(text: str) -> str:
    """Text as XML character data; characters XML cannot hold are left out."""
    return saxutils.escape(_NOT_XML.sub("", text))


def _quoteattr(text: str) -> str:
    """Text as a quoted XML attribute value; characters XML cannot hold are left out."""
    return saxutils.quoteattr(_NOT_XML.sub("", text))


def sitemap(config: SiteConfig, pages: Iterable[Page]) -> str:
    """Every indexable page, each with links to its translations."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    for page in sorted((p for p in pages if p.indexable), key=lambda p: p.url):
        lines.append(f"<url><loc>{_escape(config.base_url + page.url)}</loc>")
        if page.document and page.document.date:
            lines.append(f"<lastmod>{page.document.date.isoformat()}</lastmod>")
        if len(page.alternates) > 1:
            lines += [
                f'<xhtml:link rel="alternate" hreflang="{code}"'
                f" href={_quoteattr(config.base_url + url)}/>"
                for code, url in sorted(page.alternates.items())
            ]
        lines.append("</url>")
    lines.append("</urlset>")
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
