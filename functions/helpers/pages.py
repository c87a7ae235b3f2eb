"""The pages behind e-mails' signed links (an ASGI app): a GET shows what will happen and a
button, changing nothing; the button's POST makes the change once. Every refusal is its own
page in the link's language, with a 4xx status, and changes nothing."""

from __future__ import annotations

import json
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..shared.mail import MailError
from ..shared.tokens import Claims, Refusal, SigningKeysError, verify
from ..shared.web import read_body
from .errors import Gone, HelpRequestError, Stale, StorageUnavailable
from .flows import BadForm, Flows, View
from .links import PATH, Purpose, page_language
from .runtime import Runtime

if TYPE_CHECKING:
    import jinja2

ROUTE = f"{PATH}/{{lang}}/{{token}}"
MAX_FORM = 1024
STATUS = {
    "tampered": 400,
    "wrong-purpose": 400,
    "bad-form": 400,
    "used": 409,
    "expired": 410,
    "gone": 410,
    "unavailable": 503,
}
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    # The pages need nothing but themselves and their own form: no script, style or image.
    "Content-Security-Policy": (
        "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


class Refused(HelpRequestError):
    """The link cannot be used; the message is the refusal's name (`STATUS`' keys)."""


def create_app(runtime: Runtime) -> Starlette:
    """The links' app: `GET` and `POST /api/links/{lang}/{token}`."""
    pages = LinkPages(runtime)
    return Starlette(routes=[Route(ROUTE, pages.respond, methods=["GET", "POST"])])


class LinkPages:
    """Answers the links' requests for one runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.flows = Flows(runtime)

    async def respond(self, request: Request) -> Response:
        """The page for a GET, or the change and its page for a POST."""
        lang = page_language(request.path_params["lang"])
        token: str = request.path_params["token"]
        form: dict[str, str] | None = None
        if request.method == "POST":
            try:
                form = parse_form(await read_body(request, MAX_FORM))
            except (BadForm, HelpRequestError):
                return self.refusal(lang, "bad-form", None)
        answer = request.query_params.get("answer")
        return await run_in_threadpool(self.answer, lang, token, form, answer, request.url.path)

    def answer(
        self, lang: str, token: str, form: dict[str, str] | None, answer: str | None, path: str
    ) -> Response:
        """Check the link, then show its page or make its change."""
        purpose: Purpose | None = None
        try:
            purpose, claims = self.read(token)
            subject = self.flows.open(purpose, claims)
            if form is None:
                view = self.flows.show(subject, answer)
            else:
                view = self.flows.apply(subject, form)
        except Refused as refused:
            return self.refusal(lang, str(refused), purpose)
        except Gone:
            return self.refusal(lang, "gone", purpose)
        except Stale:
            return self.refusal(lang, "used", purpose)
        except BadForm:
            return self.refusal(lang, "bad-form", purpose)
        except (StorageUnavailable, SigningKeysError, MailError) as exc:
            log(purpose, "unavailable", 503, type(exc).__name__)
            return self.refusal(lang, "unavailable", purpose, quiet=True)
        log(purpose, "done" if form is not None else "shown", 200)
        return self.page(view, path, 200)

    def read(self, token: str) -> tuple[Purpose, Claims]:
        """The link's purpose and claims; Refused when it is tampered, expired or not a link's."""
        keys, now = self.runtime.keys, self.runtime.now()
        for purpose in Purpose:
            result = verify(keys, token, purpose.value, now)
            if result == Refusal.TAMPERED:
                raise Refused("tampered")
            if result == Refusal.EXPIRED:
                raise Refused("expired")
            if isinstance(result, Claims):
                return purpose, result
        raise Refused("wrong-purpose")

    def refusal(
        self, lang: str, reason: str, purpose: Purpose | None, *, quiet: bool = False
    ) -> Response:
        """The refusal's own page and status."""
        status = STATUS[reason]
        if not quiet:
            log(purpose, reason, status)
        view = View("refused.html", lang, {"reason": reason})
        response = self.page(view, "", status)
        if status == 503:
            response.headers["Retry-After"] = "60"
        return response

    def page(self, view: View, path: str, status: int) -> Response:
        """Render a page with the headers every link page has."""
        values: dict[str, Any] = {"done": False, "path": path, **view.values}
        texts = self.runtime.texts

        def t(key: str, /, **fields: object) -> str:
            return texts.t(view.lang, key, **fields)

        context = {
            **values,
            "lang": view.lang,
            "t": t,
            "home": f"{self.runtime.config.site_url}/{view.lang}/",
        }
        html = self._templates.get_template(view.template).render(context)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    @cached_property
    def _templates(self) -> jinja2.Environment:
        import jinja2

        return jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.runtime.texts.templates),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )


def parse_form(body: bytes) -> dict[str, str]:
    """The form's fields, each once; BadForm for anything else."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), strict_parsing=bool(body), max_num_fields=4)
    except ValueError as exc:
        raise BadForm("form") from exc
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise BadForm("form")
    return fields


def log(purpose: Purpose | None, outcome: str, status: int, cause: str | None = None) -> None:
    """One JSON line per link request: its purpose and outcome, never the token or the item."""
    fields: dict[str, object] = {"event": "link", "outcome": outcome}
    fields["purpose"] = purpose.value if purpose else None
    fields |= {"status": status} | ({"cause": cause} if cause else {})
    print(json.dumps(fields), flush=True)
