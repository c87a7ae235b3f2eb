"""The pages behind e-mails' links: a GET shows a page and changes nothing, the button's POST
changes the item once; every refusal is its own page with a 4xx status and changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from functions.helpers.items import Item
from functions.helpers.links import Purpose
from functions.helpers.runtime import Runtime
from functions.shared.tokens import sign
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
