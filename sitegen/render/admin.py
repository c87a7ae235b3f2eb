"""The moderators' inbox at /admin/: its pages in every language, and the strings they need.

The pages are static; their scripts sign in against Cognito and talk to the moderators' API,
whose contract (`functions/moderation/openapi.yaml`) names the statuses and error codes below."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from sitegen.classes import dataclass
from sitegen.content.config import SiteConfig
from sitegen.content.i18n import Translator, Use
from sitegen.render.form import Form

PREFIX = "admin."
STATUSES = ("new", "in-progress", "answered", "closed", "spam")
NOTE_MAX_LENGTH = 2000
CONTACT_MAX_LENGTH = 200
# The codes of the moderators' API (`error`, and `errors[].code`), and what the page itself
# can run into; each has a message in every language.
API_ERRORS = (
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "bad_request",
    "unsupported_media_type",
    "payload_too_large",
    "unavailable",
    "version_conflict",
)
FIELD_ERRORS = ("required", "invalid", "invalid_choice", "too_long", "must_confirm")
PAGE_ERRORS = ("network", "failed")
REPLY_KEYS = ("subject", "greeting", "greeting_anonymous", "body", "signature")
# Keys the scripts name literally, as quoted strings: `text("admin.inbox.title")`.
_SCRIPT_KEY = re.compile(r"""["'](admin(?:\.[\w-]+)+)["']""")


@dataclass(frozen=True)
class AdminView:
    """One page of the inbox: where it lives below /admin/<lang>/, its template and script."""

    name: str
    path: str
    template: str
    script: str


VIEWS = (
    AdminView("inbox", "", "admin/inbox.html", "js/admin-inbox.js"),
    AdminView("request", "request/", "admin/request.html", "js/admin-request.js"),
    AdminView("contacts", "contacts/", "admin/contacts.html", "js/admin-contacts.js"),
)
# Links into the inbox that name no language (the notification e-mails' links) go through
# a page that picks the moderator's.
CHOOSERS = ("", "request/")


@dataclass(frozen=True)
class AdminPage:
    """One file of the inbox to render."""

    output: str
    lang: str | None
    view: AdminView | None
    target: str = ""

    @property
    def url(self) -> str:
        """The page's URL path."""
        return "/" + self.output.removesuffix("index.html")


def admin_pages(config: SiteConfig) -> list[AdminPage]:
    """Every page of the inbox: the language choosers, then each view in each language."""
    pages = [AdminPage(f"admin/{target}index.html", None, None, target) for target in CHOOSERS]
    pages += [
        AdminPage(f"admin/{code}/{view.path}index.html", code, view)
        for code in config.codes
        for view in VIEWS
    ]
    return pages


def view_url(lang: str, view: AdminView) -> str:
    """The URL of a view in a language."""
    return f"/admin/{lang}/{view.path}"


def admin_context(
    page: AdminPage,
    config: SiteConfig,
    translators: Mapping[str, Translator],
    form: Form,
) -> dict[str, object]:
    """What an inbox template sees; the strings its scripts need travel in the page."""
    lang = page.lang or config.default_language
    t = translators[lang]
    return {
        "page": page,
        "lang": lang,
        "t": t,
        "config": config,
        "view": page.view,
        "views": {view.name: view_url(lang, view) for view in VIEWS},
        "switch": [
            (language, view_url(language.code, page.view) if page.view else "")
            for language in config.languages
        ],
        "choices": [
            (language, translators[language.code]("admin.language.continue"))
            for language in config.languages
        ],
        "statuses": STATUSES,
        "topics": form.topics,
        "note_max": NOTE_MAX_LENGTH,
        "contact_max": CONTACT_MAX_LENGTH,
        "messages": sorted(t.prefixed(PREFIX).items()),
        "topic_names": [(topic, t(f"topics.{topic}")) for topic in form.topics],
        "replies": [
            (code, [(key, translators[code](f"admin.reply.{key}")) for key in REPLY_KEYS])
            for code in config.codes
        ],
    }


def required_keys() -> list[str]:
    """The inbox's strings that no template names literally."""
    keys = [f"admin.status.{status}" for status in STATUSES]
    keys += [f"admin.errors.{code}" for code in API_ERRORS + PAGE_ERRORS]
    keys += [f"admin.errors.field.{code}" for code in FIELD_ERRORS]
    keys += [f"admin.reply.{key}" for key in REPLY_KEYS]
    # The topics' names are the form's (`Form.required_keys`), asked for once.
    return [*keys, "admin.language.continue"]


def script_uses(static_dir: Path) -> list[Use]:
    """Every string key (`"admin.…"`) the inbox's scripts name, with its line."""
    uses = []
    for path in sorted(static_dir.glob("js/admin*.js")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            uses += [Use(key, path, number) for key in _SCRIPT_KEY.findall(line)]
    return uses
