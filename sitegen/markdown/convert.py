"""Markdown to safe HTML: a pure function of the text, so its result can be cached by hash."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import markdown
import nh3
from markdown.extensions import Extension, attr_list, footnotes, tables, toc

from sitegen.markdown.fast import Converter

_TAGS = {
    *("a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div"),
    *("dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img"),
    *("ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub"),
    *("summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
}
_ATTRIBUTES = {
    "*": {"id", "class", "lang", "dir"},
    "a": {"href"},
    "abbr": {"title"},
    "img": {"src", "alt", "width", "height", "title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
# The page title is the only h1, so a '#' heading in the text becomes an h2.
_H1 = re.compile(r"<(/?)h1\b")
_SCHEMES = {"http", "https", "mailto", "tel"}
# nh3 writes every attribute value in double quotes, so this matches whole start tags.
_LINK = re.compile(r'<a((?:\s+[\w:.-]+(?:="[^"]*")?)*)\s*>')
_EXTERNAL_HREF = re.compile(r'\shref="(?:https?:)?//')


# How the site converts Markdown, before sanitising.
SETTINGS: dict[str, Any] = {
    "extensions": ["tables", "footnotes", "attr_list", "toc"],
    "extension_configs": {"tables": {"use_align_attribute": True}},
    "output_format": "html",
}


# The classes the names above stand for. Markdown finds a name through the installed packages'
# entry points, which costs a process some 50 ms (importlib.metadata reading every package's
# metadata); given the extensions themselves, it takes 2 ms.
EXTENSIONS: dict[str, type[Extension]] = {
    "tables": tables.TableExtension,
    "footnotes": footnotes.FootnoteExtension,
    "attr_list": attr_list.AttrListExtension,
    "toc": toc.TocExtension,
}


def extensions() -> list[Extension]:
    """SETTINGS' extensions, made with their configurations."""
    configs = SETTINGS["extension_configs"]
    return [EXTENSIONS[name](**configs.get(name, {})) for name in SETTINGS["extensions"]]


@cache
def _converter() -> markdown.Markdown:
    return Converter(extensions=extensions(), output_format=SETTINGS["output_format"])


def render_with_markdown(text: str) -> str:
    """Markdown text to HTML through Python-Markdown (`sitegen.markdown.texts.converted`)."""
    converter = _converter()
    try:
        html = converter.convert(text)
    except BaseException:
        # A conversion that fails can leave state behind that `reset` does not clear (a list
        # nested past Python's recursion limit leaves the block parser inside it, and every
        # later text would be read as if in that list): the next text gets a new converter.
        _converter.cache_clear()
        raise
    finally:
        converter.reset()
    return mark_external_links(sanitize(_H1.sub(r"<\1h2", html)))


def sanitize(html: str) -> str:
    """Keep only harmless tags, attributes and URL schemes (`javascript:` links lose their href)."""
    return _cleaner().clean(html)


@cache
def _cleaner() -> nh3.Cleaner:
    # Made once: `nh3.clean` builds its rules again on every call, which costs more than
    # cleaning a short text.
    return nh3.Cleaner(
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


def mark_external_links(html: str) -> str:
    """Add rel="noopener" to links that leave the site."""
    return _LINK.sub(_with_rel, html)


def _with_rel(match: re.Match[str]) -> str:
    attributes = match.group(1)
    if _EXTERNAL_HREF.search(attributes):
        return f'<a{attributes} rel="noopener">'
    return match.group(0)
