"""Who calls, from the claims API Gateway passes; pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from functions.moderation.auth import Moderator, groups, jwt_claims, moderator
from functions.moderation.errors import Forbidden, Unauthorized
from tests.functions.moderation.conftest import MODERATOR


def event_with(claims: Any) -> dict[str, Any]:
    return {"aws.event": {"requestContext": {"authorizer": {"jwt": {"claims": claims}}}}}


@pytest.mark.parametrize(
    ("claim", "found"),
    [
        ("[moderators]", {"moderators"}),
        ("[moderators editors]", {"moderators", "editors"}),
        (" [editors  moderators] ", {"moderators", "editors"}),
        ("moderators", {"moderators"}),
        (["moderators", "editors"], {"moderators", "editors"}),
        ("[]", set()),
        ("", set()),
        (None, set()),
        (7, set()),
    ],
)
def test_groups_as_api_gateway_passes_them(claim: object, found: set[str]) -> None:
    assert groups(claim) == found


@pytest.mark.parametrize(
    "event",
    [
        None,
        {},
        {"requestContext": {}},
        {"requestContext": {"authorizer": {"lambda": {"user": "x"}}}},
        {"requestContext": {"authorizer": {"jwt": {"claims": {}}}}},
        {"requestContext": {"authorizer": {"jwt": {"claims": "[moderators]"}}}},
        {"requestContext": "x"},
    ],
)
def test_no_claims_where_there_are_none(event: Any) -> None:
    assert jwt_claims(event) is None
    with pytest.raises(Unauthorized):
        moderator({"aws.event": event} if event is not None else {})


def test_a_moderator_by_user_name() -> None:
    assert moderator(event_with(MODERATOR)) == Moderator("anna")
    fallback = {**MODERATOR, "username": "", "cognito:username": "bartek"}
    assert moderator(event_with(fallback)) == Moderator("bartek")


def test_an_editor_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        moderator(event_with({**MODERATOR, "cognito:groups": "[editors]"}))
