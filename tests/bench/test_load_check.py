"""The load benchmark's reckoning: what visitors were told against what the table holds."""

from __future__ import annotations

from bench.load_check import Check, Stored, Window, check, report
from bench.visitors import Attempt, Submission


def submission(number: int, *statuses: int | None, outcome: str = "sent") -> Submission:
    """A submission that started at `number` s and took one second per attempt."""
    attempts = [
        Attempt(
            sent=number + n,
            seconds=0.1,
            status=status,
            retry_after="5" if status in (429, 503) else None,
            error="ReadError" if status is None else None,
        )
        for n, status in enumerate(statuses)
    ]
    return Submission(
        number=number,
        contact=f"visitor-{number}@example.org",
        message=f"Submission {number}",
        ids=[f"id-{number}"],
        started=float(number),
        finished=float(number + len(statuses)),
        outcome=outcome,
        attempts=attempts,
    )


def stored(sent: Submission, request_id: str | None = None) -> Stored:
    return Stored(request_id or sent.ids[-1], sent.contact, sent.message)


def reckon(submissions: list[Submission], items: list[Stored]) -> Check:
    window = Window("outage", 2.0, 3.0)
    return check(submissions, items, [window], began=0.0, ended=10.0, proxy={"cut": 1})


def test_every_accepted_submission_stored_once_meets_every_goal() -> None:
    first, second = submission(1, 201), submission(2, 503, 200)
    result = reckon([first, second], [stored(first), stored(second)])

    assert result.passed
    assert (result.total.submissions, result.total.accepted) == (2, 2)
    assert result.statuses == {"201": 1, "200": 1, "503": 1}
    assert result.troubled == []


def test_a_request_that_met_no_answer_misses_the_goal_though_a_retry_got_through() -> None:
    sent = submission(2, 503, None, 200)
    result = reckon([sent], [stored(sent)])

    assert dict(result.goals())["requests that met no answer at all"] == 1
    assert result.statuses["no answer (ReadError)"] == 1
    assert result.troubled == [("bad 5xx or no answer", sent)]


def test_a_submission_never_accepted_misses_the_goal() -> None:
    accepted = submission(1, 201)
    gave_up = submission(2, 503, 503, outcome="gave up")
    refused = submission(3, 422, outcome="invalid")
    result = reckon([accepted, gave_up, refused], [stored(accepted)])

    assert dict(result.goals())["not accepted in the end (gave up or refused)"] == 2
    assert not result.passed


def test_an_accepted_submission_missing_from_the_table_is_lost() -> None:
    result = reckon([submission(1, 201)], [])

    assert dict(result.goals())["accepted but not stored (lost)"] == 1
    assert not result.passed


def test_one_text_stored_under_two_ids_is_duplicated() -> None:
    sent = submission(1, 409, 201)
    sent.ids.append("id-1-again")
    result = reckon([sent], [stored(sent, "id-1"), stored(sent, "id-1-again")])

    assert dict(result.goals())["stored more than once (duplicated)"] == 1


def test_a_stored_request_no_visitor_sent_is_counted() -> None:
    sent = submission(1, 201)
    stranger = Stored("id-9", "someone@example.org", "Never sent")
    altered = Stored("id-1", sent.contact, "Other text")

    assert reckon([sent], [stored(sent), stranger]).unsent == 1
    assert reckon([sent], [altered]).unsent == 1


def test_server_errors_but_503_with_retry_after_miss_the_goal() -> None:
    sent = submission(1, 500, 503, 201)
    bare = Attempt(sent=4.0, seconds=0.1, status=503)
    sent.attempts.append(bare)
    result = reckon([sent], [stored(sent)])

    assert dict(result.goals())["5xx other than 503 with Retry-After"] == 2
    assert result.statuses["503 without Retry-After"] == 1


def test_a_submission_counts_under_a_fault_it_met_or_just_missed() -> None:
    during, just_before, long_before = submission(2, 201), submission(1, 201), submission(0, 201)
    just_before.finished = 1.8
    long_before.finished = 1.0
    result = reckon([during, just_before, long_before], [])

    assert [counts.submissions for _, counts in result.per_fault] == [2]


def test_the_report_says_pass_or_miss_for_each_goal() -> None:
    sent = submission(1, 201)
    lines = report(reckon([sent], []))

    assert "MISS  accepted but not stored (lost): 1 (goal 0)" in lines
    assert "PASS  stored more than once (duplicated): 0 (goal 0)" in lines
    assert any(line.startswith("lost: ['id-1'] (sent): 1.00 s: 201") for line in lines)
