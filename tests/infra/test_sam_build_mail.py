"""`sam build`'s artifacts of the functions that send e-mail, and of the one that hears back.

The helpers' function ships its package, the shared code, the e-mails' templates and strings,
Jinja2 (with MarkupSafe) and its pages' Mangum and Starlette; the mail feedback function only
the shared modules bounces.py imports; every other function neither the mail code nor Jinja2.
Each built handler runs in a clean Python 3.12 that sees only its build folder and the Lambda
runtime's boto3.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from functions.shared.suppression import suppressed_key
from sitegen.infra_template import load_template
from tests.infra.sam_build import DISTRIBUTIONS, LOCAL_AWS, ROOT, installed, pins, sh

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = [pytest.mark.slow]

CONTACT_HASH_KEY = "c" * 48
MAIL_DISTRIBUTIONS = {"jinja2", "markupsafe"}
MAIL_CODE = ("mail.py", "tokens.py", "suppression.py", "mail_assets")
LANGUAGES = ("de", "en", "pl")
BOUNCE = ROOT / "tests" / "functions" / "shared" / "events" / "ses_bounce_permanent.json"
BOUNCED = "Gone.Away@Example.org"
# Run as the Lambda runtime would: the build folder and the runtime's boto3 only; the handler
# answers a link's page, then renders an e-mail; which modules ran, and from where.
RUN_HELPERS = """
import asyncio, datetime, json, sys
build_dir, runtime_dir = sys.argv[1:3]
sys.path[:0] = [build_dir, runtime_dir]
asyncio.set_event_loop(asyncio.new_event_loop())
from functions.helpers.handler import handler
from functions.shared.mail import MailAssets, Renderer
class Context:
    aws_request_id = "5e1f0c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
    def get_remaining_time_in_millis(self):
        return 25000
page = handler(json.load(sys.stdin), Context())
values = {
    "name": "Ada", "topic": "Job search", "confirm_url": "https://example.org/api/links/en/t",
    "expires": datetime.date(2026, 12, 10), "days": 7, "pause_url": "https://example.org/p",
}
email = Renderer(MailAssets.load()).render("helper_confirm", "en", values)
names = ("jinja2", "markupsafe", "mangum", "starlette", "yaml", "boto3")
modules = {name: getattr(sys.modules.get(name), "__file__", None) for name in names}
mail = {"subject": email.subject, "text": email.text, "html": email.html}
print(json.dumps({"page": page, "mail": mail, "modules": modules}))
"""
RUN_MAIL_FEEDBACK = """
import json, sys
build_dir, runtime_dir = sys.argv[1:3]
sys.path[:0] = [build_dir, runtime_dir]
from functions.shared.bounces import handler
response = handler(json.load(sys.stdin), None)
files = [getattr(module, "__file__", None) for module in list(sys.modules.values())]
loaded = sorted(str(file) for file in files if str(file).startswith(build_dir))
print(json.dumps({"response": response, "loaded": loaded, "boto3": sys.modules["boto3"].__file__}))
"""


def own_files(folder: Path) -> list[str]:
    """The files of a folder of this repository, as paths relative to it, without byte code."""
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


def test_the_helpers_function_ships_its_code_the_mail_assets_and_jinja_only(
    build_dir: Path,
) -> None:
    function = build_dir / "HelpersFunction"
    code = function / "functions"
    assert sorted(path.name for path in code.iterdir()) == ["__init__.py", "helpers", "shared"]
    assert own_files(code / "helpers") == own_files(ROOT / "functions" / "helpers")
    # The bounce handler runs in its own function.
    shared = [name for name in own_files(ROOT / "functions" / "shared") if name != "bounces.py"]
    assert own_files(code / "shared") == sorted(
        [*(n for n in shared if not n.startswith("mail_assets/")), *assets(code)]
    )
    templates = code / "shared" / "mail_assets" / "templates"
    assert own_files(templates) == own_files(ROOT / "templates" / "email")
    strings = code / "shared" / "mail_assets" / "strings"
    assert own_files(strings) == [f"{lang}.json" for lang in LANGUAGES]
    for lang in LANGUAGES:
        texts = json.loads((strings / f"{lang}.json").read_text(encoding="utf-8"))
        assert "email.helper_confirm.subject" in texts, lang
    # The pages' requirements, Jinja2 and what they pull in, at their pins, and nothing else.
    versions = installed(function)
    assert set(versions) == DISTRIBUTIONS | MAIL_DISTRIBUTIONS
    assert versions == {name: pins()[name] for name in versions}
    recorded = {
        line.split(",")[0].split("/")[0]
        for record in function.glob("*.dist-info/RECORD")
        for line in record.read_text(encoding="utf-8").splitlines()
    }
    assert {path.name for path in function.iterdir()} == (recorded - {".."}) | {"functions"}
    assert not list(function.rglob("__pycache__"))
    built = load_template(build_dir / "template.yaml")
    props = built["Resources"]["HelpersFunction"]["Properties"]
    assert (props["CodeUri"], props["Handler"]) == (
        "HelpersFunction",
        "functions.helpers.handler.handler",
    )


def assets(code: Path) -> list[str]:
    """The built mail assets, as paths relative to the shared folder."""
    return [f"mail_assets/{name}" for name in own_files(code / "shared" / "mail_assets")]


def test_the_built_helpers_function_answers_a_link_and_renders_an_e_mail(
    build_dir: Path, lambda_runtime: Path, sam_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.server import ThreadedMotoServer

    from sitegen.serve.dynamodb_local import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for name, value in LOCAL_AWS.items():
            monkeypatch.setenv(name, value)
        secrets = secrets_client(endpoint)
        value = json.dumps({"id": "1", "key": "k" * 64})
        arn = secrets.create_secret(Name="link-key", SecretString=value)["ARN"]
        env = {**LOCAL_AWS, **HELPERS_ENV, "LINK_KEY_SECRET_ARN": arn, "SECRETS_ENDPOINT": endpoint}
        command: list[str | Path] = [sam_python, "-I", "-S", "-B", "-c", RUN_HELPERS]
        function = build_dir / "HelpersFunction"
        event = link_event("GET", "de", "not-a-signed-token")
        result = sh([*command, function, lambda_runtime], input=event, env=env, timeout=120)
    finally:
        server.stop()
    report: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    for name in (*MAIL_DISTRIBUTIONS, "mangum", "starlette"):
        assert report["modules"][name].startswith(str(function / name)), name
    assert report["modules"]["boto3"].startswith(str(lambda_runtime))
    assert report["modules"]["yaml"] is None  # the strings come as JSON
    # A tampered link: its own page, in the link's language, kept by nobody.
    page = report["page"]
    assert page["statusCode"] == 400, page
    assert page["headers"]["cache-control"] == "no-store"
    assert page["headers"]["content-type"].startswith("text/html")
    assert '<html lang="de"' in page["body"]
    mail = report["mail"]
    assert mail["subject"]
    assert "https://example.org/api/links/en/t" in mail["text"]
    assert "https://example.org/p" in mail["text"]
    assert "Job search" in mail["html"]


HELPERS_ENV = {
    "TABLE_NAME": "help-requests",
    "SITE_URL": "https://example.org",
    "CONTACT_HASH_KEY": CONTACT_HASH_KEY,
    "MAIL_FROM": "Ask for Help <hello@example.org>",
    "MAIL_CONFIGURATION_SET": "ask-for-help-mail",
}


def secrets_client(endpoint: str) -> Any:
    """A Secrets Manager client of moto's server."""
    import boto3

    return boto3.client(
        "secretsmanager", endpoint_url=endpoint, region_name=LOCAL_AWS["AWS_REGION"]
    )


def link_event(method: str, lang: str, token: str) -> str:
    """An HTTP API (payload 2.0) event for a link, as API Gateway sends it through CloudFront."""
    path = f"/api/links/{lang}/{token}"
    event = {
        "version": "2.0",
        "routeKey": f"{method} /api/links/{{lang}}/{{token}}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "abc123.execute-api.eu-central-1.amazonaws.com", "accept": "text/html"},
        "pathParameters": {"lang": lang, "token": token},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-central-1.amazonaws.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "130.176.89.71",
                "userAgent": "Mozilla/5.0",
            },
            "requestId": "b1c2d3e4",
            "routeKey": f"{method} /api/links/{{lang}}/{{token}}",
            "stage": "$default",
            "time": "03/Dec/2026:18:00:00 +0000",
            "timeEpoch": 1796320800000,
        },
        "isBase64Encoded": False,
    }
    return json.dumps(event)


@pytest.mark.parametrize(
    "function", ["HelpRequestsFunction", "ModerationFunction", "NotifierFunction"]
)
def test_functions_without_mail_ship_no_mail_code_and_no_jinja(
    build_dir: Path, function: str
) -> None:
    folder = build_dir / function
    assert not {path.name for path in folder.iterdir()} & MAIL_DISTRIBUTIONS
    assert not MAIL_DISTRIBUTIONS & set(installed(folder))
    shared = folder / "functions" / "shared"
    assert not [name for name in MAIL_CODE if (shared / name).exists()]
    assert not (shared / "bounces.py").exists()


def test_the_mail_feedback_function_ships_what_bounces_imports_only(build_dir: Path) -> None:
    function = build_dir / "MailFeedbackFunction"
    assert [path.name for path in function.iterdir()] == ["functions"]
    assert own_files(function / "functions") == [
        "__init__.py",
        "shared/__init__.py",
        "shared/aws.py",
        "shared/bounces.py",
        "shared/contact.py",
        "shared/errors.py",
        "shared/suppression.py",
        "shared/table.py",
    ]
    built = load_template(build_dir / "template.yaml")
    props = built["Resources"]["MailFeedbackFunction"]["Properties"]
    assert (props["CodeUri"], props["Handler"]) == (
        "MailFeedbackFunction",
        "functions.shared.bounces.handler",
    )


@pytest.mark.dynamodb
def test_the_built_mail_feedback_function_suppresses_a_recorded_bounce(
    build_dir: Path,
    lambda_runtime: Path,
    sam_python: Path,
    dynamodb_endpoint: str,
    dynamodb_client: DynamoDBClient,
    dynamodb_table: str,
) -> None:
    env = {
        **LOCAL_AWS,
        "TABLE_NAME": dynamodb_table,
        "CONTACT_HASH_KEY": CONTACT_HASH_KEY,
        "DYNAMODB_ENDPOINT": dynamodb_endpoint,
    }
    function = build_dir / "MailFeedbackFunction"
    command: list[str | Path] = [sam_python, "-I", "-S", "-B", "-c", RUN_MAIL_FEEDBACK]
    event = BOUNCE.read_text(encoding="utf-8")
    result = sh([*command, function, lambda_runtime], input=event, env=env, timeout=120)
    log, last = result.stdout.splitlines()
    report = json.loads(last)
    assert report["response"] == {"suppressed": 1, "already": 0, "ignored": 0, "unreadable": 0}
    assert report["boto3"].startswith(str(lambda_runtime))
    # Every module it ships runs: it carries none it does not need.
    code = function / "functions"
    assert report["loaded"] == sorted(str(path) for path in code.rglob("*.py"))
    assert BOUNCED.lower() not in log.lower()
    key = suppressed_key(BOUNCED, CONTACT_HASH_KEY.encode())
    item = dynamodb_client.get_item(
        TableName=dynamodb_table, Key={"pk": {"S": key}}, ConsistentRead=True
    )["Item"]
    assert item["reason"] == {"S": "bounce"}
