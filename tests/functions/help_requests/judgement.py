"""The public API's answers to generated submissions, judged by the document after cleaning,
for either form: help requests by `tests/functions/fuzzing.py`'s judgement, offers here."""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from openapi_schema_validator import OAS31Validator, oas31_format_checker
from schemathesis.core.failures import Failure

from tests.functions.fuzzing import judged_after_cleaning
from tests.functions.help_requests import documented

if TYPE_CHECKING:
    from schemathesis.checks import CheckContext, CheckFunction
    from schemathesis.core.transport import Response
    from schemathesis.generation.case import Case

OFFERS = "/api/helper-offers"
SCHEMAS = {
    "application/json": "HelperOffer",
    "application/x-www-form-urlencoded": "HelperOfferForm",
}
Answers = collections.Counter[tuple[str, int]]


def judged_by_form(document: Mapping[str, Any], answers: Answers) -> CheckFunction:
    """A check of each answer by its own form's schemas; `answers` counts (path, status)."""
    requests = judged_after_cleaning(document)
    offers = OfferJudgement(document)

    def judged_by_form(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
        answers[(case.path, response.status_code)] += 1
        if case.path == OFFERS:
            return offers(response, case)
        return requests(ctx, response, case)

    return judged_by_form


class OfferJudgement:
    """Fails when an offer valid after cleaning is refused field by field, or one invalid even
    after cleaning is taken; robots' offers (trapped) are skipped."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.validators = {
            media: OAS31Validator(
                {"$ref": f"#/components/schemas/{name}", "components": document["components"]},
                format_checker=oas31_format_checker,
            )
            for media, name in SCHEMAS.items()
        }

    def __call__(self, response: Response, case: Case[Any]) -> bool | None:
        """Judge one answer; None when there is nothing to judge."""
        validator = self.validators.get(case.media_type or "")
        data = case.body
        if case.method != "POST" or validator is None or not isinstance(data, dict):
            return None
        if case.media_type != "application/json" and not all(map(_form_value, data.values())):
            return None
        if documented.from_a_robot(data):
            return None
        cleaned = {key: _cleaned(value) for key, value in data.items()}
        errors = sorted(error.message for error in validator.iter_errors(cleaned))
        if _refused_by_field(response) and not errors:
            raise Failure(
                operation=case.operation.label,
                title="Refused an offer the document allows after cleaning",
                message=f"answered {response.status_code}: {response.text[:300]}",
            )
        if _accepted(response) and errors:
            raise Failure(
                operation=case.operation.label,
                title="Took an offer the document refuses even after cleaning",
                message="; ".join(errors)[:500],
            )
        return True


def _form_value(value: object) -> bool:
    """Whether the plain form can send it: text, or a list of texts (a repeated field)."""
    if isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    return isinstance(value, str)


def _cleaned(value: object) -> object:
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    return documented.cleaned(value, multiline=False) if isinstance(value, str) else value


def _location(response: Response) -> str:
    found: str = response.headers.get("location", [""])[0]
    return found


def _refused_by_field(response: Response) -> bool:
    location = _location(response)
    return response.status_code == 422 or (
        response.status_code == 303
        and "/offer-help/error/" in location
        and "request." not in location
    )


def _accepted(response: Response) -> bool:
    return response.status_code in (200, 201) or (
        response.status_code == 303 and "/offer-help/thanks/" in _location(response)
    )
