"""The SAM template, parsed: each property a security review asks for, asserted."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from functions.help_requests.storage import READ_BACK
from sitegen.infra_template import (
    TEMPLATE_PATH,
    create_table_kwargs,
    embed_block,
    load_template,
    ttl_attribute,
)

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_SOURCE = ROOT / "infra" / "cloudfront" / "site-router.js"
ISSUE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ONE_YEAR = 365 * 24 * 3600
CFN_LINT = str(Path(sys.executable).parent / "cfn-lint")

Template = dict[str, Any]


@pytest.fixture(scope="module")
def template() -> Template:
    """The parsed `infra/template.yaml`."""
    return load_template()


def resource(template: Template, logical_id: str, kind: str) -> Template:
    """A resource's `Properties`, checking its type."""
    found = template["Resources"][logical_id]
    assert found["Type"] == kind
    properties: Template = found["Properties"]
    return properties


def of_type(template: Template, kind: str) -> dict[str, Template]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(template: Template) -> Iterator[tuple[str, Template]]:
    """Every policy statement in the template, with the logical id that holds it."""
    for logical_id, res in template["Resources"].items():
        props = res.get("Properties", {})
        # A user pool's `Policies` is its password policy, no list of IAM policies.
        policies = props.get("Policies", []) if res["Type"] == "AWS::IAM::Role" else []
        documents = [p["PolicyDocument"] for p in policies]
        documents += [props[k] for k in ("PolicyDocument", "KeyPolicy") if k in props]
        for document in documents:
            for statement in document["Statement"]:
                yield logical_id, statement


def test_cfn_lint_reports_nothing() -> None:
    result = subprocess.run(
        [CFN_LINT, "--include-checks", "I", "--", str(TEMPLATE_PATH)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_cloudfront_function_in_the_template_is_the_tested_file(template: Template) -> None:
    props = resource(template, "SiteRouterFunction", "AWS::CloudFront::Function")
    assert props["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert props["AutoPublish"] is True
    source = FUNCTION_SOURCE.read_text(encoding="utf-8")
    assert props["FunctionCode"] == source, "run: python infra/embed_function.py"


def test_embedding_replaces_only_the_block() -> None:
    text = "A:\n  Code: |\n    old\n    lines\n\n  After: 1\nB: 2\n"
    assert embed_block(text, "Code", "new\n\n  indented\n") == (
        "A:\n  Code: |\n    new\n\n      indented\n  After: 1\nB: 2\n"
    )
    with pytest.raises(ValueError, match=r"^expected one `Missing: \|` block in the template"):
        embed_block(text, "Missing", "x")


def test_the_functions_know_the_sites_languages() -> None:
    site = yaml.safe_load((ROOT / "content" / "site.yaml").read_text(encoding="utf-8"))
    source = FUNCTION_SOURCE.read_text(encoding="utf-8")
    languages = re.search(r"var LANGUAGES = \[([^\]]*)\];", source)
    default = re.search(r"var DEFAULT_LANGUAGE = '([a-z]+)';", source)
    assert languages is not None
    assert default is not None
    assert re.findall(r"'([a-z]+)'", languages.group(1)) == list(site["languages"])
    assert default.group(1) == site["default_language"]
    constants = module_constants(ROOT / "infra" / "not_found" / "handler.py")
    assert constants["LANGUAGES"] == tuple(site["languages"])
    assert constants["DEFAULT_LANGUAGE"] == site["default_language"]


def module_constants(path: Path) -> dict[str, Any]:
    """Module-level `NAME = literal` assignments of a Python file, without importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        target.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value, ast.Constant | ast.Tuple)
    }


# --- Data ---------------------------------------------------------------------------------


def test_the_table_keeps_its_shape_for_local_tables(template: Template) -> None:
    kwargs = create_table_kwargs(template, "t")
    assert kwargs["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert [i["IndexName"] for i in kwargs["GlobalSecondaryIndexes"]] == [
        "by-status",
        "by-contact",
        "by-helper",
        "by-due",
    ]
    assert kwargs["BillingMode"] == "PAY_PER_REQUEST"
    assert kwargs["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert ttl_attribute(template) == "expires_at"


def test_the_table_is_protected_and_encrypted_with_our_own_key(template: Template) -> None:
    table = template["Resources"]["HelpRequestsTable"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    props = table["Properties"]
    assert props["DeletionProtectionEnabled"] is True
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Ref": "DataKey"},
    }
    key = template["Resources"]["DataKey"]
    assert key["Type"] == "AWS::KMS::Key"
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert key["Properties"]["EnableKeyRotation"] is True


def test_the_ip_hash_key_is_generated_by_secrets_manager(template: Template) -> None:
    secret = resource(template, "IpHashKeySecret", "AWS::SecretsManager::Secret")
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32
    assert "SecretString" not in secret
    env = function(template)["Environment"]["Variables"]
    assert env["IP_HASH_KEY"] == {
        "Fn::Sub": "{{resolve:secretsmanager:${IpHashKeySecret}:SecretString}}"
    }
    assert not [name for name in template["Parameters"] if re.search("key|secret|hash", name, re.I)]


# --- API ----------------------------------------------------------------------------------


def function(template: Template) -> Template:
    return resource(template, "HelpRequestsFunction", "AWS::Serverless::Function")


def test_the_function_is_the_agreed_package(template: Template) -> None:
    props = function(template)
    # Built by `make build-HelpRequestsFunction` in functions/: its own code and `shared` only.
    assert template["Resources"]["HelpRequestsFunction"]["Metadata"] == {"BuildMethod": "makefile"}
    assert props["CodeUri"] == "../functions/"
    makefile = (ROOT / "functions" / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^build-HelpRequestsFunction:", makefile, re.MULTILINE)
    assert props["Handler"] == "functions.help_requests.handler.handler"
    assert (props["Runtime"], props["Architectures"]) == ("python3.12", ["arm64"])
    assert 256 <= props["MemorySize"] <= 1024
    integration = resource(template, "HttpApiIntegration", "AWS::ApiGatewayV2::Integration")
    assert props["Timeout"] * 1000 < integration["TimeoutInMillis"] <= 30000
    assert props["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "HasReservedConcurrency",
            {"Ref": "ReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert template["Parameters"]["ReservedConcurrency"]["Default"] > 0


def test_the_functions_environment_comes_from_references(template: Template) -> None:
    env = function(template)["Environment"]["Variables"]
    assert set(env) == {
        "TABLE_NAME",
        "ALLOWED_ORIGINS",
        "SITE_ORIGIN",
        "RETENTION_DAYS",
        "RATE_LIMIT_PER_HOUR",
        "RATE_LIMIT_PER_DAY",
        "IP_HASH_KEY",
        "CONTACT_HASH_KEY",
        "ORIGIN_VERIFY_SECRET",
        "CONSENT_VERSION",
        "MIN_FILL_SECONDS",
    }
    assert env["TABLE_NAME"] == {"Ref": "HelpRequestsTable"}
    assert all(isinstance(value, dict) for value in env.values())


def test_logs_are_kept_for_a_limited_time_and_encrypted(template: Template) -> None:
    groups = of_type(template, "AWS::Logs::LogGroup")
    assert set(groups) == {
        "HelpRequestsLogGroup",
        "HttpApiAccessLogGroup",
        "NotFoundLogGroup",
        "NotifierLogGroup",
        "ModerationLogGroup",
        "HelpersLogGroup",
        "MailFeedbackLogGroup",
    }
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 30
    assert function(template)["LoggingConfig"] == {"LogGroup": {"Ref": "HelpRequestsLogGroup"}}
    stage = resource(template, "HttpApiStage", "AWS::ApiGatewayV2::Stage")
    log = stage["AccessLogSettings"]
    assert log["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogGroup", "Arn"]}
    assert "sourceIp" not in log["Format"]


def test_the_api_stage_and_route_are_throttled(template: Template) -> None:
    route = resource(template, "HttpApiRoute", "AWS::ApiGatewayV2::Route")
    assert route["RouteKey"] == "POST /api/help-requests"
    stage = resource(template, "HttpApiStage", "AWS::ApiGatewayV2::Stage")
    assert stage["StageName"] == "$default"
    settings = [stage["DefaultRouteSettings"], stage["RouteSettings"][route["RouteKey"]]]
    for limits in settings:
        assert 0 < limits["ThrottlingRateLimit"] <= limits["ThrottlingBurstLimit"] <= 50
    assert settings[1]["ThrottlingRateLimit"] <= settings[0]["ThrottlingRateLimit"]


# --- Least privilege ----------------------------------------------------------------------


def test_no_action_anywhere_has_a_wildcard_outside_the_tls_deny(template: Template) -> None:
    for logical_id, statement in statements(template):
        if statement["Effect"] == "Deny":
            assert statement["Condition"] == {"Bool": {"aws:SecureTransport": False}}
            continue
        for action in as_list(statement["Action"]):
            assert "*" not in action, (logical_id, action)


def grants(role: Template) -> dict[str, list[Any]]:
    """Each action a role allows, with the resources it allows it on."""
    granted: dict[str, list[Any]] = {}
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in as_list(statement["Action"]):
                granted.setdefault(action, []).extend(as_list(statement["Resource"]))
    return granted


def log_streams(group: str) -> dict[str, str]:
    arn = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    return {"Fn::Sub": arn + "${" + group + "}:log-stream:*"}


def test_roles_are_our_own_and_attach_no_managed_policy(template: Template) -> None:
    roles = of_type(template, "AWS::IAM::Role")
    assert set(roles) == {
        "HelpRequestsFunctionRole",
        "NotFoundFunctionRole",
        "NotifierFunctionRole",
        "ModerationFunctionRole",
        "HelpersFunctionRole",
        "MailFeedbackFunctionRole",
    }
    assert not of_type(template, "AWS::IAM::Policy")
    assert not of_type(template, "AWS::IAM::ManagedPolicy")
    for logical_id, role in roles.items():
        assert "ManagedPolicyArns" not in role["Properties"], logical_id
    for function_id, role_id in [
        ("HelpRequestsFunction", "HelpRequestsFunctionRole"),
        ("NotFoundFunction", "NotFoundFunctionRole"),
        ("NotifierFunction", "NotifierFunctionRole"),
        ("ModerationFunction", "ModerationFunctionRole"),
        ("HelpersFunction", "HelpersFunctionRole"),
        ("MailFeedbackFunction", "MailFeedbackFunctionRole"),
    ]:
        props = template["Resources"][function_id]["Properties"]
        assert props["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
        assert "Policies" not in props


def test_the_form_function_may_write_its_table_and_its_logs(template: Template) -> None:
    role = resource(template, "HelpRequestsFunctionRole", "AWS::IAM::Role")
    table = {"Fn::GetAtt": ["HelpRequestsTable", "Arn"]}
    streams = log_streams("HelpRequestsLogGroup")
    assert grants(role) == {
        "dynamodb:ConditionCheckItem": [table],
        "dynamodb:PutItem": [table],
        "dynamodb:UpdateItem": [table],
        "dynamodb:GetItem": [table],
        "logs:CreateLogStream": [streams],
        "logs:PutLogEvents": [streams],
    }


def test_the_not_found_function_may_read_the_404_pages_only(template: Template) -> None:
    role = resource(template, "NotFoundFunctionRole", "AWS::IAM::Role")
    pages = [{"Fn::Sub": f"${{SiteBucket.Arn}}/{lang}/404.html"} for lang in ("en", "de", "pl")]
    streams = log_streams("NotFoundLogGroup")
    assert grants(role) == {
        "s3:GetObject": pages,
        "logs:CreateLogStream": [streams],
        "logs:PutLogEvents": [streams],
    }


def form_function_statements(template: Template) -> dict[str, Template]:
    """The form function's policy statements by Sid."""
    role = resource(template, "HelpRequestsFunctionRole", "AWS::IAM::Role")
    return {s["Sid"]: s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]}


def test_the_function_writes_asking_for_nothing_back(template: Template) -> None:
    assert form_function_statements(template)["WriteTheTableOnly"] == {
        "Sid": "WriteTheTableOnly",
        "Effect": "Allow",
        "Action": ["dynamodb:ConditionCheckItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        "Resource": {"Fn::GetAtt": ["HelpRequestsTable", "Arn"]},
        "Condition": {"StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE"]}},
    }


def test_the_function_reads_back_the_hash_of_request_items_only(template: Template) -> None:
    assert form_function_statements(template)["ReadBackHelpRequestHashesOnly"] == {
        "Sid": "ReadBackHelpRequestHashesOnly",
        "Effect": "Allow",
        "Action": "dynamodb:GetItem",
        "Resource": {"Fn::GetAtt": ["HelpRequestsTable", "Arn"]},
        "Condition": {
            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["request#*"]},
            "ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "payload_hash"]},
            "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
        },
    }
    # The one attribute the store's read-back projects.
    assert READ_BACK == "payload_hash"


def test_cloudfront_may_only_read_the_bucket(template: Template) -> None:
    policy = resource(template, "SiteBucketPolicy", "AWS::S3::BucketPolicy")
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "CloudFrontReadsTheSite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${SiteBucket.Arn}/*"},
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {
                        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                        ":distribution/${SiteDistribution}"
                    }
                }
            },
        }
    ]


def test_the_key_policy_lets_services_in_only_for_this_account(template: Template) -> None:
    key = resource(template, "DataKey", "AWS::KMS::Key")
    for statement in key["KeyPolicy"]["Statement"]:
        # In a key policy "*" is the key itself; who may act is set by Principal and Condition.
        assert statement["Resource"] == "*"
        principal = statement["Principal"]
        if "AWS" in principal:
            assert principal["AWS"] == {
                "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
            }
        else:
            assert statement["Condition"], statement["Sid"]


# --- Site ---------------------------------------------------------------------------------


def test_the_bucket_is_private_encrypted_and_versioned(template: Template) -> None:
    bucket = resource(template, "SiteBucket", "AWS::S3::Bucket")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def distribution(template: Template) -> Template:
    props = resource(template, "SiteDistribution", "AWS::CloudFront::Distribution")
    config: Template = props["DistributionConfig"]
    return config


def test_cloudfront_reaches_the_bucket_through_origin_access_control(template: Template) -> None:
    oac = resource(template, "SiteOriginAccessControl", "AWS::CloudFront::OriginAccessControl")
    config = oac["OriginAccessControlConfig"]
    assert (config["SigningBehavior"], config["SigningProtocol"]) == ("always", "sigv4")
    assert config["OriginAccessControlOriginType"] == "s3"
    site = next(o for o in distribution(template)["Origins"] if o["Id"] == "site")
    assert site["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert site["S3OriginConfig"] == {"OriginAccessIdentity": ""}


def test_the_distribution_speaks_http2_and_3_and_tls_1_2_or_newer(template: Template) -> None:
    config = distribution(template)
    assert config["HttpVersion"] == "http2and3"
    with_domain, without = config["ViewerCertificate"]["Fn::If"][1:]
    assert config["ViewerCertificate"]["Fn::If"][0] == "HasDomain"
    assert with_domain["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert with_domain["SslSupportMethod"] == "sni-only"
    assert with_domain["AcmCertificateArn"] == {"Ref": "CertificateArn"}
    assert without == {"CloudFrontDefaultCertificate": True}
    assert config["Aliases"] == {
        "Fn::If": ["HasDomain", [{"Ref": "DomainName"}], {"Ref": "AWS::NoValue"}]
    }
    api = next(o for o in config["Origins"] if o["Id"] == "api")
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert api["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]


def test_every_behavior_is_https_compressed_and_secured(template: Template) -> None:
    config = distribution(template)
    behaviors = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    for behavior in behaviors:
        assert behavior["ViewerProtocolPolicy"] in {"redirect-to-https", "https-only"}
        assert behavior["Compress"] is True
        own = {"/admin/*": "AdminHeadersPolicy", "/api/links/*": "LinksHeadersPolicy"}
        policy = own.get(behavior.get("PathPattern", ""), "SecurityHeadersPolicy")
        assert behavior["ResponseHeadersPolicyId"] == {"Ref": policy}


def test_pages_go_through_the_function(template: Template) -> None:
    default = distribution(template)["DefaultCacheBehavior"]
    function_arn = {"Fn::GetAtt": ["SiteRouterFunction", "FunctionARN"]}
    assert default["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": function_arn}
    ]
    assert default["CachePolicyId"] == CACHING_OPTIMIZED
    assert default["TargetOriginId"] == "site-or-not-found"


def test_a_missing_page_fails_over_to_the_not_found_function(template: Template) -> None:
    (group,) = distribution(template)["OriginGroups"]["Items"]
    assert group["Id"] == "site-or-not-found"
    assert group["FailoverCriteria"]["StatusCodes"]["Items"] == [403, 404]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["site", "api"]
    route = resource(template, "NotFoundRoute", "AWS::ApiGatewayV2::Route")
    assert route["RouteKey"] == "GET /{proxy+}"
    assert route["Target"] == {"Fn::Sub": "integrations/${NotFoundIntegration}"}
    integration = resource(template, "NotFoundIntegration", "AWS::ApiGatewayV2::Integration")
    assert integration["IntegrationUri"] == {"Fn::GetAtt": ["NotFoundFunction", "Arn"]}
    function = resource(template, "NotFoundFunction", "AWS::Serverless::Function")
    assert (function["CodeUri"], function["Handler"]) == ("not_found/", "handler.handler")
    assert (function["Runtime"], function["Architectures"]) == ("python3.12", ["arm64"])
    assert function["Environment"]["Variables"] == {"SITE_BUCKET": {"Ref": "SiteBucket"}}


def test_api_requests_go_uncached_and_cookieless_to_the_http_api(template: Template) -> None:
    config = distribution(template)
    api = next(b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*")
    assert api["TargetOriginId"] == "api"
    assert set(api["AllowedMethods"]) == {
        "GET",
        "HEAD",
        "OPTIONS",
        "PUT",
        "PATCH",
        "POST",
        "DELETE",
    }
    assert api["CachePolicyId"] == CACHING_DISABLED
    assert "FunctionAssociations" not in api
    assert api["OriginRequestPolicyId"] == {"Ref": "ApiOriginRequestPolicy"}
    policy = resource(template, "ApiOriginRequestPolicy", "AWS::CloudFront::OriginRequestPolicy")
    forwarded = policy["OriginRequestPolicyConfig"]
    assert forwarded["CookiesConfig"] == {"CookieBehavior": "none"}
    assert forwarded["QueryStringsConfig"] == {"QueryStringBehavior": "none"}
    headers = forwarded["HeadersConfig"]
    assert headers["HeaderBehavior"] == "whitelist"
    assert "CloudFront-Viewer-Address" in headers["Headers"]
    assert not {h.lower() for h in headers["Headers"]} & {"host", "cookie", "authorization"}
    origin = next(o for o in config["Origins"] if o["Id"] == "api")
    assert origin["DomainName"] == {
        "Fn::Sub": "${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    }


def test_only_requests_through_cloudfront_carry_the_origin_secret(template: Template) -> None:
    secret = resource(template, "OriginVerifySecret", "AWS::SecretsManager::Secret")
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32
    assert secret["GenerateSecretString"]["ExcludePunctuation"] is True
    assert "SecretString" not in secret
    assert secret["KmsKeyId"] == {"Ref": "DataKey"}
    reference = {"Fn::Sub": "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString}}"}
    origins = {origin["Id"]: origin for origin in distribution(template)["Origins"]}
    assert origins["api"]["OriginCustomHeaders"] == [
        {"HeaderName": "X-Origin-Verify", "HeaderValue": reference}
    ]
    assert "OriginCustomHeaders" not in origins["site"]
    assert function(template)["Environment"]["Variables"]["ORIGIN_VERIFY_SECRET"] == reference
    # Its own secret: the IP-hash key never leaves the function.
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    assert text.count("${IpHashKeySecret}:SecretString") == 1
    forwarded = resource(template, "ApiOriginRequestPolicy", "AWS::CloudFront::OriginRequestPolicy")
    headers = forwarded["OriginRequestPolicyConfig"]["HeadersConfig"]["Headers"]
    assert "x-origin-verify" not in {header.lower() for header in headers}


def test_server_errors_are_not_cached(template: Template) -> None:
    errors = {e["ErrorCode"]: e for e in distribution(template)["CustomErrorResponses"]}
    for code in (500, 502, 503, 504):
        assert errors[code]["ErrorCachingMinTTL"] == 0
    assert not [e for e in errors.values() if "ResponsePagePath" in e]


def headers_policy(template: Template) -> Template:
    policy = resource(template, "SecurityHeadersPolicy", "AWS::CloudFront::ResponseHeadersPolicy")
    config: Template = policy["ResponseHeadersPolicyConfig"]
    return config


def test_the_content_security_policy_is_the_agreed_one(template: Template) -> None:
    csp = headers_policy(template)["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    assert csp["Override"] is True
    directives = [d.strip() for d in csp["ContentSecurityPolicy"].split(";")]
    agreed = [d.strip() for d in ISSUE_CSP.split(";")]
    assert directives[: len(agreed)] == agreed
    # Fonts and the web manifest the site may ship, from its own origin only.
    assert directives[len(agreed) :] == ["font-src 'self'", "manifest-src 'self'"]


def test_the_other_security_headers(template: Template) -> None:
    config = headers_policy(template)
    security = config["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= ONE_YEAR
    assert hsts["IncludeSubdomains"] is True
    assert hsts["Override"] is True
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert security["ReferrerPolicy"]["ReferrerPolicy"] in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }
    custom = {h["Header"]: h["Value"] for h in config["CustomHeadersConfig"]["Items"]}
    permissions = dict(p.strip().split("=") for p in custom["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert permissions[feature] == "()"


# --- Alarms -------------------------------------------------------------------------------


def test_alarms_notify_the_topic(template: Template) -> None:
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    watched = set()
    for alarm in alarms.values():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert props["TreatMissingData"] == "notBreaching"
        metrics = [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]
        metrics = metrics or [props]
        watched |= {(m["Namespace"], m["MetricName"]) for m in metrics}
    assert watched == {
        ("AWS/ApiGateway", "5xx"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/DynamoDB", "SystemErrors"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    }
    topic = resource(template, "AlarmTopic", "AWS::SNS::Topic")
    assert topic["KmsMasterKeyId"] == {"Ref": "DataKey"}


def test_publish_finds_its_outputs(template: Template) -> None:
    outputs = template["Outputs"]
    assert outputs["SiteBucketName"]["Value"] == {"Ref": "SiteBucket"}
    assert outputs["DistributionId"]["Value"] == {"Ref": "SiteDistribution"}


def test_a_custom_domain_is_optional_and_needs_a_certificate(template: Template) -> None:
    parameters = template["Parameters"]
    assert parameters["DomainName"]["Default"] == parameters["CertificateArn"]["Default"] == ""
    rule = template["Rules"]["CertificateWithDomain"]
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "CertificateArn"}, ""]}]
    }


def test_asset_folders_skip_the_request_function(template: Template) -> None:
    behaviors = {b["PathPattern"]: b for b in distribution(template)["CacheBehaviors"]}
    for pattern in ("/static/*", "/images/*"):
        assert behaviors[pattern]["TargetOriginId"] == "site-or-not-found"
        assert behaviors[pattern]["CachePolicyId"] == CACHING_OPTIMIZED
        assert "FunctionAssociations" not in behaviors[pattern]


# --- Notifications ------------------------------------------------------------------------


def notifier(template: Template) -> Template:
    return resource(template, "NotifierFunction", "AWS::Serverless::Function")


def test_the_notifier_is_its_own_package_linking_to_the_inbox(template: Template) -> None:
    props = notifier(template)
    assert template["Resources"]["NotifierFunction"]["Metadata"] == {"BuildMethod": "makefile"}
    makefile = (ROOT / "functions" / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^build-NotifierFunction:", makefile, re.MULTILINE)
    assert props["CodeUri"] == "../functions/"
    assert props["Handler"] == "functions.notifier.handler.handler"
    assert (props["Runtime"], props["Architectures"]) == ("python3.12", ["arm64"])
    assert props["Timeout"] <= 60
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": "NotifierLogGroup"}}
    assert props["Environment"]["Variables"] == {
        "TOPIC_ARN": {"Ref": "ModeratorsTopic"},
        "INBOX_URL": {
            "Fn::If": [
                "HasDomain",
                {"Fn::Sub": "https://${DomainName}/admin/"},
                {"Fn::Sub": "https://${SiteDistribution.DomainName}/admin/"},
            ]
        },
    }


def test_the_notifier_takes_new_requests_from_the_stream_in_batches(template: Template) -> None:
    [event] = notifier(template)["Events"].values()
    assert event["Type"] == "DynamoDB"
    props = event["Properties"]
    filters = props.pop("FilterCriteria")
    assert props == {
        "Stream": {"Fn::GetAtt": ["HelpRequestsTable", "StreamArn"]},
        "StartingPosition": "LATEST",
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 60,
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": 10,
        "MaximumRecordAgeInSeconds": 21600,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "DestinationConfig": {
            "OnFailure": {
                "Type": "SQS",
                "Destination": {"Fn::GetAtt": ["NotifierDeadLetterQueue", "Arn"]},
            }
        },
    }
    # Only inserts of request items: rate counters, status changes and erasures invoke nothing.
    assert [json.loads(f["Pattern"]) for f in filters["Filters"]] == [
        {"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "request#"}]}}}}
    ]
    # The stream shows new items whole: what the notifier reads of a request is there.
    table = resource(template, "HelpRequestsTable", "AWS::DynamoDB::Table")
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}


def test_the_notifier_may_read_the_stream_publish_and_report_failures_only(
    template: Template,
) -> None:
    role = resource(template, "NotifierFunctionRole", "AWS::IAM::Role")
    stream = {"Fn::GetAtt": ["HelpRequestsTable", "StreamArn"]}
    key = {"Fn::GetAtt": ["DataKey", "Arn"]}
    streams = log_streams("NotifierLogGroup")
    assert grants(role) == {
        "dynamodb:DescribeStream": [stream],
        "dynamodb:GetRecords": [stream],
        "dynamodb:GetShardIterator": [stream],
        "dynamodb:ListStreams": [stream],
        "sns:Publish": [{"Ref": "ModeratorsTopic"}],
        "sqs:SendMessage": [{"Fn::GetAtt": ["NotifierDeadLetterQueue", "Arn"]}],
        "kms:Decrypt": [key],
        "kms:GenerateDataKey": [key],
        "logs:CreateLogStream": [streams],
        "logs:PutLogEvents": [streams],
    }
    by_sid = {s["Sid"]: s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]}
    assert by_sid["EncryptForTheTopicAndQueueOnly"]["Condition"] == {
        "StringEquals": {
            "kms:ViaService": [
                {"Fn::Sub": "sns.${AWS::Region}.${AWS::URLSuffix}"},
                {"Fn::Sub": "sqs.${AWS::Region}.${AWS::URLSuffix}"},
            ]
        }
    }


def test_the_topic_and_the_dead_letter_queue_are_encrypted_with_our_key(
    template: Template,
) -> None:
    topic = resource(template, "ModeratorsTopic", "AWS::SNS::Topic")
    assert topic["KmsMasterKeyId"] == {"Ref": "DataKey"}
    queue = resource(template, "NotifierDeadLetterQueue", "AWS::SQS::Queue")
    assert queue["KmsMasterKeyId"] == {"Ref": "DataKey"}
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert template["Outputs"]["ModeratorsTopicArn"]["Value"] == {"Ref": "ModeratorsTopic"}
    # The notifier's log group may use the key: the key policy names it for CloudWatch Logs.
    key = resource(template, "DataKey", "AWS::KMS::Key")
    [logs] = [
        s for s in key["KeyPolicy"]["Statement"] if "logs" in str(s["Principal"].get("Service"))
    ]
    groups = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    notifier_group = resource(template, "NotifierLogGroup", "AWS::Logs::LogGroup")
    assert notifier_group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${AWS::StackName}-notifier"}
    assert {
        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
        "/aws/lambda/${AWS::StackName}-notifier"
    } in groups


def test_moderators_subscribe_by_e_mail_when_an_address_is_given(template: Template) -> None:
    parameter = template["Parameters"]["ModeratorsEmail"]
    assert (parameter["Type"], parameter["Default"]) == ("String", "")
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch("")
    assert pattern.fullmatch("moderators@example.org")
    assert not pattern.fullmatch("not an address")
    subscription = template["Resources"]["ModeratorsEmailSubscription"]
    assert subscription["Condition"] == "HasModeratorsEmail"
    assert template["Conditions"]["HasModeratorsEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ModeratorsEmail"}, ""]}]
    }
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "ModeratorsTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "ModeratorsEmail"},
    }


def test_a_failed_notification_raises_an_alarm(template: Template) -> None:
    dead_letters = resource(template, "NotifierDeadLetterAlarm", "AWS::CloudWatch::Alarm")
    assert (dead_letters["Namespace"], dead_letters["MetricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert dead_letters["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["NotifierDeadLetterQueue", "QueueName"]}}
    ]
    assert (dead_letters["Threshold"], dead_letters["ComparisonOperator"]) == (
        0,
        "GreaterThanThreshold",
    )
    errors = resource(template, "NotifierErrorsAlarm", "AWS::CloudWatch::Alarm")
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "NotifierFunction"}}]
    for alarm in (dead_letters, errors):
        assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": "AlarmTopic"}]


# --- The moderators' inbox pages ----------------------------------------------------------


def policy_config(template: Template, logical_id: str) -> Template:
    policy = resource(template, logical_id, "AWS::CloudFront::ResponseHeadersPolicy")
    config: Template = policy["ResponseHeadersPolicyConfig"]
    return config


def test_inbox_pages_may_call_cognito_and_nothing_else_new(template: Template) -> None:
    site = policy_config(template, "SecurityHeadersPolicy")["SecurityHeadersConfig"]
    admin = policy_config(template, "AdminHeadersPolicy")["SecurityHeadersConfig"]
    site_csp = site["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    admin_csp = admin["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert admin["ContentSecurityPolicy"]["Override"] is True
    assert admin_csp == {
        "Fn::Sub": site_csp.replace(
            "connect-src 'self'",
            "connect-src 'self' https://cognito-idp.${AWS::Region}.amazonaws.com",
        )
    }
    assert {k: v for k, v in admin.items() if k != "ContentSecurityPolicy"} == {
        k: v for k, v in site.items() if k != "ContentSecurityPolicy"
    }


def test_inbox_pages_are_never_kept_by_browsers(template: Template) -> None:
    site = policy_config(template, "SecurityHeadersPolicy")
    admin = policy_config(template, "AdminHeadersPolicy")
    custom = admin["CustomHeadersConfig"]["Items"]
    assert {"Header": "Cache-Control", "Value": "no-store", "Override": True} in custom
    assert [h for h in custom if h["Header"] != "Cache-Control"] == site["CustomHeadersConfig"][
        "Items"
    ]
    assert admin["RemoveHeadersConfig"] == site["RemoveHeadersConfig"]


def test_inbox_pages_get_their_policy_and_the_sites_url_rules(template: Template) -> None:
    config = distribution(template)
    (admin,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/admin/*"]
    assert admin["ResponseHeadersPolicyId"] == {"Ref": "AdminHeadersPolicy"}
    assert admin["FunctionAssociations"] == config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert admin["TargetOriginId"] == "site-or-not-found"
    assert admin["ViewerProtocolPolicy"] == "redirect-to-https"
    assert admin["AllowedMethods"] == ["GET", "HEAD"]
    assert "OriginRequestPolicyId" not in admin
    others = [b for b in config["CacheBehaviors"] if b["PathPattern"] != "/admin/*"]
    assert {"Ref": "AdminHeadersPolicy"} not in [b["ResponseHeadersPolicyId"] for b in others]


# --- The moderators' sign-in, function and API ---------------------------------------------

ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
CONTACT_KEY_REFERENCE = {
    "Fn::Sub": "{{resolve:secretsmanager:${ContactHashKeySecret}:SecretString}}"
}


def test_the_contact_index_serves_access_and_erasure(template: Template) -> None:
    table = resource(template, "HelpRequestsTable", "AWS::DynamoDB::Table")
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert indexes["by-contact"] == {
        "IndexName": "by-contact",
        "KeySchema": [
            {"AttributeName": "contact_hash", "KeyType": "HASH"},
            {"AttributeName": "created_at", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }
    assert {"AttributeName": "contact_hash", "AttributeType": "S"} in table["AttributeDefinitions"]


def test_the_contact_hash_key_is_kept_and_reaches_the_functions_that_hash_only(
    template: Template,
) -> None:
    secret = template["Resources"]["ContactHashKeySecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    # Without the key no stored request could be found by its contact again.
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("Retain", "Retain")
    props = secret["Properties"]
    assert props["GenerateSecretString"]["PasswordLength"] >= 32
    assert props["KmsKeyId"] == {"Ref": "DataKey"}
    assert "SecretString" not in props
    hashing = (
        "HelpRequestsFunction",
        "ModerationFunction",
        "HelpersFunction",
        "MailFeedbackFunction",
    )
    for logical_id in hashing:
        uses = resource(template, logical_id, "AWS::Serverless::Function")
        assert uses["Environment"]["Variables"]["CONTACT_HASH_KEY"] == CONTACT_KEY_REFERENCE
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    assert text.count("${ContactHashKeySecret}:SecretString") == len(hashing)


def test_moderators_are_created_by_administrators_and_sign_in_with_totp(
    template: Template,
) -> None:
    pool = template["Resources"]["ModeratorsUserPool"]
    assert pool["Type"] == "AWS::Cognito::UserPool"
    assert (pool["DeletionPolicy"], pool["UpdateReplacePolicy"]) == ("Retain", "Retain")
    props = pool["Properties"]
    assert props["DeletionProtection"] == "ACTIVE"
    assert props["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert (props["MfaConfiguration"], props["EnabledMfas"]) == ("ON", ["SOFTWARE_TOKEN_MFA"])
    password = props["Policies"]["PasswordPolicy"]
    assert password["MinimumLength"] >= 12
    for kind in ("Lowercase", "Uppercase", "Numbers", "Symbols"):
        assert password[f"Require{kind}"] is True, kind
    assert props["AliasAttributes"] == ["email"]
    assert props["AccountRecoverySetting"] == {
        "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
    }
    assert "LambdaConfig" not in props
    group = resource(template, "ModeratorsGroup", "AWS::Cognito::UserPoolGroup")
    assert group["GroupName"] == "moderators"
    assert group["UserPoolId"] == {"Ref": "ModeratorsUserPool"}


def test_the_inbox_client_has_no_secret_and_short_lived_tokens(template: Template) -> None:
    client = resource(template, "ModeratorsUserPoolClient", "AWS::Cognito::UserPoolClient")
    assert client["UserPoolId"] == {"Ref": "ModeratorsUserPool"}
    assert client["GenerateSecret"] is False
    assert client["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["EnableTokenRevocation"] is True
    units = client["TokenValidityUnits"]
    assert units == {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "hours"}
    assert 30 <= client["AccessTokenValidity"] <= 60
    assert 30 <= client["IdTokenValidity"] <= 60
    assert client["RefreshTokenValidity"] <= 24
    assert "CallbackURLs" not in client
    assert "AllowedOAuthFlows" not in client


def test_the_inbox_finds_the_pool_in_the_outputs(template: Template) -> None:
    outputs = template["Outputs"]
    assert outputs["ModeratorsUserPoolId"]["Value"] == {"Ref": "ModeratorsUserPool"}
    assert outputs["ModeratorsUserPoolClientId"]["Value"] == {"Ref": "ModeratorsUserPoolClient"}
    assert outputs["ModeratorsRegion"]["Value"] == {"Ref": "AWS::Region"}


def moderation(template: Template) -> Template:
    return resource(template, "ModerationFunction", "AWS::Serverless::Function")


def test_the_moderation_function_is_its_own_package(template: Template) -> None:
    props = moderation(template)
    assert template["Resources"]["ModerationFunction"]["Metadata"] == {"BuildMethod": "makefile"}
    makefile = (ROOT / "functions" / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^build-ModerationFunction:", makefile, re.MULTILINE)
    assert props["CodeUri"] == "../functions/"
    assert props["Handler"] == "functions.moderation.handler.handler"
    assert (props["Runtime"], props["Architectures"]) == ("python3.12", ["arm64"])
    assert props["Role"] == {"Fn::GetAtt": ["ModerationFunctionRole", "Arn"]}
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": "ModerationLogGroup"}}
    assert props["Environment"]["Variables"] == {
        "TABLE_NAME": {"Ref": "HelpRequestsTable"},
        "CONTACT_HASH_KEY": CONTACT_KEY_REFERENCE,
        # The public function's retention: a status change keeps a request as long again.
        "RETENTION_DAYS": {"Ref": "RetentionDays"},
    }
    assert function(template)["Environment"]["Variables"]["RETENTION_DAYS"] == {
        "Ref": "RetentionDays"
    }
    integration = resource(template, "ModerationIntegration", "AWS::ApiGatewayV2::Integration")
    assert integration["IntegrationUri"] == {"Fn::GetAtt": ["ModerationFunction", "Arn"]}
    assert props["Timeout"] * 1000 < integration["TimeoutInMillis"] <= 30000


def index_arn(name: str) -> Template:
    return {"Fn::Sub": "${HelpRequestsTable.Arn}/index/" + name}


def leading_keys(role: Template) -> dict[str, dict[str, list[str]]]:
    """Each table action a role allows, with the key prefixes each of its statements allows."""
    found: dict[str, dict[str, list[str]]] = {}
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            condition = statement.get("Condition", {}).get("ForAllValues:StringLike", {})
            if "dynamodb:LeadingKeys" not in condition:
                continue
            for action in as_list(statement["Action"]):
                found.setdefault(action, {})[statement["Sid"]] = condition["dynamodb:LeadingKeys"]
    return found


def test_the_moderation_function_may_query_indexes_and_change_its_items_only(
    template: Template,
) -> None:
    role = resource(template, "ModerationFunctionRole", "AWS::IAM::Role")
    table = {"Fn::GetAtt": ["HelpRequestsTable", "Arn"]}
    streams = log_streams("ModerationLogGroup")
    # Never the by-due index: what falls due is the helpers' function's to do.
    indexes = [index_arn(name) for name in ("by-status", "by-contact", "by-helper")]
    assert grants(role) == {
        "dynamodb:Query": indexes,
        "dynamodb:GetItem": [table],
        "dynamodb:BatchGetItem": [table],
        "dynamodb:UpdateItem": [table, table],
        "dynamodb:DeleteItem": [table],
        "logs:CreateLogStream": [streams],
        "logs:PutLogEvents": [streams],
    }
    reads = ["request#*", "offer#*", "intro#*", "stats#*"]
    assert leading_keys(role) == {
        "dynamodb:GetItem": {"ReadRequestsOffersIntroductionsAndFigures": reads},
        "dynamodb:BatchGetItem": {"ReadRequestsOffersIntroductionsAndFigures": reads},
        "dynamodb:UpdateItem": {
            "ChangeRequestsOffersAndIntroductions": ["request#*", "offer#*", "intro#*"],
            "LogErasures": ["erasure#*"],
        },
        "dynamodb:DeleteItem": {"EraseRequestsAndOffers": ["request#*", "offer#*"]},
    }


def test_no_role_may_scan_the_table(template: Template) -> None:
    actions = {
        action
        for _, statement in statements(template)
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
    }
    assert "dynamodb:Query" in actions
    assert not actions & {"dynamodb:Scan", "dynamodb:PartiQLSelect", "dynamodb:BatchWriteItem"}
    # A batch of reads only by keys of a prefix: never a way to read the table whole.
    for logical_id, statement in statements(template):
        if "dynamodb:BatchGetItem" in as_list(statement["Action"]):
            condition = statement["Condition"]["ForAllValues:StringLike"]
            assert condition["dynamodb:LeadingKeys"], logical_id


def test_the_moderators_api_needs_a_token_of_the_pool_and_client(template: Template) -> None:
    authorizer = resource(template, "ModeratorsAuthorizer", "AWS::ApiGatewayV2::Authorizer")
    assert authorizer["ApiId"] == {"Ref": "HttpApi"}
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    assert authorizer["JwtConfiguration"] == {
        "Issuer": {
            "Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${ModeratorsUserPool}"
        },
        "Audience": [{"Ref": "ModeratorsUserPoolClient"}],
    }
    route = resource(template, "ModerationRoute", "AWS::ApiGatewayV2::Route")
    assert route == {
        "ApiId": {"Ref": "HttpApi"},
        "RouteKey": "ANY /api/admin/{proxy+}",
        "AuthorizationType": "JWT",
        "AuthorizerId": {"Ref": "ModeratorsAuthorizer"},
        "Target": {"Fn::Sub": "integrations/${ModerationIntegration}"},
    }
    # The other routes stay open: the form is anonymous, and missing pages are pages.
    for other in ("HttpApiRoute", "NotFoundRoute", "LinkPageRoute", "LinkActionRoute"):
        assert "AuthorizerId" not in resource(template, other, "AWS::ApiGatewayV2::Route")
    permission = resource(template, "ModerationInvokePermission", "AWS::Lambda::Permission")
    assert permission["FunctionName"] == {"Ref": "ModerationFunction"}
    assert permission["SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}"
        ":${HttpApi}/*/*/api/admin/*"
    }
    assert "ModerationRoute" in template["Resources"]["HttpApiStage"]["DependsOn"]


def test_cloudfront_forwards_authorization_to_the_moderators_api_only(
    template: Template,
) -> None:
    behaviors = distribution(template)["CacheBehaviors"]
    patterns = [behavior["PathPattern"] for behavior in behaviors]
    # CloudFront takes the first pattern that matches: the narrower one must come first.
    assert patterns.index("/api/admin/*") < patterns.index("/api/*")
    admin = behaviors[patterns.index("/api/admin/*")]
    assert admin["TargetOriginId"] == "api"
    assert admin["ViewerProtocolPolicy"] == "https-only"
    assert "POST" in admin["AllowedMethods"]
    # With caching disabled, this managed policy forwards every viewer header but Host
    # (Authorization too) and the query string; API Gateway needs its own Host.
    assert admin["CachePolicyId"] == CACHING_DISABLED
    assert admin["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert "FunctionAssociations" not in admin
    api = behaviors[patterns.index("/api/*")]
    assert api["OriginRequestPolicyId"] == {"Ref": "ApiOriginRequestPolicy"}
    # The same origin, so the same X-Origin-Verify header, set by CloudFront.
    origins = {origin["Id"]: origin for origin in distribution(template)["Origins"]}
    assert origins["api"]["OriginCustomHeaders"][0]["HeaderName"] == "X-Origin-Verify"


def test_the_moderators_logs_may_use_the_key(template: Template) -> None:
    group = resource(template, "ModerationLogGroup", "AWS::Logs::LogGroup")
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${AWS::StackName}-moderation"}
    key = resource(template, "DataKey", "AWS::KMS::Key")
    [logs] = [s for s in key["KeyPolicy"]["Statement"] if s["Sid"].startswith("CloudWatchLogs")]
    arns = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    prefix = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    assert {"Fn::Sub": prefix + group["LogGroupName"]["Fn::Sub"]} in arns


def test_every_operation_of_the_public_document_has_a_throttled_route_and_a_permission(
    template: Template,
) -> None:
    document = yaml.safe_load((ROOT / "functions/help_requests/openapi.yaml").read_text())
    operations = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    routes = {
        logical_id: route["Properties"]["RouteKey"]
        for logical_id, route in of_type(template, "AWS::ApiGatewayV2::Route").items()
        if route["Properties"]["Target"] == {"Fn::Sub": "integrations/${HttpApiIntegration}"}
    }
    assert set(routes.values()) == operations
    stage = resource(template, "HttpApiStage", "AWS::ApiGatewayV2::Stage")
    assert set(routes) <= set(template["Resources"]["HttpApiStage"]["DependsOn"])
    assert set(stage["RouteSettings"]) >= operations
    permissions = {
        json.dumps(permission["Properties"]["SourceArn"])
        for permission in of_type(template, "AWS::Lambda::Permission").values()
        if permission["Properties"]["FunctionName"] == {"Ref": "HelpRequestsFunction"}
    }
    for operation in operations:
        method, path = operation.split(" ")
        assert any(f"/*/{method}{path}" in arn for arn in permissions), operation
