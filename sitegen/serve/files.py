"""The development server's view of the built site: the same URL rules as production."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from sitegen.classes import dataclass
from sitegen.publish.command import CONTENT_TYPES
from sitegen.serve.livereload import LiveReload, inject

NO_STORE = {"Cache-Control": "no-store"}
NOT_FOUND_PAGE = "404.html"


@dataclass(frozen=True)
class Languages:
    """The site's languages, the first being the default."""

    codes: Sequence[str]

    @property
    def default(self) -> str:
        """The language for visitors who prefer none of ours."""
        return self.codes[0]

    def of_path(self, path: str) -> str | None:
        """The language a URL path belongs to, if it starts with one."""
        first = path.lstrip("/").split("/", 1)[0]
        return first if first in self.codes else None


def parse_accept_language(header: str) -> list[str]:
    """Primary language subtags in order of preference (q=0 dropped, ties keep header order)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-", 1)[0].lower()
        if primary and quality > 0:
            ranked.append((-quality, position, primary))
    return [primary for _, _, primary in sorted(ranked)]


def pick_language(header: str, languages: Languages) -> str:
    """The first of our languages the visitor prefers, else the default."""
    for primary in parse_accept_language(header):
        if primary in languages.codes:
            return primary
    return languages.default


@dataclass(frozen=True)
class Found:
    """A file to send."""

    path: Path


@dataclass(frozen=True)
class Redirect:
    """A redirect to another URL path on this site."""

    location: str


@dataclass(frozen=True)
class Missing:
    """Nothing at this URL."""


Resolution = Found | Redirect | Missing


def safe_parts(url_path: str) -> tuple[str, ...] | None:
    """The path's segments, or None when it tries to leave the site root."""
    parts = PurePosixPath(unquote(url_path)).parts[1:]
    # Dot files (the output folder's marker) are never published, so never served either.
    if any(part.startswith(".") or "\\" in part or "\0" in part for part in parts):
        return None
    return tuple(parts)


def resolve(root: Path, url_path: str) -> Resolution:
    """Map a URL path to a built file as production does (`/dir` → `/dir/` → `dir/index.html`)."""
    parts = safe_parts(url_path)
    if parts is None or "//" in url_path:
        return Missing()
    if url_path.endswith("/"):
        index = root.joinpath(*parts, "index.html")
        return Found(index) if index.is_file() else Missing()
    if "." not in url_path.rsplit("/", 1)[-1]:
        return Redirect(url_path + "/")
    target = root.joinpath(*parts)
    return Found(target) if target.is_file() else Missing()


def content_type(path: Path) -> str:
    """The Content-Type `build.py publish` uploads the file with."""
    known = CONTENT_TYPES.get(path.suffix.lower())
    return known or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class SiteFiles:
    """Serves the output folder, adding the live-reload script to HTML when given a LiveReload."""

    def __init__(
        self, root: Path, languages: Languages, livereload: LiveReload | None = None
    ) -> None:
        self.root = root
        self.languages = languages
        self.livereload = livereload

    async def respond(self, request: Request) -> Response:
        """Answer one GET or HEAD for the built site."""
        path = request.url.path
        if path == "/":
            language = pick_language(request.headers.get("accept-language", ""), self.languages)
            headers = {**NO_STORE, "Vary": "Accept-Language"}
            return RedirectResponse(f"/{language}/", status_code=302, headers=headers)
        found = resolve(self.root, path)
        if isinstance(found, Redirect):
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(found.location + query, status_code=301, headers=NO_STORE)
        if isinstance(found, Found):
            # As in production, a 404 page is a 404 even when asked for by name.
            status = 404 if found.path.name == NOT_FOUND_PAGE else 200
            return self.file(found.path, status)
        return self.not_found(request)

    def not_found(self, request: Request) -> Response:
        """The 404 page in the language of the URL, else of the visitor."""
        language = self.languages.of_path(request.url.path) or pick_language(
            request.headers.get("accept-language", ""), self.languages
        )
        page = self.root / language / NOT_FOUND_PAGE
        if page.is_file():
            return self.file(page, 404)
        body = self.html(b"<!doctype html><title>Not found</title><p>Not found.</p>")
        return Response(body, status_code=404, media_type="text/html", headers=NO_STORE)

    def file(self, path: Path, status: int) -> Response:
        """Send a file with the type production gives it; HTML gets the live-reload script."""
        media_type = content_type(path)
        if not media_type.startswith("text/html"):
            return FileResponse(path, status_code=status, media_type=media_type, headers=NO_STORE)
        try:
            body = self.html(path.read_bytes())
        except FileNotFoundError:  # removed by a rebuild since it was found
            return Response(b"", status_code=404, headers=NO_STORE)
        return Response(body, status_code=status, media_type=media_type, headers=NO_STORE)

    def html(self, page: bytes) -> bytes:
        """The page as sent: with the live-reload script in development."""
        return inject(page, self.livereload.state) if self.livereload else page
