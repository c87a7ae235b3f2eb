"""Who is calling, from the claims API Gateway's JWT authorizer passes; pure functions, no I/O.

The authorizer has checked the token's signature, issuer, audience and expiry before the
function runs. The function checks again that claims came at all, that they are an access
token's and that the caller is a moderator: a route left without the authorizer by mistake
then refuses everyone instead of serving everyone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import Scope

from .errors import Forbidden, Unauthorized

GROUP = "moderators"
GROUPS_CLAIM = "cognito:groups"


@dataclass(frozen=True)
class Moderator:
    """A signed-in moderator, by the user name the history records."""

    name: str


def moderator(scope: Scope) -> Moderator:
    """The caller, from the Lambda event Mangum put in the scope; Unauthorized or Forbidden."""
    claims = jwt_claims(scope.get("aws.event"))
    if claims is None or claims.get("token_use") != "access":
        raise Unauthorized()
    name = claims.get("username") or claims.get("cognito:username")
    if not isinstance(name, str) or not name.strip():
        raise Unauthorized()
    if GROUP not in groups(claims.get(GROUPS_CLAIM)):
        raise Forbidden()
    return Moderator(name.strip())


def jwt_claims(event: Any) -> Mapping[str, Any] | None:
    """`requestContext.authorizer.jwt.claims` of an HTTP API event, if it has them."""
    node = event
    for key in ("requestContext", "authorizer", "jwt", "claims"):
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node if isinstance(node, Mapping) and node else None


def groups(claim: object) -> set[str]:
    """The groups of a `cognito:groups` claim: API Gateway passes `[moderators editors]`."""
    if isinstance(claim, list):
        return {str(group) for group in claim}
    if isinstance(claim, str):
        return set(claim.strip().removeprefix("[").removesuffix("]").replace(",", " ").split())
    return set()
