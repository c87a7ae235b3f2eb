"""`sam build` (no container) makes an artifact whose handler answers an HTTP API event.

One build (tests/infra/conftest.py) serves every test of the functions' artifacts. The public
function's artifact (`make build-HelpRequestsFunction` in functions/) holds its own code, the
shared code and its requirements, nothing else; its code can make no call that reads, lists or
deletes requests. The built handler is then imported in a clean Python 3.12 that sees only the
build folder and boto3 (which the Lambda runtime provides), and answers a recorded event against
DynamoDB Local, running every module of its code.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from functions.help_requests.contract import CONTRACT_PATH
from functions.help_requests.ratelimit import sender_hash
from sitegen.infra_template import TEMPLATE_PATH, load_template
from tests.infra.sam_build import DISTRIBUTIONS, ROOT, installed, pins, sh

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = [pytest.mark.slow, pytest.mark.dynamodb]

HERE = Path(__file__).resolve().parent
EVENT = HERE / "events" / "http-api-via-cloudfront.json"
OFFER_EVENT = ROOT / "tests" / "events" / "http-api-v2-offer-json.json"
IP_HASH_KEY = "k" * 48
CONTACT_HASH_KEY = "c" * 48
ORIGIN_VERIFY_SECRET = "OriginVerifyRecordedEventValue0123456789abcdefXYZ"
VIEWER_IP = "198.51.100.23"
EDGE_IP = "130.176.89.71"
# Client methods that read, list or delete items; the public function's code names none.
READS = {
    "scan",
    "query",
    "delete_item",
    "batch_get_item",
    "batch_write_item",
    "get_paginator",
    "transact_get_items",
    "execute_statement",
    "batch_execute_statement",
    "execute_transaction",
}


def test_the_public_function_ships_its_code_and_requirements_only(build_dir: Path) -> None:
    function = build_dir / "HelpRequestsFunction"
    code = function / "functions"
    assert (code / "help_requests" / "handler.py").is_file()
    # The contract as JSON, the same data as the document: no YAML parser at a cold start.
    built = json.loads((code / "help_requests" / "openapi.json").read_text(encoding="utf-8"))
    assert built == yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    assert not (code / "help_requests" / "openapi.yaml").exists()
    assert (code / "shared" / "aws.py").is_file()
    assert sorted(path.name for path in code.iterdir()) == [
        "__init__.py",
        "help_requests",
        "shared",
    ]
    assert not (code / "moderation").exists()
    assert not list(function.rglob("__pycache__"))
    for package in ("mangum", "starlette"):
        assert (function / package / "__init__.py").is_file(), package
    assert not (function / "yaml").exists()
    assert not (function / "boto3").exists()
    # Besides its code, only what the installed distributions' records list.
    recorded = {
        line.split(",")[0].split("/")[0]
        for record in function.glob("*.dist-info/RECORD")
        for line in record.read_text(encoding="utf-8").splitlines()
    }
    assert {path.name for path in function.iterdir()} == (recorded - {".."}) | {"functions"}
    versions = installed(function)
    assert set(versions) == DISTRIBUTIONS
    assert versions == {name: pins()[name] for name in versions}
    assert (build_dir / "NotFoundFunction" / "handler.py").is_file()
    built = load_template(build_dir / "template.yaml")
    props = built["Resources"]["HelpRequestsFunction"]["Properties"]
    assert props["CodeUri"] == "HelpRequestsFunction"
    assert props["Handler"] == "functions.help_requests.handler.handler"
    assert props["Architectures"] == ["arm64"]


def forbidden_calls(path: Path) -> list[str]:
    """Each place a file names a method of READS, or calls `get_item` without a projection."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in READS:
            found.append(f"{path.name}:{node.lineno} {node.attr}")
        elif isinstance(node, ast.Constant) and node.value in READS:
            found.append(f"{path.name}:{node.lineno} {node.value}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            keywords = {keyword.arg for keyword in node.keywords}
            if node.func.attr == "get_item" and "ProjectionExpression" not in keywords:
                found.append(f"{path.name}:{node.lineno} get_item without ProjectionExpression")
    return found


def test_the_public_functions_code_reads_no_request_whole(build_dir: Path) -> None:
    code = sorted((build_dir / "HelpRequestsFunction" / "functions").rglob("*.py"))
    assert code
    assert [found for path in code for found in forbidden_calls(path)] == []
    # The check finds what it looks for: in the moderators' code, which reads and erases
    # (through the key and the indexes: no scan).
    moderators = " ".join(forbidden_calls(ROOT / "functions" / "moderation" / "store.py"))
    for name in ("query", "delete_item", "get_paginator", "without ProjectionExpression"):
        assert name in moderators, name
    assert "scan" not in moderators


def test_the_built_handler_answers_a_recorded_http_api_event(
    build_dir: Path,
    lambda_runtime: Path,
    sam_python: Path,
    dynamodb_endpoint: str,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    event = json.loads(EVENT.read_text(encoding="utf-8"))
    assert event["headers"]["x-origin-verify"] == ORIGIN_VERIFY_SECRET
    # The same request sent to the execute-api URL directly, with a forged viewer address.
    direct = json.loads(json.dumps(event))
    del direct["headers"]["x-origin-verify"]
    direct["headers"]["cloudfront-viewer-address"] = "192.0.2.1:443"
    events = [event, event, direct, offer_via_cloudfront(event)]
    report = invoke(
        sam_python, build_dir, lambda_runtime, events, dynamodb_endpoint, dynamodb_table
    )
    assert report["python"] == "3.12"
    assert report["modules"]["yaml"] is None  # not loaded: nothing to import it from
    for name in ("functions", "mangum", "starlette"):
        assert report["modules"][name].startswith(str(build_dir)), name
    assert report["modules"]["boto3"].startswith(str(lambda_runtime))
    # Every module of the function's own code runs: it ships none it does not need.
    code = build_dir / "HelpRequestsFunction" / "functions"
    ran = [file for file in report["loaded"] if file.startswith(str(code))]
    assert ran == sorted(str(path) for path in code.rglob("*.py"))
    first, replay, bypass, offer = report["responses"]
    assert first["statusCode"] == 201, first
    assert offer["statusCode"] == 201, offer
    assert replay["statusCode"] == 200, replay
    assert bypass["statusCode"] == 403, bypass
    assert json.loads(bypass["body"]) == {"error": "forbidden"}
    body = json.loads(first["body"])
    sent = json.loads(event["body"])
    assert body["id"] == sent["id"]
    offered = json.loads(OFFER_EVENT.read_text(encoding="utf-8"))["body"]
    assert len(report["logs"]) == 4
    for line in report["logs"]:
        assert ORIGIN_VERIFY_SECRET not in line
        assert sent["message"] not in line
        assert sent["contact"] not in line
        assert json.loads(offered)["email"] not in line
        assert VIEWER_IP not in line
    items = dynamodb_client.scan(TableName=dynamodb_table, ConsistentRead=True)["Items"]
    keys = sorted(str(item["pk"]["S"]) for item in items)
    assert f"request#{body['id']}" in keys
    assert f"offer#{json.loads(offered)['id']}" in keys
    # Rate limits count the visitor (CloudFront-Viewer-Address), never CloudFront's edge.
    viewer = sender_hash(IP_HASH_KEY.encode(), VIEWER_IP)
    counters = [key for key in keys if not key.startswith(("request#", "offer#", "stats#"))]
    assert counters == [key for key in keys if viewer in key]
    assert any(viewer in key for key in keys)
    assert not any(sender_hash(IP_HASH_KEY.encode(), EDGE_IP) in key for key in keys)


def offer_via_cloudfront(event: dict[str, Any]) -> dict[str, Any]:
    """The recorded help request's event, carrying the recorded offer of help instead."""
    offer = json.loads(OFFER_EVENT.read_text(encoding="utf-8"))
    changed: dict[str, Any] = json.loads(json.dumps(event))
    route = "POST /api/helper-offers"
    changed["routeKey"] = changed["requestContext"]["routeKey"] = route
    changed["rawPath"] = changed["requestContext"]["http"]["path"] = "/api/helper-offers"
    changed["body"] = offer["body"]
    changed["headers"]["content-length"] = str(len(offer["body"].encode()))
    return changed


def invoke(
    python: Path,
    build_dir: Path,
    runtime: Path,
    events: list[dict[str, Any]],
    endpoint: str,
    table: str,
) -> dict[str, Any]:
    """Run invoke_handler.py in an isolated Python 3.12 with the function's environment."""
    env = {
        "TABLE_NAME": table,
        "IP_HASH_KEY": IP_HASH_KEY,
        "CONTACT_HASH_KEY": CONTACT_HASH_KEY,
        "ORIGIN_VERIFY_SECRET": ORIGIN_VERIFY_SECRET,
        "CONSENT_VERSION": "1",
        "SITE_ORIGIN": "https://d111111abcdef8.cloudfront.net",
        "ALLOWED_ORIGINS": "https://d111111abcdef8.cloudfront.net",
        "RETENTION_DAYS": "180",
        "RATE_LIMIT_PER_HOUR": "5",
        "RATE_LIMIT_PER_DAY": "20",
        "MIN_FILL_SECONDS": "3",
        "DYNAMODB_ENDPOINT": endpoint,
        "AWS_REGION": "eu-central-1",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    function = build_dir / "HelpRequestsFunction"
    command: list[str | Path] = [
        python,
        "-I",
        "-S",
        "-B",
        HERE / "invoke_handler.py",
        function,
        runtime,
    ]
    result = sh(command, input=json.dumps(events), env=env, timeout=120)
    *logs, last = result.stdout.splitlines()
    report: dict[str, Any] = json.loads(last)
    report["logs"] = logs
    return report


def test_after_the_sam_transform_each_function_has_only_its_own_role(sam_python: Path) -> None:
    result = sh([sam_python, HERE / "sam_transform.py", TEMPLATE_PATH], timeout=120)
    resources = json.loads(result.stdout)["Resources"]
    kinds = {logical_id: r["Type"] for logical_id, r in resources.items()}
    assert not [kind for kind in kinds.values() if kind.startswith("AWS::Serverless::")]
    roles = sorted(k for k, kind in kinds.items() if kind == "AWS::IAM::Role")
    assert roles == [
        "HelpRequestsFunctionRole",
        "HelpersFunctionRole",
        "MailFeedbackFunctionRole",
        "ModerationFunctionRole",
        "NotFoundFunctionRole",
        "NotifierFunctionRole",
    ]
    for role in roles:
        assert "ManagedPolicyArns" not in resources[role]["Properties"]
        function = resources[role.removesuffix("Role")]["Properties"]
        assert function["Role"] == {"Fn::GetAtt": [role, "Arn"]}


# The notifier, run as the Lambda runtime would: its handler from the build folder, boto3 from
# the runtime's, a recorded stream batch on standard input; then which of its modules ran.
RUN_NOTIFIER = """
import json, sys
build_dir, runtime_dir = sys.argv[1:3]
sys.path[:0] = [build_dir, runtime_dir]
from functions.notifier.handler import handler
response = handler(json.load(sys.stdin), None)
files = [getattr(module, "__file__", None) for module in list(sys.modules.values())]
loaded = sorted(str(file) for file in files if str(file).startswith(build_dir))
boto3 = sys.modules["boto3"].__file__
print(json.dumps({"response": response, "loaded": loaded, "boto3": boto3}))
"""


def test_the_notifier_ships_its_code_and_the_shared_code_only(build_dir: Path) -> None:
    function = build_dir / "NotifierFunction"
    # No requirements: boto3 comes with the runtime.
    assert [path.name for path in function.iterdir()] == ["functions"]
    code = function / "functions"
    assert sorted(path.name for path in code.iterdir()) == ["__init__.py", "notifier", "shared"]
    assert (code / "notifier" / "handler.py").is_file()
    assert not list(function.rglob("__pycache__"))
    built = load_template(build_dir / "template.yaml")
    props = built["Resources"]["NotifierFunction"]["Properties"]
    assert props["CodeUri"] == "NotifierFunction"
    assert props["Handler"] == "functions.notifier.handler.handler"


def test_the_built_notifier_publishes_a_recorded_batch(
    build_dir: Path, lambda_runtime: Path, sam_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.server import ThreadedMotoServer

    from sitegen.serve.dynamodb_local import free_port
    from tests.functions.notifier.conftest import recorded_event, subscribed_topic

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        env = {
            "AWS_ENDPOINT_URL_SNS": f"http://127.0.0.1:{port}",
            "AWS_ENDPOINT_URL_SQS": f"http://127.0.0.1:{port}",
            "AWS_REGION": "eu-central-1",
            "AWS_DEFAULT_REGION": "eu-central-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        topic = subscribed_topic("moderators")
        env |= {"TOPIC_ARN": topic.arn, "INBOX_URL": "https://ask.example.org/admin/"}
        function = build_dir / "NotifierFunction"
        command: list[str | Path] = [sam_python, "-I", "-S", "-B", "-c", RUN_NOTIFIER]
        result = sh(
            [*command, function, lambda_runtime],
            input=json.dumps(recorded_event()),
            env=env,
            timeout=120,
        )
        published = topic.messages()
    finally:
        server.stop()
    log, last = result.stdout.splitlines()
    report = json.loads(last)
    assert report["response"] == {"batchItemFailures": []}
    assert report["boto3"].startswith(str(lambda_runtime))
    # Every module of its own code runs (of the shared code, what it uses).
    own = function / "functions" / "notifier"
    assert [file for file in report["loaded"] if file.startswith(str(own))] == sorted(
        str(path) for path in own.glob("*.py")
    )
    assert json.loads(log) == {
        "event": "notification",
        "level": "info",
        "records": 4,
        "new_requests": 1,
        "skipped": 3,
        "malformed": 0,
        "published": True,
    }
    [message] = published
    assert message["Subject"] == "1 new help request"
    link = "https://ask.example.org/admin/request/?id=7d444840-9dc0-41b5-9a3b-8a0e0d6f1c2a"
    assert link in message["Message"]
    for value in ("Zofia", "zofia.recognisable@example.org", "recognisable message"):
        assert value not in json.dumps(message)


# The moderators' function, run as the Lambda runtime would: its handler from the build
# folder, boto3 from the runtime's, a recorded HTTP API event with a JWT authorizer's claims.
RUN_MODERATION = """
import asyncio, json, sys
build_dir, runtime_dir = sys.argv[1:3]
sys.path[:0] = [build_dir, runtime_dir]
asyncio.set_event_loop(asyncio.new_event_loop())
from functions.moderation.handler import handler
class Context:
    aws_request_id = "c0ffee00-1d7a-4a7e-9b1f-2e6d4c8a9b10"
    def get_remaining_time_in_millis(self):
        return 25000
response = handler(json.load(sys.stdin), Context())
files = [getattr(module, "__file__", None) for module in list(sys.modules.values())]
loaded = sorted(str(file) for file in files if str(file).startswith(build_dir))
boto3 = sys.modules["boto3"].__file__
print(json.dumps({"response": response, "loaded": loaded, "boto3": boto3}))
"""
MODERATION_EVENT = (
    ROOT / "tests" / "functions" / "moderation" / "events" / "http-api-jwt-status.json"
)


def test_the_moderators_function_ships_its_api_shared_code_and_requirements_only(
    build_dir: Path,
) -> None:
    function = build_dir / "ModerationFunction"
    code = function / "functions"
    assert sorted(path.name for path in code.iterdir()) == ["__init__.py", "moderation", "shared"]
    shipped = sorted(path.name for path in (code / "moderation").iterdir())
    assert "handler.py" in shipped
    # The command line stays on moderators' machines; the contract is read by no code here.
    assert not {"cli.py", "__main__.py", "openapi.yaml"} & set(shipped)
    sources = sorted(path.name for path in (ROOT / "functions" / "moderation").glob("*.py"))
    assert shipped == [name for name in sources if name not in {"cli.py", "__main__.py"}]
    assert not list(function.rglob("__pycache__"))
    assert not (function / "bin").exists()
    assert not (function / "boto3").exists()
    versions = installed(function)
    assert set(versions) == DISTRIBUTIONS
    assert versions == {name: pins()[name] for name in versions}
    built = load_template(build_dir / "template.yaml")
    props = built["Resources"]["ModerationFunction"]["Properties"]
    assert props["CodeUri"] == "ModerationFunction"
    assert props["Handler"] == "functions.moderation.handler.handler"


def test_the_built_moderators_function_answers_a_recorded_event(
    build_dir: Path,
    lambda_runtime: Path,
    sam_python: Path,
    dynamodb_endpoint: str,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    from tests.functions.moderation.conftest import request_item

    event = json.loads(MODERATION_EVENT.read_text(encoding="utf-8"))
    request_id = event["rawPath"].split("/")[-2]
    item = request_item(request_id, contact="zofia.recognisable@example.org")
    dynamodb_client.put_item(TableName=dynamodb_table, Item=item)
    env = {
        "TABLE_NAME": dynamodb_table,
        "CONTACT_HASH_KEY": CONTACT_HASH_KEY,
        "RETENTION_DAYS": "180",
        "DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "AWS_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    function = build_dir / "ModerationFunction"
    command: list[str | Path] = [sam_python, "-I", "-S", "-B", "-c", RUN_MODERATION]
    result = sh([*command, function, lambda_runtime], input=json.dumps(event), env=env, timeout=120)

    log, last = result.stdout.splitlines()
    report = json.loads(last)
    assert report["response"]["statusCode"] == 200, report["response"]
    changed = json.loads(report["response"]["body"])
    assert (changed["status"], changed["version"]) == ("answered", 2)
    assert changed["history"][0]["by"] == "anna"
    assert report["boto3"].startswith(str(lambda_runtime))
    # Every module it ships runs: it carries none it does not need.
    code = function / "functions"
    ran = [file for file in report["loaded"] if file.startswith(str(code))]
    assert ran == sorted(str(path) for path in code.rglob("*.py"))
    assert json.loads(log)["route"] == "POST /requests/{id}/status"
    assert "zofia" not in log
