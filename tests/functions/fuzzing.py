"""Schemathesis over the functions' ASGI apps: generated cases and runs along the links.

Every response is checked against the API's document: no 5xx, a documented status, its
headers, its content type and its body's schema. Two of Schemathesis's checks compare what an
API accepts with what its document allows; the public API cleans text before it validates
(trimmed, NFC, control characters removed), which JSON Schema cannot say, so for that API
`judged_after_cleaning` takes their place, with the cleaning written out in the tests' own
words (`help_requests/documented.py`).
"""

from __future__ import annotations

import collections
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky, FlakyStrategyDefinition
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from starlette.types import ASGIApp

from tests.functions.help_requests import documented

if TYPE_CHECKING:
    from schemathesis.checks import CheckContext, CheckFunction
    from schemathesis.core.transport import Response
    from schemathesis.generation.case import Case
    from schemathesis.schemas import BaseSchema

Statuses = collections.Counter[int]
# `make bench` runs the same suites with ten times the cases.
SCALE = int(os.environ.get("ASK_FUZZ_SCALE", "1") or "1")
MAX_SUITES = 10
SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
ACCEPTANCE_CHECKS: list[CheckFunction] = [positive_data_acceptance, negative_data_rejection]


def scaled(examples: int) -> int:
    """`examples`, times the scale `make bench` asks for."""
    return examples * SCALE


def load(document: Path, app: ASGIApp, *, bearer: dict[str, str] | None = None) -> BaseSchema:
    """The document as Schemathesis reads it, calling `app` in process; `bearer` gives a token
    by security scheme, which the checks also leave out or spoil to see it refused."""
    schemes = {name: {"bearer": token} for name, token in (bearer or {}).items()}
    config = SchemathesisConfig.from_dict({"auth": {"openapi": schemes}} if schemes else {})
    schema = schemathesis.openapi.from_path(document, config=config)
    schema.app = app
    return schema


def run_cases(
    schema: BaseSchema,
    mode: GenerationMode,
    examples: int,
    *,
    additional_checks: list[CheckFunction] | None = None,
    excluded_checks: list[CheckFunction] | None = None,
    headers: dict[str, str] | None = None,
) -> Statuses:
    """Send `examples` generated cases across every operation; the statuses they were answered.

    `headers` go with every case (a token, say); the checks may also send a case without them."""
    statuses: Statuses = collections.Counter()

    @given(case=schema.as_strategy(generation_mode=mode))
    @settings(max_examples=scaled(examples), suppress_health_check=SLOW_IS_FINE)
    def send(case: Case[Any]) -> None:
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(
            response,
            headers=headers,
            additional_checks=additional_checks,
            excluded_checks=excluded_checks,
        )

    try:
        send()
    finally:
        stop_event_loop_thread()
    return statuses


def unless_only(check: CheckFunction, error: dict[str, str]) -> CheckFunction:
    """`check`, except for a 422 whose one error is `error`."""

    def checked(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
        if response.status_code == 422 and response.json() == {"errors": [error]}:
            return None
        return check(ctx, response, case)

    checked.__name__ = f"{check.__name__}_unless_{error['field']}_{error['code']}"
    return checked


def run_links(
    schema: BaseSchema,
    scenarios: int,
    steps: int,
    *,
    headers: dict[str, str] | None = None,
    additional_checks: list[CheckFunction] | None = None,
    excluded_checks: list[CheckFunction] | None = None,
) -> Statuses:
    """Walk the document's links (list → read → assign → change status → erase) as scenarios."""
    statuses: Statuses = collections.Counter()

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Response, case: Case[Any], **kwargs: Any) -> None:
            case.validate_response(
                response,
                headers=headers,
                additional_checks=additional_checks,
                excluded_checks=excluded_checks,
                recorder=self.recorder,
            )

        def after_call(self, response: Response, case: Case[Any]) -> None:
            super().after_call(response, case)
            statuses[response.status_code] += 1

        def teardown(self) -> None:
            super().teardown()
            walked.append(1)

    walked: list[int] = []
    wanted = scaled(scenarios)
    try:
        _walk(Machine, walked, wanted, steps)
    finally:
        stop_event_loop_thread()
    return statuses


def _walk(machine: Any, walked: list[int], wanted: int, steps: int) -> None:
    # Steps depend on earlier answers, which Hypothesis's record of its choices cannot foresee:
    # it may stop a run as "inconsistent data generation", as Schemathesis's own runner expects.
    # Such a run found nothing; the next one, with new random choices, goes on. A failed check
    # ends all.
    for _ in range(MAX_SUITES):
        try:
            machine.run(
                settings=settings(
                    max_examples=wanted - len(walked),
                    stateful_step_count=steps,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=SLOW_IS_FINE,
                )
            )
        except Flaky as exc:
            if not _only_inconsistent_generation(exc):
                raise
        if len(walked) >= wanted:
            break
    assert len(walked) >= wanted / 2, f"only {len(walked)} of {wanted} scenarios ran"


def stop_event_loop_thread() -> None:
    """Stop the thread Schemathesis runs ASGI apps on; it would otherwise live as long as the
    process, and the site's build forks workers only while one thread runs."""
    from schemathesis.python import asgi

    asgi._shutdown()  # what it runs at exit; the next call starts the thread anew


def _only_inconsistent_generation(exc: BaseException) -> bool:
    if isinstance(exc, FlakyStrategyDefinition):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return all(_only_inconsistent_generation(inner) for inner in exc.exceptions)
    return False


def judged_after_cleaning(document: Mapping[str, Any]) -> CheckFunction:
    """A check of the public API's answer to a submission by the document, after cleaning;
    for an app whose time trap is off (`min_fill_seconds` 0)."""
    judgement = CleanedJudgement(document)

    def judged_after_cleaning(
        ctx: CheckContext, response: Response, case: Case[Any]
    ) -> bool | None:
        return judgement(response, case)

    return judged_after_cleaning


class CleanedJudgement:
    """Judges the public API's answer to a submission by the document, after cleaning."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        self.validators = {
            media: OAS31Validator(
                {"$ref": f"#/components/schemas/{name}", "components": document["components"]},
                format_checker=oas31_format_checker,
            )
            for media, name in (
                ("application/json", "HelpRequest"),
                ("application/x-www-form-urlencoded", "HelpRequestForm"),
            )
        }
        assert set(schemas) >= {"HelpRequest", "HelpRequestForm"}

    def __call__(self, response: Response, case: Case[Any]) -> bool | None:
        """Fails when a submission valid after cleaning was refused field by field, or one that
        is invalid even after cleaning was taken; robots' submissions (trapped) are skipped."""
        validator = self.validators.get(case.media_type or "")
        data = case.body
        if case.method != "POST" or validator is None or not isinstance(data, dict):
            return None
        if case.media_type != "application/json" and not all(
            isinstance(value, str) for value in data.values()
        ):
            return None
        if documented.from_a_robot(data):
            return None
        cleaned = {key: _cleaned(key, value) for key, value in data.items()}
        errors = sorted(error.message for error in validator.iter_errors(cleaned))
        if _refused_by_field(response) and not errors:
            raise Failure(
                operation=case.operation.label,
                title="Refused a submission the document allows after cleaning",
                message=f"answered {response.status_code}: {response.text[:300]}",
            )
        if _accepted(response) and errors:
            raise Failure(
                operation=case.operation.label,
                title="Took a submission the document refuses even after cleaning",
                message="; ".join(errors)[:500],
            )
        return True


def _cleaned(key: str, value: object) -> object:
    if not isinstance(value, str):
        return value
    return documented.cleaned(value, multiline=key == "message")


def _refused_by_field(response: Response) -> bool:
    if response.status_code == 422:
        return True
    location = response.headers.get("location", [""])[0]
    return response.status_code == 303 and "/ask/error/" in location and "request." not in location


def _accepted(response: Response) -> bool:
    location = response.headers.get("location", [""])[0]
    return response.status_code in (200, 201) or (
        response.status_code == 303 and "/ask/thanks/" in location
    )
