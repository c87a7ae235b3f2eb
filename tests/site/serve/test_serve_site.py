"""The development server's URL rules for the built site."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from sitegen.serve.files import (
    Found,
    Languages,
    Missing,
    Redirect,
    SiteFiles,
    parse_accept_language,
    pick_language,
    resolve,
)
from sitegen.serve.livereload import SCRIPT_PATH, LiveReload

LANGUAGES = Languages(("en", "de", "pl"))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "en"),
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("pl", "pl"),
        ("fr-FR,fr;q=0.9,pl;q=0.5", "pl"),
        ("en;q=0.1, de;q=0.7", "de"),
        ("fr, it", "en"),
        ("DE-at", "de"),
        ("de;q=0, pl;q=0.2", "pl"),
        ("*", "en"),
        ("fr, *;q=0.5, de;q=0.1", "de"),
        ("de;q=abc, pl", "pl"),
        (";;;,,,", "en"),
    ],
)
def test_pick_language_follows_accept_language(header: str, expected: str) -> None:
    assert pick_language(header, LANGUAGES) == expected


def test_equal_quality_keeps_header_order() -> None:
    assert parse_accept_language("pl;q=0.5, de;q=0.5, en;q=0.9") == ["en", "pl", "de"]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    files = {
        "en/index.html": "<html><body><h1>Home</h1></body></html>",
        "en/404.html": "<html><body><h1>Not found</h1></body></html>",
        "de/404.html": "<html><body><h1>Nicht gefunden</h1></body></html>",
        "de/geschichten/eine/index.html": "<html><body>Eine</body></html>",
        "assets/site.css": "body{}",
        "sitemap.xml": "<urlset/>",
        ".sitegen-output": "",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_resolve_maps_urls_to_files(site: Path) -> None:
    assert resolve(site, "/en/") == Found(site / "en" / "index.html")
    assert resolve(site, "/en") == Redirect("/en/")
    assert resolve(site, "/de/geschichten/eine") == Redirect("/de/geschichten/eine/")
    assert resolve(site, "/assets/site.css") == Found(site / "assets" / "site.css")
    assert resolve(site, "/assets/site.css/") == Missing()
    assert resolve(site, "/assets/none.css") == Missing()
    assert resolve(site, "/fr/") == Missing()
    # Like production, a path without a file extension is a folder, whether it exists or not.
    assert resolve(site, "/fr") == Redirect("/fr/")
    assert resolve(site, "/.sitegen-output") == Missing()


@pytest.mark.parametrize(
    "path", ["/../etc/passwd", "/en/../../x/", "/%2e%2e/x.txt", "/en/%5c..%5cx", "//evil.example/"]
)
def test_resolve_never_leaves_the_root(site: Path, path: str) -> None:
    assert resolve(site, path) == Missing()


class Client:
    """Calls the ASGI app in-process, one request at a time."""

    def __init__(self, site: Path) -> None:
        files = SiteFiles(site, LANGUAGES, LiveReload())
        self.app = Starlette(routes=[Route("/{path:path}", files.respond, methods=["GET", "HEAD"])])

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return asyncio.run(self._get(path, headers or {}))

    async def _get(self, path: str, headers: dict[str, str]) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path, headers=headers)


@pytest.fixture
def client(site: Path) -> Client:
    return Client(site)


def test_root_redirects_by_accept_language(client: Client) -> None:
    response = client.get("/", headers={"Accept-Language": "pl-PL,pl;q=0.9"})
    assert (response.status_code, response.headers["location"]) == (302, "/pl/")
    assert response.headers["vary"] == "Accept-Language"
    assert client.get("/").headers["location"] == "/en/"


def test_directory_without_slash_redirects_keeping_the_query(client: Client) -> None:
    response = client.get("/de/geschichten/eine?x=1")
    assert (response.status_code, response.headers["location"]) == (
        301,
        "/de/geschichten/eine/?x=1",
    )


def test_html_gets_the_live_reload_script_once(client: Client) -> None:
    response = client.get("/en/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.count(f'<script src="{SCRIPT_PATH}"') == 1
    assert response.text.endswith("</script></body></html>")


def test_other_files_are_sent_unchanged_with_the_published_type(client: Client) -> None:
    response = client.get("/assets/site.css")
    assert (response.status_code, response.text) == (200, "body{}")
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert client.get("/sitemap.xml").headers["content-type"] == "application/xml; charset=utf-8"


def test_missing_pages_get_the_404_page_of_their_language(client: Client) -> None:
    german = client.get("/de/nichts/")
    assert (german.status_code, "Nicht gefunden" in german.text) == (404, True)
    by_header = client.get("/nothing/", headers={"Accept-Language": "de"})
    assert (by_header.status_code, "Nicht gefunden" in by_header.text) == (404, True)
    english = client.get("/en/nothing.html")
    assert (english.status_code, "<h1>Not found</h1>" in english.text) == (404, True)
    by_name = client.get("/de/404.html")
    assert (by_name.status_code, "Nicht gefunden" in by_name.text) == (404, True)


def test_without_a_404_page_a_plain_one_is_made(client: Client) -> None:
    response = client.get("/pl/nic/")
    assert response.status_code == 404
    assert SCRIPT_PATH in response.text
