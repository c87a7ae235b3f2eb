"""Generated cases from `openapi.yaml` against the public app on DynamoDB Local: both forms,
each judged by its own schemas."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
import yaml
from schemathesis import GenerationMode

from functions.help_requests import Config, create_app
from functions.help_requests.contract import CONTRACT_PATH
from tests.conftest import ItemsOf
from tests.functions.fuzzing import ACCEPTANCE_CHECKS, load, run_cases
from tests.functions.help_requests.judgement import OFFERS, Answers, judged_by_form

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# 1,600 cases across both modes and both forms, about 400 per form and mode; enough stores
# that the rate limit answers 429 too.
EXAMPLES = 800
RATE_LIMIT = 150
REQUESTS = "/api/help-requests"


@pytest.mark.dynamodb
@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_to_a_generated_case_is_documented(
    help_config: Config,
    dynamodb_client: DynamoDBClient,
    table_items: ItemsOf,
    mode: GenerationMode,
) -> None:
    # The time trap off: a generated case may say the form was open for a moment, and the
    # check judges what the API does with a submission, not whether it came from a robot.
    config = replace(
        help_config,
        rate_limit_per_hour=RATE_LIMIT,
        rate_limit_per_day=RATE_LIMIT,
        min_fill_seconds=0,
    )
    schema = load(CONTRACT_PATH, create_app(config, dynamodb_client))
    document = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    answers: Answers = Answers()
    judged = judged_by_form(document, answers)

    statuses = run_cases(
        schema,
        mode,
        EXAMPLES,
        additional_checks=[judged],
        excluded_checks=ACCEPTANCE_CHECKS,
    )

    assert sum(statuses.values()) >= EXAMPLES
    assert not [status for status in statuses if status >= 500]
    # The cases reached past the checks of the sender to validation and to storage, on each
    # form's endpoint.
    expected = {201, 422} if mode is GenerationMode.POSITIVE else {400, 422}
    assert expected <= set(statuses), statuses
    for path in (REQUESTS, OFFERS):
        reached = {status for (at, status), _ in answers.items() if at == path}
        assert expected <= reached, (path, answers)
    if mode is GenerationMode.POSITIVE:
        # Cases that were stored, not only answered 201 as a robot's would be.
        assert len(table_items("request#")) >= 20
        assert len(table_items("offer#")) >= 20
