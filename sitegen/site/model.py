"""The site model: every page to render, its URL, translations and the lists it shows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from datetime import date
from pathlib import Path

from sitegen.classes import dataclass
from sitegen.content.config import Language, SiteConfig
from sitegen.content.i18n import Translator
from sitegen.content.schema import Document
from sitegen.errors import ContentError, Problem, display_path
from sitegen.site.listing import (
    Entry,
    group_tags,
    newest_first,
    page_url,
    pagers,
    paginate,
    related,
    tag_slug,
)

TEMPLATES = {
    "page": "page.html",
    "home": "home.html",
    "ask": "ask.html",
    "thanks": "thanks.html",
    "ask-error": "ask_error.html",
    "offer": "offer.html",
    "offer-error": "ask_error.html",
    "not-found": "not_found.html",
}
_KIND_TEMPLATES = {"stories": "story.html", "campaigns": "campaign.html"}
_HIDDEN_LAYOUTS = {"thanks", "ask-error", "offer-error", "not-found"}
HOME_STORIES = 6
# UI strings the menus name; templates call t() on them.
CHROME_KEYS = (
    *("nav.home", "nav.stories", "nav.campaigns", "nav.ask", "nav.about"),
    *("footer.about", "footer.privacy"),
    # The titles and descriptions of the pages the model makes itself.
    *("site.description", "not_found.title", "not_found.text", "stories.title"),
    *("stories.description", "stories.tagged", "stories.tagged_description"),
    *("tags.title", "tags.description", "campaigns.title", "campaigns.description"),
)


@dataclass(frozen=True)
class Page:
    """One HTML page to render: where it goes, which template, and what it shows."""

    url: str
    lang: str
    template: str
    title: str
    description: str
    origin: str
    key: tuple[str, ...]
    document: Document | None = None
    data: Mapping[str, object] = field(default_factory=dict)
    indexable: bool = True
    alternates: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chrome:
    """What every page of one language links to: home, menu, footer, feed."""

    language: Language
    home_url: str
    nav: tuple[tuple[str, str], ...]
    footer: tuple[tuple[str, str], ...]
    feed_url: str
    stories_url: str
    ask_url: str | None
    privacy_url: str | None
    # The helpers' form, which the home page and the stories invite readers to.
    offer_url: str | None = None

    def current(self, url: str) -> str | None:
        """`url` if the menu links to it, else None: all of a page the menu depends on."""
        return url if any(url == target for _, target in self.nav) else None


@dataclass(frozen=True)
class Site:
    """The whole site, ready to render."""

    config: SiteConfig
    pages: tuple[Page, ...]
    chrome: Mapping[str, Chrome]
    stories: Mapping[str, tuple[Entry, ...]]


def is_visible(doc: Document, *, today: date, drafts: bool, future: bool) -> bool:
    """Drafts and future-dated documents are published only when asked for."""
    if doc.draft and not drafts:
        return False
    return future or doc.date is None or doc.date <= today


def document_url(doc: Document, language: Language) -> str:
    """The public URL of a document."""
    if doc.kind != "pages":
        return f"/{doc.lang}/{language.sections[doc.kind]}/{doc.slug}/"
    if doc.slug == "index":
        return f"/{doc.lang}/"
    return f"/{doc.lang}/404.html" if doc.slug == "404" else f"/{doc.lang}/{doc.slug}/"


def build_model(
    config: SiteConfig,
    documents: Iterable[Document],
    strings: Mapping[str, Translator],
    settings_path: Path,
) -> Site:
    """Arrange published documents into pages; refuse two pages at one URL."""
    by_lang: dict[str, list[Entry]] = defaultdict(list)
    for doc in documents:
        by_lang[doc.lang].append(Entry(doc, document_url(doc, config.language(doc.lang))))
    pages: list[Page] = []
    chrome: dict[str, Chrome] = {}
    stories: dict[str, tuple[Entry, ...]] = {}
    # The URL of each page in every language, by the page's key: one dict for all the pages
    # of a key, filled in as the pages of the other languages are made.
    alternates: dict[tuple[str, ...], dict[str, str]] = defaultdict(dict)
    for language in config.languages:
        entries = by_lang[language.code]
        builder = _LanguagePages(config, language, entries, strings[language.code], alternates)
        pages += builder.pages()
        chrome[language.code] = builder.chrome()
        stories[language.code] = tuple(builder.stories)
    _refuse_duplicates(pages, settings_path)
    return Site(config, tuple(pages), chrome, stories)


class _LanguagePages:
    """The pages of one language."""

    def __init__(
        self,
        config: SiteConfig,
        language: Language,
        entries: list[Entry],
        t: Translator,
        alternates: dict[tuple[str, ...], dict[str, str]],
    ) -> None:
        self.config, self.language, self.t = config, language, t
        self.alternates = alternates
        self.code = language.code
        kinds: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            kinds[entry.doc.kind].append(entry)
        self.stories = newest_first(kinds["stories"])
        self.campaigns = newest_first(kinds["campaigns"])
        self.documents = sorted(kinds["pages"], key=lambda e: e.url)
        self.tags = group_tags(self.stories, t.prefixed("tag_names."))
        self.base = {s: f"/{self.code}/{name}/" for s, name in language.sections.items()}

    def _page(
        self,
        url: str,
        template: str,
        title: str,
        description: str,
        origin: str,
        key: tuple[str, ...],
        document: Document | None = None,
        data: Mapping[str, object] | None = None,
        *,
        indexable: bool = True,
    ) -> Page:
        """A page of this language, its URL noted with those of its key in the others."""
        alternates = self.alternates[key]
        alternates[self.code] = url
        return Page(
            url,
            self.code,
            template,
            title,
            description,
            origin,
            key,
            document,
            {} if data is None else data,
            indexable,
            alternates,
        )

    def pages(self) -> list[Page]:
        return [
            *self._documents(),
            *self._defaults(),
            *self._list(self.stories, self.base["stories"], ("stories",), self.t("stories.title")),
            *self._tag_pages(),
            *self._campaign_list(),
        ]

    def chrome(self) -> Chrome:
        by_slug = {e.doc.slug: e.url for e in self.documents}
        ask, offer = (self._first(layout) for layout in ("ask", "offer"))
        nav = [("nav.home", f"/{self.code}/"), ("nav.stories", self.base["stories"])]
        nav += [("nav.campaigns", self.base["campaigns"])] if self.campaigns else []
        nav += [("nav.ask", ask)] if ask else []
        nav += [("nav.about", by_slug["about"])] if "about" in by_slug else []
        footer = [
            (f"footer.{slug}", by_slug[slug]) for slug in ("about", "privacy") if slug in by_slug
        ]
        feed = f"/{self.code}/feed.xml"
        return Chrome(
            self.language,
            f"/{self.code}/",
            tuple(nav),
            tuple(footer),
            feed,
            self.base["stories"],
            ask,
            by_slug.get("privacy"),
            offer,
        )

    def _first(self, layout: str) -> str | None:
        return next((e.url for e in self.documents if e.doc.layout == layout), None)

    def _documents(self) -> Iterable[Page]:
        related_by_url = related(self.stories, self.tags)
        tags = {tag.slug: tag for tag in self.tags}
        for entry in [*self.stories, *self.campaigns, *self.documents]:
            doc = entry.doc
            data: dict[str, object] = {"entry": entry}
            template = _KIND_TEMPLATES.get(doc.kind) or TEMPLATES[doc.layout]
            if doc.kind == "stories":
                data["related"] = related_by_url.get(entry.url, ())
                data["tags"] = [tags[tag_slug(name)].link for name in doc.tags]
            if doc.layout == "home":
                data.update(self._home_data())
            yield self._page(
                entry.url,
                template,
                doc.title,
                doc.summary,
                # Shown relative to the working directory only in an error: resolving is slow.
                str(doc.path),
                (doc.kind, doc.slug),
                doc,
                data,
                indexable=doc.layout not in _HIDDEN_LAYOUTS,
            )

    def _defaults(self) -> Iterable[Page]:
        slugs = {e.doc.slug for e in self.documents}
        if "index" not in slugs:
            title, description = self.config.title, self.t("site.description")
            key = ("pages", "index")
            yield self._page(
                f"/{self.code}/",
                "home.html",
                title,
                description,
                "the built-in home page",
                key,
                data=self._home_data(),
            )
        if "404" not in slugs:
            title, description = self.t("not_found.title"), self.t("not_found.text")
            yield self._page(
                f"/{self.code}/404.html",
                "not_found.html",
                title,
                description,
                "the built-in 404 page",
                ("pages", "404"),
                indexable=False,
            )

    def _home_data(self) -> dict[str, object]:
        return {"stories": self.stories[:HOME_STORIES], "campaigns": self.campaigns}

    def _list(
        self, entries: Sequence[Entry], base: str, key: tuple[str, ...], title: str
    ) -> Iterable[Page]:
        per_page = self.config.stories_per_page
        for url, heading, description, origin, page_key, data in list_pages(
            entries, base, key, title, self.t, per_page
        ):
            yield self._page(
                url, "story_list.html", heading, description, origin, page_key, data=data
            )

    def _tag_pages(self) -> Iterable[Page]:
        if not self.tags:
            return
        base = self.base["tags"]
        for tag in self.tags:
            yield from self._list(tag.entries, f"{base}{tag.slug}/", ("tag", tag.slug), tag.name)
        yield self._page(
            base,
            "tags.html",
            self.t("tags.title"),
            self.t("tags.description"),
            "the tag list",
            ("tags",),
            data={"tags": [tag.counted for tag in self.tags]},
        )

    def _campaign_list(self) -> Iterable[Page]:
        if self.campaigns:
            title, description = self.t("campaigns.title"), self.t("campaigns.description")
            yield self._page(
                self.base["campaigns"],
                "campaign_list.html",
                title,
                description,
                "the campaign list",
                ("campaigns",),
                data={"entries": self.campaigns},
            )


# A page of a list of stories: its URL, heading, description, origin, key and data.
ListPage = tuple[str, str, str, str, tuple[str, ...], dict[str, object]]


def list_pages(
    entries: Sequence[Entry],
    base: str,
    key: tuple[str, ...],
    title: str,
    t: Translator,
    per_page: int,
) -> Iterator[ListPage]:
    """The pages of a list of stories at `base`: every story (`key` ("stories",)) or a tag's
    (`key` ("tag", slug), `title` its name), `per_page` to a page (`story_list.html`)."""
    chunks = paginate(entries, per_page)
    heading, description = title, t("stories.description")
    if len(key) > 1:
        heading = t("stories.tagged", tag=title)
        description = t("stories.tagged_description", tag=title)
    name = "the story list" if key == ("stories",) else f"the list of tag '{key[-1]}'"
    for chunk, pager in zip(chunks, pagers(base, len(chunks)), strict=True):
        origin = name if pager.number == 1 else f"{name}, page {pager.number}"
        data: dict[str, object] = {"entries": chunk, "pager": pager}
        yield (
            page_url(base, pager.number),
            heading,
            description,
            origin,
            (*key, str(pager.number)),
            data,
        )


def _refuse_duplicates(pages: list[Page], settings_path: Path) -> None:
    by_url: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        by_url[page.url].append(page)
    problems = []
    for url, group in sorted(by_url.items()):
        if len(group) > 1:
            named = [p for p in group if p.document] or group
            path = named[0].document.path if named[0].document else settings_path
            origins = " and ".join(sorted(_shown_origin(p) for p in group))
            hint = "rename one of the files, or change its section name in site.yaml"
            problems.append(Problem(path, None, f"two inputs make {url}: {origins}", hint))
    if problems:
        raise ContentError(problems)


def _shown_origin(page: Page) -> str:
    return str(display_path(page.document.path)) if page.document else page.origin
