"""The dev server plays API Gateway for the moderators' API: only a valid access token of the
pool's inbox client reaches the app, with its claims where API Gateway puts them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pyotp
import pytest
from cryptography.hazmat.primitives import serialization
from moto.utilities.utils import load_resource
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import Receive, Scope, Send

from sitegen import infra_template
from sitegen.serve.admin import Authorizer, fetch_keys, gateway_claims, with_admin, with_authorizer
from sitegen.serve.moto import MotoServer, UserPool, add_moderator, create_user_pool

NEW_PASSWORD = "Another-strong-passw0rd"


class LaxTOTP(pyotp.TOTP):
    """moto's authenticator secret is 60 bits, shorter than pyotp accepts by default."""

    min_secret_length_bits = 0


@dataclass
class Tokens:
    access: str
    id: str


class StandIn:
    """The moderators' app as the authorizer sees it: records each call and its event."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.events.append(scope["aws.event"])
        await JSONResponse({"called": True})(scope, receive, send)


def totp_code(secret: str) -> str:
    """The current code, waiting out the last seconds of a 30-second step so that it holds."""
    if 30 - time.time() % 30 < 2:
        time.sleep(2.5)
    return LaxTOTP(secret).now()


def sign_in(cognito: Any, pool: UserPool, name: str, password: str) -> Tokens:
    """A moderator's first sign-in, as the inbox does it: new password, then the TOTP set-up."""
    started = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=pool.client_id,
        AuthParameters={"USERNAME": name, "PASSWORD": password},
    )
    assert started["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    username = started["ChallengeParameters"]["USERNAME"]
    setup = cognito.respond_to_auth_challenge(
        ChallengeName="NEW_PASSWORD_REQUIRED",
        ClientId=pool.client_id,
        Session=started["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": NEW_PASSWORD},
    )
    assert setup["ChallengeName"] == "MFA_SETUP"
    associated = cognito.associate_software_token(Session=setup["Session"])
    verified = cognito.verify_software_token(
        Session=associated["Session"], UserCode=totp_code(associated["SecretCode"])
    )
    done = cognito.respond_to_auth_challenge(
        ChallengeName="MFA_SETUP",
        ClientId=pool.client_id,
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": username},
    )
    result = done["AuthenticationResult"]
    return Tokens(result["AccessToken"], result["IdToken"])


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return infra_template.load_template()


@pytest.fixture(scope="module")
def pool(moto: MotoServer, template: dict[str, Any]) -> UserPool:
    return create_user_pool(moto.client("cognito-idp"), moto.endpoint, template)


@pytest.fixture(scope="module")
def tokens(moto: MotoServer, pool: UserPool, template: dict[str, Any]) -> Tokens:
    cognito = moto.client("cognito-idp")
    moderator = add_moderator(cognito, pool, template, "first")
    return sign_in(cognito, pool, moderator.username, moderator.password)


@pytest.fixture(scope="module")
def authorizer(pool: UserPool) -> Authorizer:
    return Authorizer(fetch_keys(pool.jwks_url), pool.issuer, pool.client_id)


def call(app: Any, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(path, headers=headers or {})

    return asyncio.run(run())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused(authorizer: Authorizer, headers: dict[str, str]) -> None:
    """401 `unauthorized`, and the app never ran."""
    app = StandIn()
    response = call(with_authorizer(app, authorizer), "/api/admin/requests", headers)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}
    assert app.events == []


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return decoded(header), decoded(payload), signature


def decoded(part: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data


def encoded(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def pool_key() -> jwt.PyJWK:
    """moto's signing key: what the pool itself signs with."""
    return jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json"))


def test_a_moderators_access_token_reaches_the_app_with_api_gateways_claims(
    authorizer: Authorizer, tokens: Tokens, pool: UserPool
) -> None:
    app = StandIn()
    response = call(with_authorizer(app, authorizer), "/api/admin/summary", bearer(tokens.access))
    assert response.status_code == 200
    (event,) = app.events
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["cognito:groups"] == "[moderators]"
    assert claims["token_use"] == "access"
    assert claims["client_id"] == pool.client_id
    assert claims["iss"] == pool.issuer
    assert all(isinstance(value, str) for value in claims.values())
    assert claims["exp"].isdigit()


def test_no_token_is_refused(authorizer: Authorizer) -> None:
    refused(authorizer, {})
    refused(authorizer, {"Authorization": ""})
    refused(authorizer, {"Authorization": "Bearer "})
    refused(authorizer, {"Authorization": "Bearer not-a-token"})


def test_a_token_sent_another_way_than_bearer_is_refused(
    authorizer: Authorizer, tokens: Tokens
) -> None:
    refused(authorizer, {"Authorization": f"Basic {tokens.access}"})
    refused(authorizer, {"Authorization": tokens.access})


def test_an_expired_token_is_refused(authorizer: Authorizer, tokens: Tokens) -> None:
    header, payload, _ = segments(tokens.access)
    now = int(time.time())
    payload |= {"iat": now - 7200, "auth_time": now - 7200, "exp": now - 3600}
    expired = jwt.encode(payload, pool_key().key, algorithm="RS256", headers={"kid": header["kid"]})
    assert authorizer.claims(f"Bearer {expired}") is None
    refused(authorizer, bearer(expired))
    # The same token, still valid, passes: only its age refused it.
    payload["exp"] = now + 600
    fresh = jwt.encode(payload, pool_key().key, algorithm="RS256", headers={"kid": header["kid"]})
    assert authorizer.claims(f"Bearer {fresh}") is not None


def test_a_token_of_another_pool_is_refused(
    moto: MotoServer, template: dict[str, Any], authorizer: Authorizer
) -> None:
    cognito = moto.client("cognito-idp")
    other = create_user_pool(cognito, moto.endpoint, template)
    moderator = add_moderator(cognito, other, template, "elsewhere")
    tokens = sign_in(cognito, other, moderator.username, moderator.password)
    # moto signs every pool's tokens with one key: the issuer alone tells them apart.
    assert decoded(tokens.access.split(".")[0])["kid"] in authorizer.keys
    refused(authorizer, bearer(tokens.access))


def test_a_token_of_another_app_client_is_refused(
    moto: MotoServer, pool: UserPool, template: dict[str, Any], authorizer: Authorizer
) -> None:
    cognito = moto.client("cognito-idp")
    kwargs = infra_template.user_pool_client_kwargs(template, pool.pool_id, "other")
    other_client = cognito.create_user_pool_client(**(kwargs | {"ClientName": "other"}))
    other = UserPool(pool.endpoint, pool.pool_id, other_client["UserPoolClient"]["ClientId"])
    moderator = add_moderator(cognito, pool, template, "other-client")
    tokens = sign_in(cognito, other, moderator.username, moderator.password)
    refused(authorizer, bearer(tokens.access))


def test_an_unsigned_token_is_refused(authorizer: Authorizer, tokens: Tokens) -> None:
    header, payload, _ = segments(tokens.access)
    for algorithm in ("none", "None", "NONE"):
        unsigned = f"{encoded(header | {'alg': algorithm})}.{encoded(payload)}."
        refused(authorizer, bearer(unsigned))


def test_a_token_signed_with_the_public_key_as_a_shared_secret_is_refused(
    authorizer: Authorizer, tokens: Tokens
) -> None:
    header, payload, _ = segments(tokens.access)
    rsa = pool_key().key.public_key()
    public = rsa.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    signing_input = f"{encoded(header | {'alg': 'HS256'})}.{encoded(payload)}"
    mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    refused(authorizer, bearer(forged))


def test_a_tampered_token_is_refused(authorizer: Authorizer, tokens: Tokens) -> None:
    header, payload, signature = segments(tokens.access)
    more = payload | {"cognito:groups": ["moderators", "admins"], "username": "someone-else"}
    refused(authorizer, bearer(f"{encoded(header)}.{encoded(more)}.{signature}"))
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    refused(authorizer, bearer(f"{tokens.access.rsplit('.', 1)[0]}.{flipped}"))


def test_an_id_token_is_refused(authorizer: Authorizer, tokens: Tokens) -> None:
    # Signed by the pool, for the client, but it says who someone is, not what they may do.
    assert decoded(tokens.id.split(".")[1])["token_use"] == "id"
    refused(authorizer, bearer(tokens.id))


def test_a_token_with_an_unknown_key_id_is_refused(authorizer: Authorizer, tokens: Tokens) -> None:
    header, payload, _ = segments(tokens.access)
    other = jwt.encode(payload, pool_key().key, algorithm="RS256", headers={"kid": "another"})
    assert header["kid"] != "another"
    refused(authorizer, bearer(other))


def test_claims_are_passed_as_api_gateway_passes_them() -> None:
    claims = {"cognito:groups": ["moderators", "editors"], "exp": 1700000000, "username": "ann"}
    assert gateway_claims(claims) == {
        "cognito:groups": "[moderators editors]",
        "exp": "1700000000",
        "username": "ann",
    }
    assert gateway_claims({"cognito:groups": []}) == {"cognito:groups": "[]"}


# --- The inbox's pages and their config ------------------------------------------------


async def site(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse(f"site {scope['path']}")(scope, receive, send)


def inbox_app(template: dict[str, Any], pool: UserPool, admin_api: Any) -> Any:
    return with_admin(
        site,
        admin_api,
        pool.inbox_config(),
        site_headers=infra_template.security_headers(template),
        admin_headers=infra_template.admin_security_headers(template, pool.endpoint),
    )


def test_the_inbox_reads_the_pools_ids_from_config_json(
    template: dict[str, Any], pool: UserPool
) -> None:
    response = call(inbox_app(template, pool, StandIn()), "/admin/config.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "region": "us-east-1",
        "userPoolId": pool.pool_id,
        "clientId": pool.client_id,
        "cognitoEndpoint": pool.endpoint,
    }
    assert pool.endpoint.startswith("http://127.0.0.1:")


def test_inbox_pages_may_reach_cognito_and_nothing_else_new(
    template: dict[str, Any], pool: UserPool
) -> None:
    app = inbox_app(template, pool, StandIn())
    page = call(app, "/admin/en/")
    assert page.text == "site /admin/en/"
    csp = page.headers["content-security-policy"]
    site_csp = call(app, "/en/").headers["content-security-policy"]
    assert "connect-src 'self'; " in site_csp
    assert csp == site_csp.replace("connect-src 'self'", f"connect-src 'self' {pool.endpoint}")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert call(app, "/admin/config.json").headers["content-security-policy"] == csp


def test_the_moderators_api_is_behind_the_authorizer_with_the_sites_headers(
    template: dict[str, Any], pool: UserPool, authorizer: Authorizer, tokens: Tokens
) -> None:
    admin_api = StandIn()
    app = inbox_app(template, pool, with_authorizer(admin_api, authorizer))
    refused_call = call(app, "/api/admin/requests")
    assert refused_call.status_code == 401
    site_csp = infra_template.security_headers(template)["Content-Security-Policy"]
    assert refused_call.headers["content-security-policy"] == site_csp
    assert call(app, "/api/admin/requests", bearer(tokens.access)).status_code == 200
    assert len(admin_api.events) == 1
    # The public API and the site are not the moderators' API.
    assert call(app, "/api/help-requests", bearer(tokens.access)).text == "site /api/help-requests"
    assert call(app, "/api/administrator").text == "site /api/administrator"
    assert len(admin_api.events) == 1
