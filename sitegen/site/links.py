"""Check that every internal link and asset in the rendered HTML resolves to an output file."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from sitegen.errors import Problem
from sitegen.site.model import Page

# One expression an attribute: one starting with a literal is searched for much faster.
_ATTRIBUTES = tuple((name, re.compile(name + r'="([^"]*)"')) for name in ("href", "src", "srcset"))
_SKIPPED_PREFIXES = ("/api/",)


def links_in(text: str) -> list[str]:
    """Every href, src and srcset URL in an HTML text, unescaped.

    An attribute counts where whitespace comes before its name; read from left to right, one
    ends before the next begins (as `re.findall(r'\\s(href|src|srcset)="([^"]*)"')` has it)."""
    matches = []
    for name, expression in _ATTRIBUTES:
        search = expression.search
        match = search(text)
        while match is not None:
            start = match.start()
            if start and text[start - 1].isspace():
                matches.append((start, match.end(), name, match.group(1)))
            # From the next character: one that does not count may hide one that does.
            match = search(text, start + 1)
    matches.sort()
    found: list[str] = []
    end = 0
    for start, stop, name, value in matches:
        if start <= end:  # inside the last one, or sharing its whitespace
            continue
        end = stop
        value = html.unescape(value)
        if name == "srcset":
            found += [part.split()[0] for part in value.split(",") if part.strip()]
        else:
            found.append(value)
    return found


def output_path(url: str) -> str:
    """The file a site URL is served from: `/en/` → `en/index.html`."""
    path = unquote(url).lstrip("/")
    return f"{path}index.html" if path.endswith("/") or not path else path


def internal_targets(page_url: str, text: str) -> list[str]:
    """The output files the internal links of one page point at, in order."""
    targets = []
    for link in links_in(text):
        target = None
        if link.startswith("/") and not link.startswith("//"):
            # Most links are site-absolute and recur from page to page.
            target = _absolute_target(link)
        elif link.startswith("#") and page_url.startswith("/") and page_url[1:2] != "/":
            # The page itself (a skip link), as urljoin has it, unless its URL is unusual.
            target = _absolute_target(page_url)
        if target is None:
            target = _target(page_url, link)
        if target:
            targets.append(target)
    return targets


@lru_cache(maxsize=1 << 16)
def _absolute_target(link: str) -> str | None:
    """Where a site-absolute link leads, or None if that may depend on the page: dropping
    tabs and line breaks can turn `/\n/?x` into `//?x`, which urljoin reads as the page."""
    return None if _UNUSUAL.search(link) else _target("/", link)


def _target(page_url: str, link: str) -> str:
    """The output file a link leads to, or "" when it leads off the site or is not checked."""
    path = _path(page_url, link)
    if path and not path.startswith(_SKIPPED_PREFIXES):
        return output_path(path)
    return ""


# What urlsplit takes for a scheme; `https:` and `mailto:` links lead off the site.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Characters after which urlsplit is needed: it drops tabs and newlines, checks hosts, and
# drops empty `;` parameters.
_UNUSUAL = re.compile(r"[\t\n\r\[\];]|/\.|[^\x00-\x7f]")


def _path(page_url: str, link: str) -> str:
    """The site path a link leads to, or "" when it leads off the site."""
    if _UNUSUAL.search(link) is None:
        if _SCHEME.match(link):
            return ""
        # Most links are site-absolute without dot segments; urljoin would return them as-is.
        if link.startswith("/") and not link.startswith("//"):
            return link.partition("#")[0].partition("?")[0]
    # Without dot segments or parameters, urljoin leaves a site-absolute link as it is.
    plain = link.startswith("/") and not link.startswith("//")
    plain = plain and "/." not in link and ";" not in link
    try:
        parts = urlsplit(link if plain else urljoin(page_url, link))
    except ValueError:  # a host urllib refuses (`//[x`): none of the site's pages
        return ""
    return "" if parts.scheme or parts.netloc else parts.path


def broken_links(page_url: str, text: str, files: Iterable[str] | set[str]) -> list[str]:
    """The internal links of one page that lead to no file."""
    existing = files if isinstance(files, set) else set(files)
    broken = []
    for link in links_in(text):
        target = _target(page_url, link)
        if target and target not in existing:
            broken.append(link)
    return broken


def link_problems(
    pages: Mapping[str, Page], texts: Mapping[str, str], files: set[str], templates: Path
) -> list[Problem]:
    """Problems for broken links, naming the content file (and line) they come from."""
    problems: set[Problem] = set()
    for url, text in texts.items():
        page = pages[url]
        for link in broken_links(url, text, files):
            problems.add(_problem(page, link, templates))
    return sorted(problems, key=lambda p: (str(p.path), p.line or 0, p.message))


def _problem(page: Page, link: str, templates: Path) -> Problem:
    hint = "no page or file has this URL; check the spelling and the trailing slash"
    doc = page.document
    if doc is not None:
        line = next(
            (
                doc.body_line + i
                for i, text in enumerate(doc.body.split("\n"))
                # As written, or as Markdown gives it: tabs as spaces, `&amp;` as `&`.
                if link in text or link in html.unescape(text.expandtabs(4))
            ),
            None,
        )
        if line is not None:
            return Problem(doc.path, line, f"the link '{link}' leads nowhere", hint)
    message = f"{page.url} links to '{link}', which does not exist"
    return Problem(templates / page.template, None, message, hint)
