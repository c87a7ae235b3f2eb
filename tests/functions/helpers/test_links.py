"""The pages behind e-mails' links: a GET shows a page and changes nothing, the button's POST
changes the item once; every refusal is its own page with a 4xx status and changes nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.helpers.config import Config
from functions.helpers.items import Item
from functions.helpers.links import Purpose
from functions.helpers.pages import create_app
from functions.helpers.runtime import Runtime
from functions.shared.tokens import sign
from sitegen.serve.moto import aws_client
from tests.functions.helpers.world import Clock, offer_item, put

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from starlette.applications import Starlette

Get = Callable[[str], Item | None]
Call = Callable[..., httpx.Response]


@pytest.fixture
def call(links_app: Starlette) -> Call:
    """One request to the links' app: `call("GET", url, data=...)`."""

    def send(method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def run() -> httpx.Response:
            transport = httpx.ASGITransport(app=links_app)
            async with httpx.AsyncClient(transport=transport, base_url="https://x") as client:
                return await client.request(
                    method, url.removeprefix("https://ask.example.org"), **kwargs
                )

        return asyncio.run(run())

    return send


@pytest.fixture
def offer(dynamodb_client: DynamoDBClient, dynamodb_table: str, clock: Clock) -> Item:
    """An unconfirmed offer in the table."""
    item = offer_item(clock.now, status="unconfirmed")
    put(dynamodb_client, dynamodb_table, item)
    return item


def confirm_link(runtime: Runtime, offer: Item, **changes: Any) -> str:
    """The confirmation link the offer's mail carries (or one with other claims)."""
    claims = {
        "purpose": Purpose.CONFIRM.value,
        "item": offer["id"]["S"],
        "version": 1,
        "expires": int(runtime.now()) + 3600,
    } | changes
    token = sign(
        runtime.keys.current,
        claims["purpose"],
        claims["item"],
        claims["version"],
        claims["expires"],
    )
    return f"/api/links/de/{token}"


def test_the_page_changes_nothing_and_its_button_confirms_once(
    call: Call, runtime: Runtime, offer: Item, get: Get
) -> None:
    url = confirm_link(runtime, offer)
    page = call("GET", url)
    assert page.status_code == 200
    assert '<html lang="de">' in page.text
    assert "Mein Angebot bestätigen" in page.text
    assert f'<form method="post" action="{url}">' in page.text
    assert get(offer["pk"]["S"]) == offer
    done = call("POST", url)
    assert done.status_code == 200
    assert "Danke, Ihr Angebot ist bestätigt" in done.text
    stored = get(offer["pk"]["S"])
    assert stored is not None
    assert (stored["status"], stored["version"]) == ({"S": "confirmed"}, {"N": "2"})
    assert int(stored["expires_at"]["N"]) == int(runtime.now()) + 365 * 24 * 3600
    again = call("POST", url)
    assert again.status_code == 409
    assert "Dieser Link wurde schon verwendet" in again.text
    assert get(offer["pk"]["S"]) == stored
    assert call("GET", url).status_code == 409


def test_every_page_is_private_and_fetches_nothing(
    call: Call, runtime: Runtime, offer: Item
) -> None:
    for response in (call("GET", confirm_link(runtime, offer)), call("GET", "/api/links/en/x.y.z")):
        headers = response.headers
        assert headers["cache-control"] == "no-store"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-robots-tag"] == "noindex, nofollow"
        assert headers["content-security-policy"].startswith("default-src 'none'")
        assert '<meta name="robots" content="noindex, nofollow">' in response.text
        assert "<script" not in response.text
        assert "style" not in response.text


def tampered(url: str) -> str:
    """The same link with one character of its claims changed."""
    prefix, token = url.rsplit("/", 1)
    key, body, signature = token.split(".")
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B")
    return f"{prefix}/{key}.{flipped}.{signature}"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    ("case", "status", "title"),
    [
        ("tampered", 400, "Dieser Link funktioniert nicht"),
        ("garbage", 400, "Dieser Link funktioniert nicht"),
        ("expired", 410, "Dieser Link ist abgelaufen"),
        ("wrong-purpose", 400, "Dieser Link gehört nicht hierher"),
        ("gone", 410, "Das gibt es nicht mehr"),
        ("other-version", 409, "Dieser Link wurde schon verwendet"),
    ],
)
def test_each_refusal_has_its_page_and_status_and_changes_nothing(
    call: Call,
    runtime: Runtime,
    offer: Item,
    get: Get,
    clock: Clock,
    method: str,
    case: str,
    status: int,
    title: str,
) -> None:
    good = confirm_link(runtime, offer)
    url = {
        "tampered": tampered(good),
        "garbage": "/api/links/de/not-a-token",
        "expired": confirm_link(runtime, offer, expires=int(clock.now) - 1),
        "wrong-purpose": confirm_link(runtime, offer, purpose="unsubscribe"),
        "gone": confirm_link(runtime, offer, item="no-such-offer"),
        "other-version": confirm_link(runtime, offer, version=7),
    }[case]
    response = call(method, url)
    assert response.status_code == status
    assert f"<h1>{title}</h1>" in response.text
    assert "Es wurde nichts geändert." in response.text
    assert "<form" not in response.text
    assert get(offer["pk"]["S"]) == offer


def test_a_refusal_speaks_the_link_s_language_or_english(call: Call) -> None:
    assert '<html lang="pl">' in call("GET", "/api/links/pl/x").text
    page = call("GET", "/api/links/xx/x")
    assert '<html lang="en">' in page.text
    assert "<h1>This link does not work</h1>" in page.text


def test_a_form_that_is_not_the_page_s_is_refused(
    call: Call, runtime: Runtime, offer: Item, get: Get
) -> None:
    response = call("POST", confirm_link(runtime, offer), content=b"a=1&a=2")
    assert response.status_code == 400
    assert get(offer["pk"]["S"]) == offer


def test_the_log_names_the_purpose_and_outcome_only(
    call: Call, runtime: Runtime, offer: Item, capsys: pytest.CaptureFixture[str]
) -> None:
    url = confirm_link(runtime, offer)
    call("GET", url)
    call("POST", url)
    call("POST", url)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        {"event": "link", "outcome": "shown", "purpose": "confirm-offer", "status": 200},
        {"event": "link", "outcome": "done", "purpose": "confirm-offer", "status": 200},
        {"event": "link", "outcome": "used", "purpose": "confirm-offer", "status": 409},
    ]


@pytest.mark.parametrize("down", ["secrets", "dynamodb"])
def test_a_link_is_answered_503_when_a_service_is_down_and_nothing_changes(
    helpers_config: Config,
    dynamodb_client: DynamoDBClient,
    runtime: Runtime,
    offer: Item,
    get: Get,
    down: str,
) -> None:
    nowhere = aws_client(
        "secretsmanager" if down == "secrets" else "dynamodb", "http://127.0.0.1:9"
    )
    broken = Runtime(
        helpers_config,
        dynamodb=nowhere if down == "dynamodb" else dynamodb_client,
        secrets=nowhere if down == "secrets" else None,
    )
    if down == "dynamodb":
        broken.__dict__["keys"] = runtime.keys
    url = confirm_link(runtime, offer)

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(broken))
        async with httpx.AsyncClient(transport=transport, base_url="https://x") as client:
            return await client.post(url)

    response = asyncio.run(post())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "60"
    assert "Bitte versuchen Sie es in einer Minute noch einmal" in response.text
    assert get(offer["pk"]["S"]) == offer
