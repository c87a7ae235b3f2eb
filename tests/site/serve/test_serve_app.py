"""How the development server puts site, API and production's headers on one origin."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from sitegen import infra_template
from sitegen.options import BuildOptions
from sitegen.serve.app import describe, with_api, with_headers
from sitegen.serve.server import ServeOptions, api_environment


async def api(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the path it was given, as the API would route it."""
    response = JSONResponse({"path": scope["path"]}, headers={"X-Frame-Options": "SAMEORIGIN"})
    await response(scope, receive, send)


async def site(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive)
    response: Response = PlainTextResponse(f"site {request.url.path}")
    await response(scope, receive, send)


def get(app: object, path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(path)

    return asyncio.run(call())


def test_api_paths_reach_the_api_unchanged() -> None:
    app = with_api(api, site)
    assert get(app, "/api/help-requests").json() == {"path": "/api/help-requests"}
    assert get(app, "/api").json() == {"path": "/api"}
    assert get(app, "/apis/").text == "site /apis/"
    assert get(app, "/en/ask/").text == "site /en/ask/"


def test_production_headers_are_added_and_replace_the_apps_own() -> None:
    headers = infra_template.security_headers(infra_template.load_template())
    response = get(with_headers(with_api(api, site), headers), "/api/help-requests")
    assert response.headers.get_list("x-frame-options") == ["DENY"]
    assert response.headers["content-security-policy"] == headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in headers


def test_security_headers_of_a_template_without_a_policy() -> None:
    assert (
        infra_template.security_headers({"Resources": {"Table": {"Type": "AWS::DynamoDB::Table"}}})
        == {}
    )


def test_api_environment_defaults_and_overrides() -> None:
    options = ServeOptions(BuildOptions(), port=8123)
    environment = api_environment(
        options, "http://127.0.0.1:9000", {"TABLE_NAME": "mine", "MIN_FILL_SECONDS": "0"}
    )
    assert environment["TABLE_NAME"] == "mine"
    assert environment["MIN_FILL_SECONDS"] == "0"
    assert environment["DYNAMODB_ENDPOINT"] == "http://127.0.0.1:9000"
    assert environment["SITE_ORIGIN"] == "http://127.0.0.1:8123"
    assert len(environment["IP_HASH_KEY"]) == 64
    other = api_environment(options, "http://127.0.0.1:9000", {})
    assert other["IP_HASH_KEY"] != environment["IP_HASH_KEY"]


def test_describe_changes() -> None:
    changed = {Path(f"content/stories/{name}.md") for name in "abcde"}
    assert describe(changed) == (
        "content/stories/a.md, content/stories/b.md, content/stories/c.md and 2 more"
    )
