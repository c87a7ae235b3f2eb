"""Render pages with Jinja2: autoescape on, undefined variables are errors, `t()` for UI text."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import markupsafe
from jinja2 import nodes
from markupsafe import Markup

from sitegen.classes import dataclass
from sitegen.content.i18n import DATE_KEYS, Translator, Use
from sitegen.content.schema import Document
from sitegen.errors import ContentError, Problem, template_problem
from sitegen.render.assets import Assets
from sitegen.render.form import Form
from sitegen.render.ids import id_problems
from sitegen.render.images import ImageSet
from sitegen.render.once import FastContext, Once
from sitegen.render.pictures import PICTURE, with_pictures
from sitegen.site.listing import Tag, TagCount, TagLink
from sitegen.site.model import CHROME_KEYS, Page, Site

if TYPE_CHECKING:
    from sitegen.render.admin import AdminPage

# markupsafe's own escaping of a str (in C where it can be), which its `escape` wraps.
_escape_inner: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)
_T_CALL = re.compile(r"""\bt\(\s*['"]([\w.-]+)['"]\s*[,)]""")


@dataclass(frozen=True)
class Switch:
    """One entry of the language switcher."""

    code: str
    name: str
    url: str
    current: bool


class Renderer:
    """Turns pages of the site model into HTML text."""

    def __init__(
        self,
        templates_dir: Path,
        site: Site,
        assets: Assets,
        images: Mapping[str, ImageSet],
        translators: Mapping[str, Translator],
        form: Form,
        compiled: jinja2.BytecodeCache | None = None,
        environment: jinja2.Environment | None = None,
    ) -> None:
        self.templates_dir = templates_dir
        # A renderer's own environment, or one made for these templates before (its templates
        # loaded, its `once` parts rendered).
        self.env = environment or make_environment(templates_dir, compiled)
        self.site, self.assets, self.images, self.translators = site, assets, images, translators
        self.form = form

    def render(self, page: Page, body: str = "") -> str:
        """The HTML of one page; `body` is its document's Markdown already turned into HTML."""
        problems: list[Problem] = []
        if page.document:
            body, problems = self.pictured(page.document, body)
        text = self._render(page.template, self._context(page, body))
        problems += id_problems(page.document, body, text) if page.document else []
        if problems:
            raise ContentError(problems)
        return text

    def pictured(self, doc: Document, body: str) -> tuple[str, list[Problem]]:
        """A text's HTML with its images made responsive, and the problems of those that cannot."""
        if "<img" not in body:
            return body, []
        try:
            template = self.env.get_template(PICTURE)
        except jinja2.TemplateSyntaxError as exc:
            raise self._syntax_error(PICTURE, exc) from exc
        picture = template.module.picture  # type: ignore[attr-defined]
        return with_pictures(doc, body, self.images, picture)

    def render_root(self) -> str:
        """The page at `/` that sends visitors to a language."""
        config = self.site.config
        choices = [
            Switch(
                lang.code, self.translators[lang.code]("language.choose"), f"/{lang.code}/", False
            )
            for lang in config.languages
        ]
        context = {"config": config, "choices": choices, "static": self.assets.url}
        return self._render("root.html", context)

    def render_admin(self, page: AdminPage) -> str:
        """A page of the moderators' inbox."""
        from sitegen.render import admin  # here: a rebuild after an edit renders no admin page

        config = self.site.config
        context = admin.admin_context(page, config, self.translators, self.form)
        context |= {"static": self.assets.url, "has_static": self.assets.urls.__contains__}
        template = page.view.template if page.view else "admin/choose.html"
        return self._render(template, context)

    def absolute(self, url: str) -> str:
        """A site URL with the site's base URL in front."""
        return self.site.config.base_url + url

    def _render(self, name: str, context: dict[str, object]) -> str:
        try:
            return self.env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise self._syntax_error(name, exc) from exc
        except (jinja2.TemplateError, KeyError, AttributeError, TypeError) as exc:
            raise ContentError([self._problem(name, exc)]) from exc

    def _syntax_error(self, name: str, exc: jinja2.TemplateSyntaxError) -> ContentError:
        """A template that does not compile, at its line: the one named, or one it uses."""
        return ContentError([template_problem(exc, self.templates_dir / (exc.name or name))])

    def _problem(self, name: str, exc: Exception) -> Problem:
        # Here, not at the top: only a template that fails loads it (with textwrap and pprint,
        # 1 ms of a rebuild after an edit).
        import traceback

        frames = [
            f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".html")
        ]
        path = Path(frames[-1].filename) if frames else self.templates_dir / name
        line = frames[-1].lineno if frames else None
        detail = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return Problem(path, line, f"cannot render: {detail}", "fix the template")

    def _context(self, page: Page, body: str) -> dict[str, object]:
        t = self.translators[page.lang]
        chrome = self.site.chrome[page.lang]
        return {
            **page.data,
            "page": page,
            "doc": page.document,
            "body": Markup(body),  # noqa: S704 - sanitised by sitegen.markdown.convert
            "t": t,
            "date": t.date,
            "config": self.site.config,
            "chrome": chrome,
            "languages": self._switcher(page),
            "static": self.assets.url,
            "has_static": self.assets.urls.__contains__,
            "image": self.images.__getitem__,
            "absolute": self.absolute,
            "tag_url": lambda tag: self.tag_url(page.lang, tag),
            "og_image": self._og_image(page),
            "json_ld": self._json_ld(page),
            "form": self.form,
        }

    def tag_url(self, lang: str, tag: Tag | TagLink | TagCount) -> str:
        """The first page listing a tag's stories."""
        return f"/{lang}/{self.site.config.language(lang).sections['tags']}/{tag.slug}/"

    def _switcher(self, page: Page) -> list[Switch]:
        return [
            Switch(
                lang.code,
                lang.name,
                page.alternates.get(lang.code, self.site.chrome[lang.code].home_url),
                lang.code == page.lang,
            )
            for lang in self.site.config.languages
        ]

    def _og_image(self, page: Page) -> str | None:
        doc = page.document
        if doc is None or doc.image is None:
            return None
        return self.absolute(self.images[doc.image].fallback.url)

    def _json_ld(self, page: Page) -> Markup | None:
        doc = page.document
        if doc is None or doc.kind != "stories" or doc.date is None:
            return None
        data: dict[str, object] = {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": doc.title,
            "description": doc.summary,
            "datePublished": doc.date.isoformat(),
            "inLanguage": doc.lang,
            "url": self.absolute(page.url),
            "publisher": {"@type": "Organization", "name": self.site.config.title},
        }
        if doc.image:
            data["image"] = self._og_image(page)
        if doc.source:
            data["isBasedOn"] = doc.source.url
        return script_json(data)


# Made once: `json.dumps` with any option makes a new encoder on every call.
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def script_json(data: object) -> Markup:
    """JSON that is safe inside a `<script>` element (no `</script>`, no HTML entities)."""
    text = _JSON.encode(data)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - every character that could end the element is escaped


def make_environment(
    templates_dir: Path, compiled: jinja2.BytecodeCache | None = None
) -> jinja2.Environment:
    """A Jinja2 environment that escapes by default and fails on undefined names; with
    `compiled`, templates compiled by an earlier build are taken from there."""
    environment = _Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # A build makes its own environment: templates cannot change while it renders, so
        # rendering need not look at their files again for every page.
        auto_reload=False,
        # Every page asks for its template and those it extends and imports (five for a
        # story): a plain dict, not a least-recently-used cache with a lock. A site has
        # a few dozen templates.
        cache_size=-1,
        bytecode_cache=compiled,
        extensions=[Once],
        # Without folding constants ahead: the site's templates have next to none, and
        # looking for them was an eighth of compiling the templates (11 of 92 ms), which a
        # build with nothing cached does before any page is rendered.
        optimized=False,
    )
    environment.context_class = FastContext
    return environment


class _Environment(jinja2.Environment):
    """Jinja's environment, giving each template its globals as one dict rather than a chain
    over the environment's: a build sets those before loading any template, and every render
    and import reads a template's globals (a chain of them cost 13% of rendering)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Parsed templates, by name and source, until compiled (`parse_ahead`).
        self._ahead: dict[tuple[str | None, str], tuple[jinja2.Environment, nodes.Template]] = {}

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """The environment's globals with the template's own over them."""
        return {**self.globals, **(d or {})}

    def parse_ahead(self, source: str, name: str, filename: str | None) -> nodes.Template:
        """`parse`, keeping the tree for the compile of this template's source that follows.
        A build reads every template it uses to see what it includes, before compiling it
        (unless compiled by an earlier build): parsed twice, a tenth of a small site's build."""
        tree = self.parse(source, name, filename)
        self._ahead[name, source] = (self, tree)
        return tree

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # A kept tree serves one compile (compiling may change the tree it is given), of this
        # environment: an overlay, which may parse otherwise, shares the dict.
        kept = self._ahead.get((name, source))
        if kept is not None and kept[0] is self:
            del self._ahead[name, source]
            return kept[1]
        return super()._parse(source, name, filename)


class _Template(jinja2.Template):
    """Jinja's template, escaping what it writes with `escape` below."""

    @classmethod
    def _from_namespace(
        cls,
        environment: jinja2.Environment,
        namespace: MutableMapping[str, Any],
        globals: MutableMapping[str, Any],
    ) -> jinja2.Template:
        # Compiled templates call the `escape` of their module's namespace.
        namespace["escape"] = escape
        return super()._from_namespace(environment, namespace, globals)


_Environment.template_class = _Template


def escape(value: object) -> Markup:
    """`markupsafe.escape`, making the Markup of a plain string without Markup's constructor
    (written in Python, it was a tenth of rendering); the same result."""
    if type(value) is str and _escape_inner is not None:
        return _new_str(Markup, _escape_inner(value))
    return markupsafe.escape(value)


_new_str = str.__new__


def template_uses(templates_dir: Path) -> list[Use]:
    """Every `t('key')` a template calls with a literal key, with its line."""
    uses = []
    for path in sorted(templates_dir.rglob("*.html")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            uses += [Use(key, path, number) for key in _T_CALL.findall(line)]
    return uses


def required_strings(templates_dir: Path, form: Form) -> list[Use]:
    """Every UI string the templates, the form and the generator need."""
    from sitegen.render import admin

    code = Path(__file__)
    uses = [Use(key, form.source, None) for key in form.required_keys()]
    uses += [Use(key, code, None) for key in (*DATE_KEYS, *CHROME_KEYS)]
    uses += [Use(key, Path(admin.__file__), None) for key in admin.required_keys()]
    scripts = admin.script_uses(templates_dir / "static")
    return [*template_uses(templates_dir), *uses, *scripts]
