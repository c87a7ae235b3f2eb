"""Generated cases and link walks from `openapi.yaml` against the moderators' app."""

from __future__ import annotations

from pathlib import Path

import pytest
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

import functions.moderation
from functions.moderation.app import ModerationApp
from tests.functions.fuzzing import load, run_cases, run_links, unless_only
from tests.functions.moderation.conftest import MODERATOR, Claims, Seed, WithClaims

DOCUMENT = Path(functions.moderation.__file__).with_name("openapi.yaml")
EXAMPLES = 600
TOKEN = "eyJraWQiOiJ0ZXN0In0.eyJzdWIiOiJhbm5hIn0.c2lnbmVk"
BEARER = {"moderator": TOKEN}
# A cursor is opaque: one this API did not make is refused (422), however well-formed.
ACCEPTED = unless_only(positive_data_acceptance, {"field": "cursor", "code": "invalid"})


class Gateway:
    """Plays API Gateway's JWT authorizer: the claims of the one valid token, or none."""

    def __init__(self, app: ASGIApp, claims: Claims) -> None:
        self.signed_in = WithClaims(app, claims)
        self.anonymous = WithClaims(app, None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        valid = Headers(scope=scope).get("authorization") == f"Bearer {TOKEN}"
        await (self.signed_in if valid else self.anonymous)(scope, receive, send)


@pytest.fixture
def seeded(seed: Seed) -> list[str]:
    """A dozen requests, in every status, for the cases to find."""
    statuses = ["new", "in-progress", "answered", "closed", "spam"]
    return [
        seed(status=statuses[i % len(statuses)], contact=f"p{i}@example.org") for i in range(12)
    ]


@pytest.mark.dynamodb
@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_to_a_generated_case_is_documented(
    moderation_app: ModerationApp, seeded: list[str], mode: GenerationMode
) -> None:
    schema = load(DOCUMENT, Gateway(moderation_app, MODERATOR), bearer=BEARER)

    statuses = run_cases(
        schema,
        mode,
        EXAMPLES,
        additional_checks=[ACCEPTED],
        excluded_checks=[positive_data_acceptance],
    )

    assert sum(statuses.values()) >= EXAMPLES
    assert not [status for status in statuses if status >= 500]
    expected = {200, 404} if mode is GenerationMode.POSITIVE else {400, 401, 422}
    assert expected <= set(statuses), statuses


@pytest.mark.dynamodb
@pytest.mark.slow
def test_walks_along_the_links_answer_as_documented(
    moderation_app: ModerationApp, seeded: list[str]
) -> None:
    schema = load(DOCUMENT, Gateway(moderation_app, MODERATOR), bearer=BEARER)

    statuses = run_links(
        schema,
        scenarios=60,
        steps=8,
        additional_checks=[ACCEPTED],
        excluded_checks=[positive_data_acceptance],
    )

    assert not [status for status in statuses if status >= 500]
    # The links reached requests that exist: read, and changed at the version read.
    assert statuses[200] >= 30, statuses


@pytest.mark.dynamodb
@pytest.mark.slow
def test_a_signed_in_caller_outside_the_moderators_group_is_refused_everywhere(
    moderation_app: ModerationApp, seeded: list[str]
) -> None:
    editor = {**MODERATOR, "cognito:groups": "[editors]"}
    schema = load(DOCUMENT, Gateway(moderation_app, editor), bearer=BEARER)

    statuses = run_cases(schema, GenerationMode.POSITIVE, 100)

    assert set(statuses) <= {401, 403}
    assert statuses[403] >= 90
