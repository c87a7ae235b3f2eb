"""The moderators' side of `build.py serve`: API Gateway's JWT authorizer in front of the
moderators' API, the inbox's `/admin/config.json`, and the inbox pages' own headers."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from typing import Any

import jwt
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sitegen import infra_template
from sitegen.classes import dataclass
from sitegen.serve.app import with_headers
from sitegen.serve.moto import Moderator, MotoServer, UserPool, add_moderator, create_user_pool

ADMIN_API = "/api/admin"
ADMIN_PAGES = "/admin"
CONFIG_PATH = "/admin/config.json"
ALGORITHM = "RS256"
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class Authorizer:
    """What API Gateway's JWT authorizer checks: the pool's keys, its issuer, the app client."""

    keys: Mapping[str, jwt.PyJWK]
    issuer: str
    client_id: str

    def claims(self, authorization: str) -> dict[str, Any] | None:
        """The claims of a valid access token in `Bearer <token>`; None for anything else."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            header = jwt.get_unverified_header(token.strip())
            key = self.keys.get(str(header.get("kid")))
            if key is None or header.get("alg") != ALGORITHM:
                return None
            claims: dict[str, Any] = jwt.decode(
                token.strip(),
                key.key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                # An access token names its client in `client_id`; it has no `aud`.
                options={"require": ["exp", "iss", "client_id", "token_use"], "verify_aud": False},
            )
        except jwt.PyJWTError:
            return None
        if claims.get("token_use") != "access" or claims.get("client_id") != self.client_id:
            return None
        return claims


@dataclass(frozen=True)
class Inbox:
    """The moderators' pool in moto, its first moderator, and the authorizer for its tokens."""

    pool: UserPool
    moderator: Moderator
    authorizer: Authorizer
    template: Mapping[str, Any]

    def serve(self, app: ASGIApp, admin_api: ASGIApp) -> ASGIApp:
        """The site and public API in `app`, with the inbox and its API beside them, and
        production's headers on everything."""
        return with_admin(
            app,
            with_authorizer(admin_api, self.authorizer),
            self.pool.inbox_config(),
            site_headers=infra_template.security_headers(self.template),
            admin_headers=infra_template.admin_security_headers(self.template, self.pool.endpoint),
        )

    def welcome(self, origin: str) -> str:
        """How to sign in, for the terminal."""
        return (
            f"Moderators' inbox at {origin}/admin/: sign in as {self.moderator.username}"
            f" ({self.moderator.email}) with the password {self.moderator.password}"
            " (the first sign-in asks for a new"
            f" password and sets up an authenticator app); Cognito on moto at {self.pool.endpoint}"
        )


def start_inbox(moto: MotoServer, template: dict[str, Any]) -> Inbox:
    """The template's user pool in moto, one moderator, and an authorizer trusting the pool."""
    cognito = moto.client("cognito-idp")
    pool = create_user_pool(cognito, moto.endpoint, template)
    moderator = add_moderator(cognito, pool, template)
    authorizer = Authorizer(fetch_keys(pool.jwks_url), pool.issuer, pool.client_id)
    return Inbox(pool, moderator, authorizer, template)


def fetch_keys(jwks_url: str, *, timeout: float = 5) -> dict[str, jwt.PyJWK]:
    """The pool's signing keys by key id."""
    with urllib.request.urlopen(jwks_url, timeout=timeout) as response:  # noqa: S310 - local URL
        keys = jwt.PyJWKSet.from_dict(json.load(response))
    return {str(key.key_id): key for key in keys.keys}


def gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway hands them to a function: every value a string, and a list as
    one string in brackets (`cognito:groups` → `[moderators editors]`)."""
    return {
        name: f"[{' '.join(str(item) for item in value)}]"
        if isinstance(value, list)
        else str(value)
        for name, value in claims.items()
    }


def with_authorizer(app: ASGIApp, authorizer: Authorizer) -> ASGIApp:
    """Let only requests with a valid access token reach `app`, their claims in the event."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        authorization = _header(scope, b"authorization")
        claims = authorizer.claims(authorization)
        if claims is None:
            response = JSONResponse({"error": "unauthorized"}, status_code=401, headers=NO_STORE)
            await response(scope, receive, send)
            return
        jwt_context = {"claims": gateway_claims(claims), "scopes": None}
        event = {"requestContext": {"authorizer": {"jwt": jwt_context}}}
        await app({**scope, "aws.event": event}, receive, send)

    return guarded


def with_admin(
    app: ASGIApp,
    admin_api: ASGIApp,
    inbox_config: Mapping[str, str],
    *,
    site_headers: Mapping[str, str],
    admin_headers: Mapping[str, str],
) -> ASGIApp:
    """`/api/admin/...` to the guarded moderators' API, `/admin/config.json` answered here; the
    inbox's pages get their own headers, as CloudFront's `/admin/*` behaviour gives them."""
    config = Response(json.dumps(dict(inbox_config)), media_type="application/json")
    site = with_headers(app, site_headers)
    api = with_headers(admin_api, site_headers)
    pages = with_headers(app, admin_headers)

    async def routed(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http":
            await site(scope, receive, send)
        elif path == ADMIN_API or path.startswith(f"{ADMIN_API}/"):
            await api(scope, receive, send)
        elif path == CONFIG_PATH:
            await with_headers(config, admin_headers)(scope, receive, send)
        elif path.startswith(f"{ADMIN_PAGES}/"):
            await pages(scope, receive, send)
        else:
            await site(scope, receive, send)

    return routed


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""
