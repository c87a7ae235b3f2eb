"""Who may call the moderators' API, and what a wrong call gets: a clear code, nothing read."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.functions.moderation.conftest import MODERATOR, Call, Claims, Operations, Seed

pytestmark = pytest.mark.dynamodb

EVERY_ROUTE = [
    ("GET", "/api/admin/requests", None),
    ("GET", "/api/admin/summary", None),
    ("GET", "/api/admin/requests/{id}", None),
    ("POST", "/api/admin/requests/{id}/assign", {"version": 1}),
    ("POST", "/api/admin/requests/{id}/status", {"status": "closed", "version": 1}),
    ("POST", "/api/admin/requests/{id}/erase", {"confirm": True}),
    ("GET", "/api/admin/export?format=csv", None),
    ("POST", "/api/admin/contacts/access", {"contact": "alicja@example.org"}),
    ("POST", "/api/admin/contacts/erase", {"contact": "alicja@example.org", "confirm": True}),
]


def without(claims: Claims, *names: str) -> Claims:
    return {key: value for key, value in claims.items() if key not in names}


REFUSED: list[tuple[str, Claims | None, int, str]] = [
    ("no claims", None, 401, "unauthorized"),
    ("empty claims", {}, 401, "unauthorized"),
    ("an id token", {**MODERATOR, "token_use": "id"}, 401, "unauthorized"),
    ("no user name", without(MODERATOR, "username"), 401, "unauthorized"),
    ("no groups", without(MODERATOR, "cognito:groups"), 403, "forbidden"),
    ("another group", {**MODERATOR, "cognito:groups": "[editors]"}, 403, "forbidden"),
    ("a longer name", {**MODERATOR, "cognito:groups": "[moderatorsx]"}, 403, "forbidden"),
    ("a group inside", {**MODERATOR, "cognito:groups": "[not-moderators]"}, 403, "forbidden"),
]


@pytest.mark.parametrize(("case", "claims", "status", "code"), REFUSED, ids=[r[0] for r in REFUSED])
@pytest.mark.parametrize(("method", "path", "body"), EVERY_ROUTE, ids=[r[1] for r in EVERY_ROUTE])
def test_a_caller_who_is_no_moderator_is_refused_before_anything_is_read(
    admin: Call,
    operations: Operations,
    seed: Seed,
    capsys: pytest.CaptureFixture[str],
    case: str,
    claims: Claims | None,
    status: int,
    code: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    request_id = seed()
    response = admin(method, path.format(id=request_id), claims=claims, json=body)

    assert (response.status_code, response.json()) == (status, {"error": code})
    assert operations.names == []
    [line] = capsys.readouterr().out.splitlines()
    record = json.loads(line)
    assert (record["status"], record["outcome"]) == (status, code)
    assert request_id not in line


@pytest.mark.parametrize(
    "groups", ["[moderators editors]", "[editors moderators]", ["moderators"], "[moderators]"]
)
def test_the_moderators_group_among_others_is_enough(
    admin: Call, seed: Seed, groups: object
) -> None:
    seed()
    response = admin("GET", "/api/admin/requests", claims={**MODERATOR, "cognito:groups": groups})
    assert response.status_code == 200
    assert len(response.json()["requests"]) == 1


def test_the_name_in_the_history_comes_from_the_token(admin: Call, seed: Seed) -> None:
    request_id = seed()
    claims = {**without(MODERATOR, "username"), "cognito:username": "bartek"}
    response = admin(
        "POST", f"/api/admin/requests/{request_id}/assign", json={"version": 1}, claims=claims
    )
    assert response.json()["assigned_to"] == "bartek"
    assert response.json()["history"][0]["by"] == "bartek"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/admin/requests/{unknown}", None),
        ("GET", "/api/admin/requests/not-a-uuid", None),
        ("POST", "/api/admin/requests/{unknown}/assign", {"version": 1}),
        ("POST", "/api/admin/requests/{unknown}/status", {"status": "closed", "version": 1}),
        ("POST", "/api/admin/requests/{unknown}/erase", {"confirm": True}),
        ("GET", "/api/admin/nothing-here", None),
        ("GET", "/api/admin/requests/{unknown}/history", None),
    ],
)
def test_an_unknown_id_or_path_is_not_found(
    admin: Call, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = admin(method, path.format(unknown=uuid.uuid4()), json=body)
    assert (response.status_code, response.json()) == (404, {"error": "not_found"})


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"status": "done", "version": 1}, [("status", "invalid_choice")]),
        ({"version": 1}, [("status", "required")]),
        ({"status": "closed"}, [("version", "required")]),
        ({"status": "closed", "version": 0}, [("version", "invalid")]),
        ({"status": "closed", "version": "1"}, [("version", "invalid")]),
        ({"status": "closed", "version": True}, [("version", "invalid")]),
        ({"status": "closed", "version": 1, "note": "n" * 2001}, [("note", "too_long")]),
        ({"status": "closed", "version": 1, "note": 5}, [("note", "invalid")]),
        ({"status": "closed", "version": 1, "extra": 1}, [("extra", "invalid")]),
        ({"status": "closed", "version": 1.5}, [("version", "invalid")]),
        ({"status": "closed", "version": 2**53}, [("version", "invalid")]),
        ({"status": "closed", "version": 10**400}, [("version", "invalid")]),
        (
            {"status": "closed", "version": 1, "x": 1, "note": "n" * 2001},
            [("x", "invalid"), ("note", "too_long")],
        ),
    ],
)
def test_a_bad_status_change_names_each_field_and_changes_nothing(
    admin: Call, seed: Seed, body: dict[str, Any], errors: list[tuple[str, str]]
) -> None:
    request_id = seed()
    response = admin("POST", f"/api/admin/requests/{request_id}/status", json=body)

    assert response.status_code == 422
    assert response.json() == {"errors": [{"field": f, "code": c} for f, c in errors]}
    assert admin("GET", f"/api/admin/requests/{request_id}").json()["version"] == 1


@pytest.mark.parametrize("path", ["/api/admin/summary", "/api/admin/requests/{id}"])
def test_a_query_parameter_a_route_does_not_read_is_refused(
    admin: Call, seed: Seed, path: str
) -> None:
    response = admin("GET", path.format(id=seed()), params={"status": "new"})
    assert (response.status_code, response.json()) == (
        422,
        {"errors": [{"field": "status", "code": "invalid"}]},
    )


def test_a_version_written_as_a_whole_float_is_that_version(admin: Call, seed: Seed) -> None:
    # JSON has one kind of number; the document's `integer` takes 1.0 as 1.
    request_id = seed()
    body = {"status": "answered", "version": 1.0}
    response = admin("POST", f"/api/admin/requests/{request_id}/status", json=body)
    assert (response.status_code, response.json()["version"]) == (200, 2)


def test_a_note_of_2000_characters_is_taken(admin: Call, seed: Seed) -> None:
    request_id = seed()
    note = "ż" * 2000
    body = {"status": "answered", "version": 1, "note": note}
    response = admin("POST", f"/api/admin/requests/{request_id}/status", json=body)
    assert response.json()["history"][0]["note"] == note


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"status": "done"}, "status", "invalid_choice"),
        ({"limit": "0"}, "limit", "invalid"),
        ({"limit": "101"}, "limit", "invalid"),
        ({"limit": "ten"}, "limit", "invalid"),
        ({"topic": "t" * 51}, "topic", "too_long"),
        ({"language": "l" * 11}, "language", "too_long"),
        ({"cursor": "not-a-cursor"}, "cursor", "invalid"),
        ({"cursor": "e30"}, "cursor", "invalid"),  # {} in base64url
        ({"cursor": "c" * 2001}, "cursor", "too_long"),
        ({"limit": "\u0661\u0660"}, "limit", "invalid"),  # ten, in Arabic-Indic digits
        ({"statuss": "spam"}, "statuss", "invalid"),
        ({"status": ["new", "spam"]}, "status", "invalid"),
    ],
)
def test_bad_list_parameters_are_named(
    admin: Call, operations: Operations, params: dict[str, Any], field: str, code: str
) -> None:
    response = admin("GET", "/api/admin/requests", params=params)

    assert (response.status_code, response.json()) == (
        422,
        {"errors": [{"field": field, "code": code}]},
    )
    assert "Query" not in operations.names


def test_a_cursor_of_another_status_is_refused(admin: Call, seed: Seed) -> None:
    seed(), seed()
    cursor = admin("GET", "/api/admin/requests", params={"limit": "1"}).json()["cursor"]
    assert cursor is not None
    response = admin("GET", "/api/admin/requests", params={"cursor": cursor, "status": "closed"})
    assert response.json() == {"errors": [{"field": "cursor", "code": "invalid"}]}


@pytest.mark.parametrize(
    ("params", "errors"),
    [({}, [("format", "required")]), ({"format": "xlsx"}, [("format", "invalid_choice")])],
)
def test_an_export_needs_a_known_format(
    admin: Call, params: dict[str, str], errors: list[tuple[str, str]]
) -> None:
    response = admin("GET", "/api/admin/export", params=params)
    assert response.json() == {"errors": [{"field": f, "code": c} for f, c in errors]}


@pytest.mark.parametrize(
    ("path", "body", "errors"),
    [
        ("/api/admin/contacts/access", {}, [("contact", "required")]),
        ("/api/admin/contacts/access", {"contact": 5}, [("contact", "invalid")]),
        ("/api/admin/contacts/access", {"contact": "x@" + "e" * 199}, [("contact", "too_long")]),
        ("/api/admin/contacts/erase", {"contact": "a@example.org"}, [("confirm", "must_confirm")]),
        (
            "/api/admin/contacts/erase",
            {"contact": "a@example.org", "confirm": "yes"},
            [("confirm", "must_confirm")],
        ),
        ("/api/admin/contacts/erase", {}, [("contact", "required"), ("confirm", "must_confirm")]),
        ("/api/admin/contacts/access", {"contact": "$"}, [("contact", "invalid")]),
        ("/api/admin/contacts/access", {"contact": "\u0661\u0662"}, [("contact", "invalid")]),
        ("/api/admin/requests/{id}/erase", {}, [("confirm", "must_confirm")]),
    ],
)
def test_access_and_erasure_need_a_contact_and_a_confirmation(
    admin: Call, seed: Seed, path: str, body: dict[str, Any], errors: list[tuple[str, str]]
) -> None:
    request_id = seed()
    response = admin("POST", path.format(id=request_id), json=body)

    assert response.status_code == 422
    assert response.json() == {"errors": [{"field": f, "code": c} for f, c in errors]}
    assert admin("GET", f"/api/admin/requests/{request_id}").status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"content": b"{", "headers": {"Content-Type": "application/json"}}, 400, "bad_request"),
        ({"content": b"[1]", "headers": {"Content-Type": "application/json"}}, 400, "bad_request"),
        (
            {
                "content": b"version=1",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            415,
            "unsupported_media_type",
        ),
        (
            {
                "content": b'{"version": 1}',
                "headers": {"Content-Type": "application/json; charset=latin-1"},
            },
            415,
            "unsupported_media_type",
        ),
        (
            {"content": b" " * 17_000, "headers": {"Content-Type": "application/json"}},
            413,
            "payload_too_large",
        ),
    ],
)
def test_a_body_that_is_no_small_json_object_is_refused(
    admin: Call, seed: Seed, kwargs: dict[str, Any], status: int, code: str
) -> None:
    request_id = seed()
    response = admin("POST", f"/api/admin/requests/{request_id}/assign", **kwargs)
    assert (response.status_code, response.json()) == (status, {"error": code})


def test_a_wrong_method_is_refused_with_the_allowed_ones(admin: Call, seed: Seed) -> None:
    request_id = seed()
    response = admin("DELETE", f"/api/admin/requests/{request_id}")
    assert (response.status_code, response.json()) == (405, {"error": "method_not_allowed"})
    assert response.headers["allow"] == "GET"


def test_a_status_change_on_an_erased_request_is_not_found(admin: Call, seed: Seed) -> None:
    request_id = seed()
    assert (
        admin("POST", f"/api/admin/requests/{request_id}/erase", json={"confirm": True}).status_code
        == 200
    )

    response = admin(
        "POST",
        f"/api/admin/requests/{request_id}/status",
        json={"status": "answered", "version": 1},
    )
    assert (response.status_code, response.json()) == (404, {"error": "not_found"})
    again = admin("POST", f"/api/admin/requests/{request_id}/erase", json={"confirm": True})
    assert again.status_code == 404


def test_of_two_moderators_changing_one_request_the_second_gets_409_and_the_new_state(
    admin: Call, seed: Seed
) -> None:
    request_id = seed()
    bartek = {**MODERATOR, "username": "bartek"}
    first = admin(
        "POST",
        f"/api/admin/requests/{request_id}/status",
        json={"status": "answered", "note": "Called her.", "version": 1},
    )
    second = admin(
        "POST",
        f"/api/admin/requests/{request_id}/status",
        json={"status": "spam", "version": 1},
        claims=bartek,
    )

    assert first.status_code == 200
    assert second.status_code == 409
    conflict = second.json()
    assert conflict["error"] == "version_conflict"
    assert conflict["request"] == first.json()
    now = admin("GET", f"/api/admin/requests/{request_id}").json()
    assert (now["status"], now["version"], len(now["history"])) == ("answered", 2, 1)
    assert now["history"][0]["note"] == "Called her."


def test_at_the_same_moment_exactly_one_change_wins(admin: Call, seed: Seed) -> None:
    request_id = seed()
    names = [f"moderator{number}" for number in range(8)]

    def change(name: str) -> int:
        claims = {**MODERATOR, "username": name}
        path = f"/api/admin/requests/{request_id}/assign"
        return int(admin("POST", path, json={"version": 1}, claims=claims).status_code)

    with ThreadPoolExecutor(len(names)) as pool:
        statuses = list(pool.map(change, names))

    assert sorted(statuses) == [200] + [409] * 7
    now = admin("GET", f"/api/admin/requests/{request_id}").json()
    winner = names[statuses.index(200)]
    assert (now["assigned_to"], now["version"], len(now["history"])) == (winner, 2, 1)
