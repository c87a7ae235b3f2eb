"""The command line's helper commands against DynamoDB Local: suggest, introduce, helper,
figures, and erasing a helper's address."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from functions.moderation.cli import main
from tests.conftest import CONTACT_HASH_KEY, ItemsOf
from tests.functions.moderation.conftest import Offer, Seed

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.dynamodb
Run = Callable[..., tuple[int, str]]


@pytest.fixture
def admin(
    counted_client: DynamoDBClient,
    dynamodb_table: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Run:
    """Run `admin("suggest", ...)` as anna; returns the exit code and what it printed."""
    monkeypatch.setenv("CONTACT_HASH_KEY", CONTACT_HASH_KEY.decode())

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(["--table", dynamodb_table, "--by", "anna", *argv], client=counted_client)
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


def test_suggest_lists_fitting_helpers_without_their_address(
    admin: Run, seed: Seed, offer: Offer
) -> None:
    request_id = seed()
    helper = offer(name="Jan Nowak")
    offer(name="Ewa", languages=("de",))

    code, out = admin("suggest", request_id)

    assert code == 0
    assert out.splitlines() == [
        f"{helper}  Jan Nowak  room 2  open 0  returning-to-work,job-search  pl,en  mentoring"
        "  Kraków",
        "1 helper to suggest",
    ]
    assert "@" not in out


def test_introduce_then_a_refusal_says_why(
    admin: Run, seed: Seed, offer: Offer, table_items: ItemsOf
) -> None:
    first, second = seed(), seed()
    helper = offer(capacity=1)

    code, out = admin("introduce", first, helper, "--note", "Hello")
    assert code == 0
    assert out.startswith(f"introduced helper {helper} to {first}")
    (intro,) = table_items("intro#")
    assert (intro["note"]["S"], intro["moderator"]["S"]) == ("Hello", "anna")

    code, out = admin("introduce", second, helper)
    assert (code, out) == (1, "error: the helper has no room left this month\n")
    assert len(table_items("intro#")) == 1


def test_a_status_only_introductions_set_cannot_be_marked(admin: Run, seed: Seed) -> None:
    with pytest.raises(SystemExit) as exited:
        admin("mark", seed(), "introduced")

    assert exited.value.code == 2


def test_helper_shows_the_record_and_introductions(admin: Run, seed: Seed, offer: Offer) -> None:
    request_id, helper = seed(), offer()
    admin("introduce", request_id, helper)

    code, out = admin("helper", helper)

    assert code == 0
    assert "email: jan@example.org" in out.splitlines()
    assert f" pending request {request_id}" in out
    assert admin("helper", "0" * 8 + "-0000-4000-8000-" + "0" * 12)[0] == 1


def test_figures_print_twelve_months(admin: Run) -> None:
    code, out = admin("figures")

    assert code == 0
    assert len(out.splitlines()) == 13
    assert out.splitlines()[1].endswith("0           0       0                   -")


def test_erasing_a_helpers_address_erases_the_offer(
    admin: Run, seed: Seed, offer: Offer, table_items: ItemsOf
) -> None:
    request_id, helper = seed(), offer(email="jan@example.org")
    admin("introduce", request_id, helper)

    code, out = admin("erase", "--contact", "jan@example.org", "--yes")

    assert code == 0
    assert "erased 1 item" in out
    assert "withdrew 1 pending introduction(s)" in out
    assert table_items(f"offer#{helper}") == []
    (request,) = table_items(f"request#{request_id}")
    assert request["status"]["S"] == "new"
