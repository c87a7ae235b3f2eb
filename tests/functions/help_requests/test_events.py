"""Recorded API Gateway and function URL events through the Lambda entry point itself."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.cold_start import stage_code
from functions.help_requests.ratelimit import rate_window, sender_hash
from tests.functions.help_requests.conftest import (
    CONTACT_HASH_KEY,
    IP_HASH_KEY,
    Handler,
    ItemsOf,
    LambdaContext,
    decoded_body,
    load_event,
)

pytestmark = pytest.mark.dynamodb


@pytest.mark.parametrize(
    "name",
    ["http-api-v2-json", "rest-api-v1", "rest-api-v1-custom-domain-stage", "function-url"],
)
def test_a_json_event_is_stored_and_answered_201(
    handler: Handler, table_items: ItemsOf, name: str
) -> None:
    event = load_event(name)
    sent = json.loads(event["body"])
    response = handler(event, LambdaContext())

    assert response["statusCode"] == 201
    assert decoded_body(response) == {"id": sent["id"], "status": "received"}
    headers = {key.lower(): value for key, value in response["headers"].items()}
    assert headers["content-type"] == "application/json"
    assert headers["x-request-id"] == LambdaContext.aws_request_id
    [item] = table_items("request#")
    assert item["id"] == {"S": sent["id"]}
    assert item["message"] == {"S": sent["message"]}


def test_the_same_event_delivered_twice_is_stored_once(
    handler: Handler, table_items: ItemsOf
) -> None:
    event = load_event("http-api-v2-json")
    statuses = [handler(event, LambdaContext())["statusCode"] for _ in range(2)]

    assert statuses == [201, 200]
    assert len(table_items("request#")) == 1


def test_a_base64_form_behind_a_stage_is_stored_and_redirected(
    handler: Handler, table_items: ItemsOf
) -> None:
    response = handler(load_event("http-api-v2-form-base64-stage"), LambdaContext())

    assert response["statusCode"] == 303
    assert response["headers"]["location"] == "https://ask.example.org/pl/ask/thanks/"
    [item] = table_items("request#")
    assert item["contact"] == {"S": "+48 600 700 800"}
    assert item["message"]["S"].startswith("Wracam po urlopie")


def test_an_offer_event_is_stored_unconfirmed_and_answered_201(
    handler: Handler, table_items: ItemsOf
) -> None:
    event = load_event("http-api-v2-offer-json")
    sent = json.loads(event["body"])
    statuses = [handler(event, LambdaContext())["statusCode"] for _ in range(2)]

    assert statuses == [201, 200]
    [item] = table_items("offer#")
    assert (item["id"], item["status"], item["region"]) == (
        {"S": sent["id"]},
        {"S": "unconfirmed"},
        {"S": "Yorkshire"},
    )
    assert table_items("request#") == []


def test_a_base64_offer_form_behind_a_stage_is_stored_and_redirected(
    handler: Handler, table_items: ItemsOf
) -> None:
    response = handler(load_event("http-api-v2-offer-form-base64-stage"), LambdaContext())

    assert response["statusCode"] == 303
    assert response["headers"]["location"] == "https://ask.example.org/pl/offer-help/thanks/"
    [item] = table_items("offer#")
    assert item["topics"] == {"L": [{"S": "mentoring"}, {"S": "business"}]}
    assert item["ways"] == {"L": [{"S": "conversation"}, {"S": "business-contacts"}]}
    assert item["region"] == {"S": "Wrocław"}


def test_the_sender_behind_cloudfront_is_the_viewer_not_the_edge(
    handler: Handler, table_items: ItemsOf
) -> None:
    event = load_event("http-api-v2-json")
    handler(event, LambdaContext())

    viewer = sender_hash(IP_HASH_KEY.encode(), "198.51.100.10")
    [counter] = table_items("rate#")
    assert counter["pk"]["S"] == rate_window(viewer, time.time()).key


def test_a_validation_error_in_an_event_is_422(handler: Handler, table_items: ItemsOf) -> None:
    event = load_event("function-url")
    event["body"] = json.dumps({**json.loads(event["body"]), "topic": "lottery"})
    response = handler(event, LambdaContext())

    assert response["statusCode"] == 422
    assert decoded_body(response) == {"errors": [{"field": "topic", "code": "invalid_choice"}]}
    assert table_items("") == []


def test_a_get_event_is_405(handler: Handler) -> None:
    event = load_event("rest-api-v1")
    event.update(httpMethod="GET", body=None)
    response = handler(event, LambdaContext())

    assert response["statusCode"] == 405
    assert response["headers"]["allow"] == "POST, OPTIONS"


def test_a_missing_setting_stops_the_import_naming_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.help_requests.errors import ConfigError

    monkeypatch.delenv("IP_HASH_KEY", raising=False)
    monkeypatch.setenv("TABLE_NAME", "help-requests")
    monkeypatch.setenv("CONSENT_VERSION", "1")
    sys.modules.pop("functions.help_requests.handler", None)
    with pytest.raises(ConfigError, match=r"^IP_HASH_KEY: missing; set this environment variable$"):
        importlib.import_module("functions.help_requests.handler")


def test_lambda_imports_the_handler_light_and_self_contained(
    dynamodb_endpoint: str, tmp_path: Path
) -> None:
    """As Lambda does it: the code root holds `functions/` with this function's code only."""
    code_root = str(stage_code(tmp_path / "code"))
    probe = f"import sys; sys.path[:0] = [{code_root!r}]; import functions.help_requests.handler; "
    probe += "import json; "
    probe += "print(json.dumps({n: getattr(m, '__file__', None) for n, m in sys.modules.items()}))"
    env = {
        "PATH": os.environ["PATH"],
        "TABLE_NAME": "t",
        "IP_HASH_KEY": IP_HASH_KEY,
        "CONTACT_HASH_KEY": CONTACT_HASH_KEY,
        "CONSENT_VERSION": "1",
        "AWS_REGION": "eu-central-1",
        "DYNAMODB_ENDPOINT": dynamodb_endpoint,
    }
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    modules: dict[str, str | None] = json.loads(result.stdout)
    packages = {module.split(".")[0] for module in modules}
    assert {"functions", "mangum", "starlette", "boto3"} <= packages
    # The contract is read as the JSON the build writes: no YAML parser at a cold start.
    assert not packages & {"sitegen", "pydantic", "fastapi", "httpx", "yaml"}
    assert "functions.help_requests.app" in modules
    ours = {name: file for name, file in modules.items() if name.split(".")[0] == "functions"}
    assert not [name for name in ours if name.startswith("functions.moderation")]
    assert all(str(file).startswith(code_root) for file in ours.values()), ours
