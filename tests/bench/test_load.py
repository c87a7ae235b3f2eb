"""The load benchmark, short: visitors send the form through a cut and a crash of DynamoDB Local."""

from __future__ import annotations

import pytest

from bench import load

pytestmark = [pytest.mark.slow, pytest.mark.dynamodb]


def test_nothing_is_lost_or_stored_twice_through_a_cut_and_a_crash() -> None:
    result = load.run(load.Options(seconds=10, clients=8, faults=("cut", "kill")))

    assert dict(result.goals()) == {
        "accepted but not stored (lost)": 0,
        "stored more than once (duplicated)": 0,
        "stored but sent by no visitor": 0,
        "5xx other than 503 with Retry-After": 0,
        "not accepted in the end (gave up or refused)": 0,
        "requests that met no answer at all": 0,
    }
    assert result.passed
    # Both faults met visitors under way, and every one of them got through in the end.
    assert [(window.name, counts.submissions > 0) for window, counts in result.per_fault] == [
        ("requests cut mid-way", True),
        ("SIGKILL and restart", True),
    ]
    assert result.total.accepted == result.total.submissions > 0
    # The faults reached the API, which asked the visitors to come back later.
    assert result.proxy["cut"] > 0
    assert result.statuses["503"] > 0
