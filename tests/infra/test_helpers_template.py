"""The SAM template's helpers' function, its links, stream, schedule and e-mail, asserted.

What each function's code calls is held to its role here too: a client method the code names
that the role does not allow fails in AWS only, never against DynamoDB Local or moto."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from functions.shared import table
from functions.shared.tokens import parse_secret
from sitegen.infra_template import TEMPLATE_PATH, load_template
from tests.infra.test_template import (
    Template,
    as_list,
    grants,
    log_streams,
    module_constants,
    of_type,
    resource,
    statements,
)

ROOT = Path(__file__).resolve().parents[2]
TABLE = {"Fn::GetAtt": ["HelpRequestsTable", "Arn"]}
STREAM = {"Fn::GetAtt": ["HelpRequestsTable", "StreamArn"]}
KEY = {"Fn::GetAtt": ["DataKey", "Arn"]}
CONTACT_KEY = {"Fn::Sub": "{{resolve:secretsmanager:${ContactHashKeySecret}:SecretString}}"}
ARN = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
IDENTITY = {"Fn::Sub": ARN + "identity/${MailFromDomain}"}
CONFIGURATION_SET = {"Fn::Sub": ARN + "configuration-set/${MailConfigurationSet}"}
FROM_ADDRESS = "${MailFromLocalPart}@${MailFromDomain}"
LINK_ROUTES = {
    "LinkPageRoute": "GET /api/links/{lang}/{token}",
    "LinkActionRoute": "POST /api/links/{lang}/{token}",
}
FLOW_KEYS = ["offer#*", "intro#*", "request#*"]


@pytest.fixture(scope="module")
def template() -> Template:
    """The parsed `infra/template.yaml`."""
    return load_template()


def helpers(template: Template) -> Template:
    return resource(template, "HelpersFunction", "AWS::Serverless::Function")


def mail_feedback(template: Template) -> Template:
    return resource(template, "MailFeedbackFunction", "AWS::Serverless::Function")


def by_sid(role: Template) -> dict[str, Template]:
    return {s["Sid"]: s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]}


def leading_keys(role: Template) -> dict[str, list[str]]:
    """Each statement's key prefixes, by Sid, for the statements that have them."""
    return {
        sid: statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        for sid, statement in by_sid(role).items()
        if "ForAllValues:StringLike" in statement.get("Condition", {})
    }


# --- The function and its links -----------------------------------------------------------


def test_the_helpers_function_is_its_own_package(template: Template) -> None:
    props = helpers(template)
    assert template["Resources"]["HelpersFunction"]["Metadata"] == {"BuildMethod": "makefile"}
    makefile = (ROOT / "functions" / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^build-HelpersFunction: mail-assets$", makefile, re.MULTILINE)
    assert props["CodeUri"] == "../functions/"
    assert props["Handler"] == "functions.helpers.handler.handler"
    assert (props["Runtime"], props["Architectures"]) == ("python3.12", ["arm64"])
    assert props["Role"] == {"Fn::GetAtt": ["HelpersFunctionRole", "Arn"]}
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": "HelpersLogGroup"}}
    integration = resource(template, "HelpersIntegration", "AWS::ApiGatewayV2::Integration")
    assert integration["IntegrationUri"] == {"Fn::GetAtt": ["HelpersFunction", "Arn"]}
    assert integration["PayloadFormatVersion"] == "2.0"
    assert props["Timeout"] * 1000 < integration["TimeoutInMillis"] <= 30000


def test_the_helpers_function_gets_the_environment_its_configuration_reads(
    template: Template,
) -> None:
    env = helpers(template)["Environment"]["Variables"]
    assert env == {
        "TABLE_NAME": {"Ref": "HelpRequestsTable"},
        # No trailing slash: links are `{SITE_URL}/api/links/...`.
        "SITE_URL": {
            "Fn::If": [
                "HasDomain",
                {"Fn::Sub": "https://${DomainName}"},
                {"Fn::Sub": "https://${SiteDistribution.DomainName}"},
            ]
        },
        "LINK_KEY_SECRET_ARN": {"Ref": "LinkKeySecret"},
        "CONTACT_HASH_KEY": CONTACT_KEY,
        "MAIL_FROM": {
            "Fn::If": [
                "HasMailDomain",
                {"Fn::Sub": f"Ask for Help <{FROM_ADDRESS}>"},
                {"Ref": "AWS::NoValue"},
            ]
        },
        "MAIL_CONFIGURATION_SET": {"Ref": "MailConfigurationSet"},
    }
    # Every name is one the function's configuration reads.
    config = (ROOT / "functions" / "helpers" / "config.py").read_text(encoding="utf-8")
    for name in env:
        assert f'"{name}"' in config, name


def test_both_link_routes_reach_the_helpers_function_throttled_and_permitted(
    template: Template,
) -> None:
    routes = of_type(template, "AWS::ApiGatewayV2::Route")
    target = {"Fn::Sub": "integrations/${HelpersIntegration}"}
    assert {
        k: r["Properties"]["RouteKey"]
        for k, r in routes.items()
        if r["Properties"]["Target"] == target
    } == LINK_ROUTES
    path = module_constants(ROOT / "functions" / "helpers" / "links.py")["PATH"]
    stage = resource(template, "HttpApiStage", "AWS::ApiGatewayV2::Stage")
    default = stage["DefaultRouteSettings"]
    for logical_id, route_key in LINK_ROUTES.items():
        route = routes[logical_id]["Properties"]
        assert route_key.split(" ")[1].startswith(f"{path}/")
        # Anyone with a link may open it: the signed token is the authorisation.
        assert "AuthorizerId" not in route
        assert logical_id in template["Resources"]["HttpApiStage"]["DependsOn"]
        limits = stage["RouteSettings"][route_key]
        assert 0 < limits["ThrottlingRateLimit"] <= limits["ThrottlingBurstLimit"]
        assert limits["ThrottlingRateLimit"] <= default["ThrottlingRateLimit"]
        assert limits["ThrottlingBurstLimit"] <= default["ThrottlingBurstLimit"]
    permissions = {
        permission["Properties"]["SourceArn"]["Fn::Sub"]
        for permission in of_type(template, "AWS::Lambda::Permission").values()
        if permission["Properties"]["FunctionName"] == {"Ref": "HelpersFunction"}
    }
    api = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpApi}"
    assert permissions == {f"{api}/*/GET{path}/*", f"{api}/*/POST{path}/*"}


def test_the_links_pages_send_no_referrer_and_are_kept_by_nobody(template: Template) -> None:
    def config(logical_id: str) -> Template:
        policy = resource(template, logical_id, "AWS::CloudFront::ResponseHeadersPolicy")
        found: Template = policy["ResponseHeadersPolicyConfig"]
        return found

    site, links = config("SecurityHeadersPolicy"), config("LinksHeadersPolicy")
    # A link's token is its path: it must reach no other site, and no cache or index.
    assert links["SecurityHeadersConfig"]["ReferrerPolicy"] == {
        "ReferrerPolicy": "no-referrer",
        "Override": True,
    }
    # The pages' own, stricter Content-Security-Policy wins; the site's fills in where none.
    csp = site["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    assert links["SecurityHeadersConfig"]["ContentSecurityPolicy"] == {**csp, "Override": False}
    kept = ("ReferrerPolicy", "ContentSecurityPolicy")
    same = {k: v for k, v in site["SecurityHeadersConfig"].items() if k not in kept}
    assert {k: v for k, v in links["SecurityHeadersConfig"].items() if k not in kept} == same
    custom = links["CustomHeadersConfig"]["Items"]
    assert custom == [
        *site["CustomHeadersConfig"]["Items"],
        {"Header": "Cache-Control", "Value": "no-store", "Override": True},
        {"Header": "X-Robots-Tag", "Value": "noindex, nofollow", "Override": True},
    ]
    assert links["RemoveHeadersConfig"] == site["RemoveHeadersConfig"]
    props = resource(template, "SiteDistribution", "AWS::CloudFront::Distribution")
    behaviors = {b["PathPattern"]: b for b in props["DistributionConfig"]["CacheBehaviors"]}
    patterns = list(behaviors)
    # CloudFront takes the first pattern that matches.
    assert patterns.index("/api/links/*") < patterns.index("/api/*")
    assert behaviors["/api/links/*"] == {
        **behaviors["/api/*"],
        "PathPattern": "/api/links/*",
        "OriginRequestPolicyId": {"Ref": "LinksOriginRequestPolicy"},
        "ResponseHeadersPolicyId": {"Ref": "LinksHeadersPolicy"},
    }


def test_the_links_pages_get_the_one_query_parameter_they_read(template: Template) -> None:
    policy = resource(template, "LinksOriginRequestPolicy", "AWS::CloudFront::OriginRequestPolicy")
    config = policy["OriginRequestPolicyConfig"]
    assert config["QueryStringsConfig"] == {
        "QueryStringBehavior": "whitelist",
        "QueryStrings": ["answer"],
    }
    assert config["CookiesConfig"] == {"CookieBehavior": "none"}
    headers = config["HeadersConfig"]
    assert headers["HeaderBehavior"] == "whitelist"
    # Not the visitor's address, nor anything that signs someone in.
    assert {h.lower() for h in headers["Headers"]} == {"accept", "content-type", "origin"}
    # The parameter a follow-up's links carry, and the one the pages read.
    mails = (ROOT / "functions" / "helpers" / "mails.py").read_text(encoding="utf-8")
    pages = (ROOT / "functions" / "helpers" / "pages.py").read_text(encoding="utf-8")
    assert set(re.findall(r"\?(\w+)=", mails)) == {"answer"}
    assert re.findall(r'query_params\.get\("(\w+)"\)', pages) == ["answer"]


# --- Stream and schedule ------------------------------------------------------------------


def matches(pattern: Mapping[str, Any], value: Mapping[str, Any]) -> bool:
    """Lambda's event filtering for the rules the helpers' filters use: values, prefix, exists."""
    for key, rule in pattern.items():
        if isinstance(rule, Mapping):
            if not isinstance(value.get(key), Mapping) or not matches(rule, value[key]):
                return False
        elif not any(allows(option, key, value) for option in rule):
            return False
    return True


def allows(option: Any, key: str, value: Mapping[str, Any]) -> bool:
    if isinstance(option, Mapping) and "exists" in option:
        return (key in value) is option["exists"]
    if key not in value:
        return False
    if isinstance(option, Mapping):
        return isinstance(value[key], str) and value[key].startswith(option["prefix"])
    return bool(option == value[key])


def record(event: str, pk: str, image: dict[str, Any] | None) -> dict[str, Any]:
    change: dict[str, Any] = {"Keys": {"pk": {"S": pk}}}
    if image is not None:
        change["NewImage"] = {"pk": {"S": pk}, **image}
    return {"eventName": event, "dynamodb": change}


HANDED_OVER = {
    "a new offer (its confirmation mail)": record("INSERT", "offer#1", {"status": {"S": "x"}}),
    "an introduction asking for mail": record(
        "INSERT", "intro#1", {"outbox": {"S": "introduction_request"}}
    ),
    "an accepted introduction": record(
        "MODIFY", "intro#1", {"outbox": {"S": "introduction_accepted"}}
    ),
    "a request's follow-up": record("MODIFY", "request#1", {"outbox": {"S": "follow_up"}}),
}
PASSED_BY = {
    "a new request": record("INSERT", "request#1", {"status": {"S": "new"}}),
    "a confirmed offer": record("MODIFY", "offer#1", {"status": {"S": "confirmed"}}),
    "the sent mail's outbox removed": record("MODIFY", "intro#1", {"status": {"S": "pending"}}),
    "an erased offer": record("REMOVE", "offer#1", None),
    "a rate counter": record("INSERT", "rate#x#h#1", {"count": {"N": "1"}}),
    "a month's figures": record("MODIFY", "stats#2026-12", {"received": {"N": "3"}}),
}


def outbox_event(template: Template) -> Template:
    event: Template = helpers(template)["Events"]["Outbox"]
    assert event["Type"] == "DynamoDB"
    properties: Template = event["Properties"]
    return properties


def test_the_stream_hands_over_new_offers_and_items_that_ask_for_mail(template: Template) -> None:
    props = dict(outbox_event(template))
    filters = [json.loads(f["Pattern"]) for f in props.pop("FilterCriteria")["Filters"]]
    assert props == {
        "Stream": STREAM,
        "Enabled": {"Fn::If": ["HasMailDomain", True, False]},
        "StartingPosition": "LATEST",
        "BatchSize": 10,
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": 10,
        "MaximumRecordAgeInSeconds": 21600,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "DestinationConfig": {
            "OnFailure": {
                "Type": "SQS",
                "Destination": {"Fn::GetAtt": ["HelpersDeadLetterQueue", "Arn"]},
            }
        },
    }
    for name, change in HANDED_OVER.items():
        assert any(matches(pattern, change) for pattern in filters), name
    for name, change in PASSED_BY.items():
        assert not any(matches(pattern, change) for pattern in filters), name
    # Two readers of one stream: the notifier and this function. A third would be throttled.
    mappings = [
        event
        for function in of_type(template, "AWS::Serverless::Function").values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "DynamoDB"
    ]
    assert len(mappings) == 2


def test_the_schedule_runs_once_a_day_in_the_european_morning(template: Template) -> None:
    event = helpers(template)["Events"]["Daily"]
    assert event["Type"] == "Schedule"
    props = event["Properties"]
    assert props["State"] == {"Fn::If": ["HasMailDomain", "ENABLED", "DISABLED"]}
    cron = re.fullmatch(r"cron\((.*)\)", props["Schedule"])
    assert cron is not None
    minutes, hours, day, month, weekday, year = cron.group(1).split()
    assert minutes.isdigit()
    assert hours.isdigit()
    assert 4 <= int(hours) <= 7  # 05:00 to 09:00 in Berlin and Warsaw, summer or winter
    assert (day, month, weekday, year) == ("*", "*", "?", "*")


def test_without_a_sending_domain_nothing_waits_for_mail(template: Template) -> None:
    assert template["Conditions"]["HasMailDomain"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "MailFromDomain"}, ""]}]
    }
    parameters = template["Parameters"]
    assert parameters["MailFromDomain"]["Default"] == ""
    domain = re.compile(parameters["MailFromDomain"]["AllowedPattern"])
    for good in ("", "help.example.org", "example.org"):
        assert domain.fullmatch(good), good
    for bad in ("example", "Example.org", "hello@example.org", "example.org."):
        assert not domain.fullmatch(bad), bad
    local = re.compile(parameters["MailFromLocalPart"]["AllowedPattern"])
    assert local.fullmatch(parameters["MailFromLocalPart"]["Default"])
    for bad in ("", "a b", "hello@", ".hello", "<hello>"):
        assert not local.fullmatch(bad), bad
    identity = template["Resources"]["MailIdentity"]
    assert identity["Condition"] == "HasMailDomain"
    assert identity["DependsOn"] == "MailFeedbackDestination"
    dkim = [name for name, output in template["Outputs"].items() if name.startswith("MailDkim")]
    assert len(dkim) == 3
    for name in dkim:
        assert template["Outputs"][name]["Condition"] == "HasMailDomain"


# --- Least privilege ----------------------------------------------------------------------


def test_the_helpers_function_may_do_its_flows_and_nothing_else(template: Template) -> None:
    role = resource(template, "HelpersFunctionRole", "AWS::IAM::Role")
    streams = log_streams("HelpersLogGroup")
    indexes = [{"Fn::Sub": "${HelpRequestsTable.Arn}/index/" + n} for n in ("by-due", "by-helper")]
    assert grants(role) == {
        "dynamodb:DescribeStream": [STREAM],
        "dynamodb:GetRecords": [STREAM],
        "dynamodb:GetShardIterator": [STREAM],
        "dynamodb:ListStreams": [STREAM],
        "dynamodb:GetItem": [TABLE],
        "dynamodb:UpdateItem": [TABLE],
        "dynamodb:ConditionCheckItem": [TABLE],
        "dynamodb:DeleteItem": [TABLE],
        "dynamodb:Query": indexes,
        "ses:SendEmail": [IDENTITY, CONFIGURATION_SET],
        "secretsmanager:GetSecretValue": [{"Ref": "LinkKeySecret"}],
        "sqs:SendMessage": [{"Fn::GetAtt": ["HelpersDeadLetterQueue", "Arn"]}],
        "kms:Decrypt": [KEY],
        "kms:GenerateDataKey": [KEY],
        "logs:CreateLogStream": [streams],
        "logs:PutLogEvents": [streams],
    }
    assert leading_keys(role) == {
        "ReadTheFlowsItems": [*FLOW_KEYS, "suppressed#*"],
        "ChangeTheFlowsItems": [*FLOW_KEYS, "stats#*", "mailcap#*"],
        "EraseWithdrawnOffers": ["offer#*"],
    }
    statement = by_sid(role)["EncryptForTheQueueOnly"]
    assert statement["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Sub": "sqs.${AWS::Region}.${AWS::URLSuffix}"}}
    }


def test_mail_goes_from_the_identity_through_the_configuration_set_only(
    template: Template,
) -> None:
    role = resource(template, "HelpersFunctionRole", "AWS::IAM::Role")
    assert by_sid(role)["MailFromTheIdentityThroughTheConfigurationSet"] == {
        "Sid": "MailFromTheIdentityThroughTheConfigurationSet",
        "Effect": "Allow",
        "Action": "ses:SendEmail",
        "Resource": [IDENTITY, CONFIGURATION_SET],
        "Condition": {"StringEquals": {"ses:FromAddress": {"Fn::Sub": FROM_ADDRESS}}},
    }
    senders = {
        logical_id
        for logical_id, statement in statements(template)
        for action in as_list(statement["Action"])
        if action.startswith("ses:")
    }
    assert senders == {"HelpersFunctionRole"}
    identity = resource(template, "MailIdentity", "AWS::SES::EmailIdentity")
    assert identity["EmailIdentity"] == {"Ref": "MailFromDomain"}
    assert identity["DkimAttributes"] == {"SigningEnabled": True}
    assert identity["ConfigurationSetAttributes"] == {
        "ConfigurationSetName": {"Ref": "MailConfigurationSet"}
    }
    assert identity["FeedbackAttributes"] == {"EmailForwardingEnabled": False}
    configuration = resource(template, "MailConfigurationSet", "AWS::SES::ConfigurationSet")
    assert configuration["DeliveryOptions"] == {"TlsPolicy": "REQUIRE"}
    assert configuration["SuppressionOptions"] == {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]}


def test_the_link_key_is_generated_and_readable_by_the_helpers_function_only(
    template: Template,
) -> None:
    secret = resource(template, "LinkKeySecret", "AWS::SecretsManager::Secret")
    assert secret["KmsKeyId"] == {"Ref": "DataKey"}
    assert "SecretString" not in secret
    generated = secret["GenerateSecretString"]
    assert generated["ExcludePunctuation"] is True
    # What Secrets Manager makes of it is what the function's key loader reads.
    value = json.loads(generated["SecretStringTemplate"])
    value[generated["GenerateStringKey"]] = "k" * generated["PasswordLength"]
    keys = parse_secret(json.dumps(value))
    assert keys.current.key_id == value["id"]
    assert keys.previous is None
    readers = {
        logical_id
        for logical_id, statement in statements(template)
        if "secretsmanager:GetSecretValue" in as_list(statement["Action"])
    }
    assert readers == {"HelpersFunctionRole"}
    # Never resolved into a template value, where the stack's readers could see it.
    assert "${LinkKeySecret}:SecretString" not in TEMPLATE_PATH.read_text(encoding="utf-8")


def test_bounces_and_complaints_reach_the_mail_feedback_function(template: Template) -> None:
    destination = resource(
        template, "MailFeedbackDestination", "AWS::SES::ConfigurationSetEventDestination"
    )
    assert template["Resources"]["MailFeedbackDestination"]["DependsOn"] == (
        "MailFeedbackTopicPolicy"
    )
    assert destination["ConfigurationSetName"] == {"Ref": "MailConfigurationSet"}
    assert destination["EventDestination"]["Enabled"] is True
    assert destination["EventDestination"]["MatchingEventTypes"] == ["bounce", "complaint"]
    assert destination["EventDestination"]["SnsDestination"] == {
        "TopicARN": {"Ref": "MailFeedbackTopic"}
    }
    topic = resource(template, "MailFeedbackTopic", "AWS::SNS::Topic")
    assert topic["KmsMasterKeyId"] == {"Ref": "DataKey"}
    policy = resource(template, "MailFeedbackTopicPolicy", "AWS::SNS::TopicPolicy")
    [publish] = policy["PolicyDocument"]["Statement"]
    assert publish["Principal"] == {"Service": "ses.amazonaws.com"}
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert publish["Condition"]["ArnLike"] == {"aws:SourceArn": CONFIGURATION_SET}
    key = resource(template, "DataKey", "AWS::KMS::Key")
    [ses] = [
        s
        for s in key["KeyPolicy"]["Statement"]
        if s["Principal"].get("Service") == "ses.amazonaws.com"
    ]
    assert ses["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    props = mail_feedback(template)
    assert template["Resources"]["MailFeedbackFunction"]["Metadata"] == {"BuildMethod": "makefile"}
    assert (props["CodeUri"], props["Handler"]) == (
        "../functions/",
        "functions.shared.bounces.handler",
    )
    assert (props["Runtime"], props["Architectures"]) == ("python3.12", ["arm64"])
    assert props["Events"] == {
        "Feedback": {"Type": "SNS", "Properties": {"Topic": {"Ref": "MailFeedbackTopic"}}}
    }
    assert props["EventInvokeConfig"]["DestinationConfig"] == {
        "OnFailure": {
            "Type": "SQS",
            "Destination": {"Fn::GetAtt": ["MailFeedbackDeadLetterQueue", "Arn"]},
        }
    }
    env = props["Environment"]["Variables"]
    assert env == {"TABLE_NAME": {"Ref": "HelpRequestsTable"}, "CONTACT_HASH_KEY": CONTACT_KEY}
    # What bounces.py reads of its environment, less DynamoDB Local's endpoint.
    source = (ROOT / "functions" / "shared" / "bounces.py").read_text(encoding="utf-8")
    read = set(re.findall(r'os\.environ(?:\[|\.get\()"([A-Z_]+)"', source))
    assert read - {"DYNAMODB_ENDPOINT"} == set(env)


def test_the_mail_feedback_function_may_only_write_suppressions(template: Template) -> None:
    role = resource(template, "MailFeedbackFunctionRole", "AWS::IAM::Role")
    queue = {"Fn::GetAtt": ["MailFeedbackDeadLetterQueue", "Arn"]}
    streams = log_streams("MailFeedbackLogGroup")
    assert grants(role) == {
        "dynamodb:PutItem": [TABLE],
        "dynamodb:UpdateItem": [TABLE],
        "sqs:SendMessage": [queue],
        "kms:GenerateDataKey": [KEY],
        "kms:Decrypt": [KEY],
        "logs:CreateLogStream": [streams],
        "logs:PutLogEvents": [streams],
    }
    assert leading_keys(role) == {"WriteSuppressionsOnly": ["suppressed#*"]}
    # The key only through SQS, for the queue.
    assert by_sid(role)["EncryptForTheQueueOnly"]["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Sub": "sqs.${AWS::Region}.${AWS::URLSuffix}"}}
    }
    condition = by_sid(role)["WriteSuppressionsOnly"]["Condition"]
    assert condition["StringEqualsIfExists"] == {"dynamodb:ReturnValues": ["NONE"]}


# --- What the code calls, against what the roles allow ------------------------------------

# A DynamoDB client's methods, and the IAM actions they need.
TABLE_CALLS = {
    "get_item": "dynamodb:GetItem",
    "batch_get_item": "dynamodb:BatchGetItem",
    "put_item": "dynamodb:PutItem",
    "update_item": "dynamodb:UpdateItem",
    "delete_item": "dynamodb:DeleteItem",
    "query": "dynamodb:Query",
    "scan": "dynamodb:Scan",
    "batch_write_item": "dynamodb:BatchWriteItem",
    "transact_get_items": "dynamodb:GetItem",
    "execute_statement": "dynamodb:PartiQLSelect",
    "send_email": "ses:SendEmail",
    "get_secret_value": "secretsmanager:GetSecretValue",
}
# What a transaction's items stand for (AWS: "Permissions for Put, Update, Delete, and Get
# actions are governed by the permissions used for the underlying ... operations").
TRANSACTION_ITEMS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
# Each function, the role it runs with, and the code it ships that calls AWS.
FUNCTION_CODE = {
    "HelpersFunctionRole": ("helpers/*.py", "shared/mail.py", "shared/tokens.py"),
    "ModerationFunctionRole": ("moderation/*.py",),
}
# The moderators' command line runs with its user's own credentials.
NOT_IN_THE_FUNCTION = {"cli.py", "__main__.py"}


def called_actions(path: Path) -> set[str]:
    """The IAM actions of the AWS calls a file names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in TABLE_CALLS:
            found.add(TABLE_CALLS[node.attr])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "get_paginator":
            [operation] = node.args
            assert isinstance(operation, ast.Constant), path
            found.add(TABLE_CALLS[str(operation.value)])
        elif isinstance(node, ast.Dict):
            keys = {str(k.value) for k in node.keys if isinstance(k, ast.Constant)}
            if "TableName" not in keys:
                found |= {TRANSACTION_ITEMS[k] for k in keys & set(TRANSACTION_ITEMS)}
    return found


def queried_indexes(path: Path) -> set[str]:
    """The names of the indexes a file's queries name, as literals or shared/table.py's."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "IndexName":
                if isinstance(value, ast.Name):
                    found.add(getattr(table, value.id))
                else:
                    assert isinstance(value, ast.Constant), f"{path.name}:{value.lineno}"
                    found.add(str(value.value))
    return found


# shared/table.py's key makers, and the prefix of the keys each makes.
KEY_MAKERS = {
    "request_key": table.REQUEST_PREFIX,
    "offer_key": table.OFFER_PREFIX,
    "introduction_key": table.INTRODUCTION_PREFIX,
    "stats_key": table.STATS_PREFIX,
    "erasure_key": table.ERASURE_PREFIX,
}
KEY_PREFIX = re.compile(r"[a-z]+#")


def named_key_prefixes(path: Path) -> set[str]:
    """The item kinds a file names: by shared/table.py's key makers and `*_PREFIX` constants
    (its own or shared/table.py's), or as a literal `kind#`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in KEY_MAKERS:
            found.add(KEY_MAKERS[node.id])
        elif isinstance(node, ast.Name) and node.id.endswith("_PREFIX"):
            found.add(str(own.get(node.id) or getattr(table, node.id)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found |= set(KEY_PREFIX.findall(node.value)) & {node.value}
    return found


def function_files(role_id: str) -> list[Path]:
    """The files of a function's code that call AWS."""
    return [
        path
        for pattern in FUNCTION_CODE[role_id]
        for path in sorted((ROOT / "functions").glob(pattern))
        if path.name not in NOT_IN_THE_FUNCTION
    ]


@pytest.mark.parametrize("role_id", sorted(FUNCTION_CODE))
def test_the_role_allows_every_call_the_functions_code_makes(
    template: Template, role_id: str
) -> None:
    files = function_files(role_id)
    needed = {action: path.name for path in files for action in called_actions(path)}
    assert "dynamodb:GetItem" in needed
    allowed = grants(resource(template, role_id, "AWS::IAM::Role"))
    assert {action: name for action, name in needed.items() if action not in allowed} == {}
    indexes = {name: path.name for path in files for name in queried_indexes(path)}
    assert indexes
    queryable = allowed["dynamodb:Query"]
    missing = {
        name: file
        for name, file in indexes.items()
        if {"Fn::Sub": "${HelpRequestsTable.Arn}/index/" + name} not in queryable
    }
    assert missing == {}


@pytest.mark.parametrize("role_id", sorted(FUNCTION_CODE))
def test_the_role_reaches_every_kind_of_item_the_functions_code_names(
    template: Template, role_id: str
) -> None:
    role = resource(template, role_id, "AWS::IAM::Role")
    reachable = {key for keys in leading_keys(role).values() for key in keys}
    named = {
        prefix: path.name for path in function_files(role_id) for prefix in named_key_prefixes(path)
    }
    assert named
    assert {prefix: name for prefix, name in named.items() if f"{prefix}*" not in reachable} == {}


def test_the_check_finds_each_kind_of_call(tmp_path: Path) -> None:
    source = tmp_path / "calls.py"
    source.write_text(
        "client.put_item(TableName='t', Item={})\n"
        "client.get_paginator('query')\n"
        "items = [{'ConditionCheck': {'TableName': 't'}}, {'Delete': {'TableName': 't'}}]\n"
        "ses.send_email(FromEmailAddress='a')\n"
        "{'Update': 'a mapping that is no table write', 'TableName': 't'}\n"
        "query = {'IndexName': HELPER_INDEX, 'TableName': 't'}\n"
        "other = {'IndexName': 'by-nothing'}\n",
        encoding="utf-8",
    )
    assert queried_indexes(source) == {"by-helper", "by-nothing"}
    assert called_actions(source) == {
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "ses:SendEmail",
    }
    keys = tmp_path / "keys.py"
    keys.write_text(
        "OWN_PREFIX = 'own#'\n"
        "LANGUAGES = (OWN_PREFIX, 'en')\n"
        "key = offer_key(id)\n"
        "if pk.startswith(STATS_PREFIX) or pk.startswith(OWN_PREFIX): pass\n"
        "other = 'rate#'\n"
        "text = 'not a # key'\n",
        encoding="utf-8",
    )
    assert named_key_prefixes(keys) == {"offer#", "stats#", "own#", "rate#"}


# --- Alarms and logs ----------------------------------------------------------------------

WATCHED = {
    "HelpersErrorsAlarm": ("AWS/Lambda", "Errors", {"Ref": "HelpersFunction"}),
    "HelpersThrottlesAlarm": ("AWS/Lambda", "Throttles", {"Ref": "HelpersFunction"}),
    "MailFeedbackErrorsAlarm": ("AWS/Lambda", "Errors", {"Ref": "MailFeedbackFunction"}),
    "HelpersDeadLetterAlarm": (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"Fn::GetAtt": ["HelpersDeadLetterQueue", "QueueName"]},
    ),
    "MailFeedbackDeadLetterAlarm": (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"Fn::GetAtt": ["MailFeedbackDeadLetterQueue", "QueueName"]},
    ),
}


@pytest.mark.parametrize("alarm_id", sorted(WATCHED))
def test_the_new_functions_and_queues_raise_alarms(template: Template, alarm_id: str) -> None:
    alarm = resource(template, alarm_id, "AWS::CloudWatch::Alarm")
    namespace, metric, watched = WATCHED[alarm_id]
    assert (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric)
    dimension = "QueueName" if namespace == "AWS/SQS" else "FunctionName"
    assert alarm["Dimensions"] == [{"Name": dimension, "Value": watched}]
    # The first failure, or the first message in a queue, is enough.
    assert alarm["Threshold"] == (0 if namespace == "AWS/SQS" else 1)
    assert alarm["EvaluationPeriods"] == 1
    assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": "AlarmTopic"}]


def test_the_new_functions_log_to_their_own_encrypted_groups(template: Template) -> None:
    key = resource(template, "DataKey", "AWS::KMS::Key")
    [logs] = [s for s in key["KeyPolicy"]["Statement"] if s["Sid"].startswith("CloudWatchLogs")]
    encrypted = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    prefix = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    for function_id, group_id, name in [
        ("HelpersFunction", "HelpersLogGroup", "helpers"),
        ("MailFeedbackFunction", "MailFeedbackLogGroup", "mail-feedback"),
    ]:
        group = resource(template, group_id, "AWS::Logs::LogGroup")
        assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{name}"}
        assert group["KmsKeyId"] == KEY
        assert {"Fn::Sub": prefix + group["LogGroupName"]["Fn::Sub"]} in encrypted
        function = resource(template, function_id, "AWS::Serverless::Function")
        assert function["LoggingConfig"] == {"LogGroup": {"Ref": group_id}}
    # Both dead-letter queues are encrypted with the stack's key.
    for queue_id in ("HelpersDeadLetterQueue", "MailFeedbackDeadLetterQueue"):
        queue = resource(template, queue_id, "AWS::SQS::Queue")
        assert queue["KmsMasterKeyId"] == {"Ref": "DataKey"}
