"""infra/github-oidc.yaml: who GitHub Actions may act as, and what each role may touch."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cfnlint
import pytest

from sitegen.infra_template import load_template

ROOT = Path(__file__).resolve().parents[2]
OIDC_TEMPLATE = ROOT / "infra" / "github-oidc.yaml"
CFN_LINT = str(Path(sys.executable).parent / "cfn-lint")
MAIN_ONLY = {"Fn::Sub": "repo:${GitHubOwner}/${GitHubRepository}:ref:refs/heads/main"}
STACK_ARN = {
    "Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}"
    ":stack/${SiteStackName}/*"
}
SITE_BUCKET = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${SiteBucketName}"}
SITE_FILES = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${SiteBucketName}/*"}
DISTRIBUTION = {
    "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${DistributionId}"
}

EXECUTION_ROLE = {"Fn::GetAtt": ["StackExecutionRole", "Arn"]}

Template = dict[str, Any]


@pytest.fixture(scope="module")
def template() -> Template:
    """The parsed `infra/github-oidc.yaml`."""
    return load_template(OIDC_TEMPLATE)


def role(template: Template, logical_id: str) -> Template:
    """A role's properties, checking its type."""
    found = template["Resources"][logical_id]
    assert found["Type"] == "AWS::IAM::Role"
    properties: Template = found["Properties"]
    return properties


def statements(role_properties: Template) -> Iterator[Template]:
    """Every statement of the role's inline policies."""
    for policy in role_properties.get("Policies", []):
        yield from policy["PolicyDocument"]["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed(role_properties: Template) -> dict[str, list[Any]]:
    """Each allowed action, with every resource it is allowed on."""
    found: dict[str, list[Any]] = {}
    for statement in statements(role_properties):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            found.setdefault(action, []).extend(as_list(statement["Resource"]))
    return found


def test_the_template_passes_cfn_lint() -> None:
    result = subprocess.run(
        [CFN_LINT, "--include-checks", "I", "--", str(OIDC_TEMPLATE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_provider_is_githubs_and_its_audience_sts(template: Template) -> None:
    provider = template["Resources"]["GitHubOidcProvider"]
    assert provider["Type"] == "AWS::IAM::OIDCProvider"
    assert provider["Properties"] == {
        "Url": "https://token.actions.githubusercontent.com",
        "ClientIdList": ["sts.amazonaws.com"],
    }


@pytest.mark.parametrize("logical_id", ["PublishRole", "DeployRole"])
def test_only_the_repositorys_main_branch_may_assume_the_role(
    template: Template, logical_id: str
) -> None:
    trust = role(template, logical_id)["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {
                "Federated": {
                    "Fn::If": [
                        "CreateOidcProvider",
                        {"Ref": "GitHubOidcProvider"},
                        {"Ref": "ExistingOidcProviderArn"},
                    ]
                }
            },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": MAIN_ONLY,
                }
            },
        }
    ]


def test_the_execution_role_is_for_cloudformation_alone(template: Template) -> None:
    trust = role(template, "StackExecutionRole")["AssumeRolePolicyDocument"]["Statement"]
    assert [(s["Principal"], s["Action"]) for s in trust] == [
        ({"Service": "cloudformation.amazonaws.com"}, "sts:AssumeRole")
    ]


@pytest.mark.parametrize("logical_id", ["PublishRole", "DeployRole", "StackExecutionRole"])
def test_no_action_is_a_wildcard_and_nothing_is_denied_by_omission(
    template: Template, logical_id: str
) -> None:
    for statement in statements(role(template, logical_id)):
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"{logical_id}: {action}"


def test_the_publish_role_touches_the_site_bucket_and_distribution_only(
    template: Template,
) -> None:
    assert allowed(role(template, "PublishRole")) == {
        "cloudformation:DescribeStacks": [STACK_ARN],
        "s3:ListBucket": [SITE_BUCKET],
        "s3:DeleteObject": [SITE_FILES],
        "s3:GetObject": [SITE_FILES],
        "s3:PutObject": [SITE_FILES],
        "cloudfront:CreateInvalidation": [DISTRIBUTION],
        "cloudfront:GetInvalidation": [DISTRIBUTION],
    }


def test_the_deploy_role_only_drives_cloudformation_as_the_execution_role(
    template: Template,
) -> None:
    deploy = {s["Sid"]: s for s in statements(role(template, "DeployRole"))}
    actions = allowed(role(template, "DeployRole"))
    assert {action.split(":")[0] for action in actions} == {"cloudformation", "iam", "s3"}
    transform = {
        "Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:aws"
        ":transform/Serverless-2016-10-31"
    }
    assert actions["cloudformation:CreateChangeSet"] == [STACK_ARN, transform]
    assert deploy["ChangeTheSiteStackAsTheExecutionRole"]["Condition"] == {
        "StringEquals": {"cloudformation:RoleArn": EXECUTION_ROLE}
    }
    assert actions["cloudformation:ExecuteChangeSet"] == [STACK_ARN]
    assert actions["iam:PassRole"] == [EXECUTION_ROLE]
    assert deploy["PassOnlyTheExecutionRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}
    }
    cloudformation = [a for a in actions if a.startswith("cloudformation:")]
    for action in set(cloudformation) - {"cloudformation:CreateChangeSet"}:
        assert actions[action] == [STACK_ARN], action


def test_the_deploy_role_writes_only_the_artifacts_bucket(template: Template) -> None:
    actions = allowed(role(template, "DeployRole"))
    s3 = {action: resources for action, resources in actions.items() if action.startswith("s3:")}
    assert s3 == {
        "s3:ListBucket": [{"Fn::GetAtt": ["SamArtifactsBucket", "Arn"]}],
        "s3:GetObject": [{"Fn::Sub": "${SamArtifactsBucket.Arn}/*"}],
        "s3:PutObject": [{"Fn::Sub": "${SamArtifactsBucket.Arn}/*"}],
    }


def test_the_execution_role_makes_and_passes_only_the_stacks_roles(template: Template) -> None:
    stack_roles = {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${SiteStackName}-*"
    }
    for statement in statements(role(template, "StackExecutionRole")):
        for action in as_list(statement["Action"]):
            if action.startswith("iam:"):
                assert statement["Resource"] == stack_roles, action
        if statement["Action"] == "iam:PassRole":
            assert statement["Condition"] == {
                "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}
            }


def test_the_execution_role_cannot_read_or_write_help_requests(template: Template) -> None:
    actions = allowed(role(template, "StackExecutionRole"))
    data = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem"}
    assert not data & set(actions)
    assert not {"s3:PutObject", "s3:DeleteObject"} & set(actions)


def test_nothing_in_the_template_allows_a_wildcard_action(template: Template) -> None:
    def documents(value: Any) -> Iterator[Template]:
        if isinstance(value, dict):
            if "Statement" in value:
                yield value
            for inner in value.values():
                yield from documents(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from documents(inner)

    found = list(documents(template["Resources"]))
    assert len(found) == 7  # a bucket policy, three trust policies, three role policies
    for document in found:
        for statement in document["Statement"]:
            if statement["Effect"] == "Allow":
                assert not [a for a in as_list(statement["Action"]) if "*" in a], statement


# What CloudFormation's handlers for the stack's resource types list, but the stack never
# needs, by reason. A resource type added to infra/template.yaml brings its handlers' list.
NOT_GRANTED = {
    # The help requests and the site's files: deploying reads and writes neither.
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
    "s3:DeleteObject",
    "s3:GetObjectMetadata",
    "s3:PutObjectAcl",
    # Features the stack does not use: table imports and replicas, Kinesis streaming, secret
    # replicas, managed policies and permission boundaries, service-linked roles, Lambda
    # layers, code signing, capacity providers, runtime aliases and scaling, CloudFront
    # connection groups, VPC origins and staging, S3 metadata tables and bucket features
    # the site's bucket does not have, log and topic data protection and indexes.
    "apigateway:TagResource",
    "apigateway:UntagResource",
    "cloudfront:CreateConnectionGroup",
    "cloudfront:GetConnectionGroup",
    "cloudfront:GetVpcOrigin",
    "cloudfront:UpdateDistributionWithStagingConfig",
    "dynamodb:AssociateTableReplica",
    "dynamodb:CreateTableReplica",
    "dynamodb:DescribeImport",
    "dynamodb:DescribeKinesisStreamingDestination",
    "dynamodb:DisableKinesisStreamingDestination",
    "dynamodb:EnableKinesisStreamingDestination",
    "dynamodb:ImportTable",
    "dynamodb:UpdateKinesisStreamingDestination",
    "iam:AttachRolePolicy",
    "iam:CreateServiceLinkedRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "lambda:AssociateRuntimeAlias",
    "lambda:GetLayerVersion",
    "lambda:PassCapacityProvider",
    "lambda:PutFunctionCodeSigningConfig",
    "lambda:PutFunctionScalingConfig",
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutBearerTokenAuthentication",
    "logs:PutDataProtectionPolicy",
    "logs:PutIndexPolicy",
    "logs:PutLogEvents",
    "s3:CreateBucketMetadataTableConfiguration",
    "s3:PutAccelerateConfiguration",
    "s3:PutAnalyticsConfiguration",
    "s3:PutBucketAbac",
    "s3:PutBucketAcl",
    "s3:PutBucketCORS",
    "s3:PutBucketLogging",
    "s3:PutBucketNotification",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketReplication",
    "s3:PutBucketWebsite",
    "s3:PutIntelligentTieringConfiguration",
    "s3:PutInventoryConfiguration",
    "s3:PutMetricsConfiguration",
    "s3:PutObjectLockConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:UpdateBucketMetadataAnnotationTableConfiguration",
    "s3:UpdateBucketMetadataInventoryTableConfiguration",
    "s3:UpdateBucketMetadataJournalTableConfiguration",
    "secretsmanager:RemoveRegionsFromReplication",
    "secretsmanager:ReplicateSecretToRegions",
    "sns:PutDataProtectionPolicy",
    # Names of API calls, not IAM actions (cfn-lint says so); their actions are granted.
    "cloudfront:CreateDistributionWithTags",
    "s3:DeleteBucketAnalyticsConfiguration",
    "s3:DeleteBucketCors",
    "s3:DeleteBucketEncryption",
    "s3:DeleteBucketLifecycle",
    "s3:DeleteBucketMetricsConfiguration",
    "s3:DeleteBucketReplication",
    "s3:REST.PUT.OBJECT",
    "s3:getObject",
}
NOT_GRANTED_SERVICES = {"ec2", "elasticfilesystem", "firehose", "kinesis", "s3files", "s3tables"}
# Granted beyond the handlers' lists: the HTTP API's access log delivery, the table's stream
# for the notifier's and the helpers' event source mappings, the functions' code in the
# artifacts bucket.
BEYOND_HANDLERS = {
    "s3:GetObject",
    "dynamodb:DescribeStream",
    "dynamodb:ListStreams",
    "lambda:GetFunctionConfiguration",
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:UpdateLogDelivery",
}
SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas" / "resources"


@pytest.fixture(scope="module")
def handlers_need() -> set[str]:
    """What the handlers of the site stack's resource types may call, after SAM's transform."""
    types = {resource["Type"] for resource in load_template()["Resources"].values()}
    # What SAM makes of a function and its events (stream, schedule, topic, async failures).
    types = types - {"AWS::Serverless::Function"} | {
        "AWS::Lambda::Function",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::Permission",
        "AWS::Events::Rule",
        "AWS::SNS::Subscription",
    }
    needed: set[str] = set()
    for path in SCHEMAS.glob("*.json"):
        schema = json.loads(path.read_text("utf-8"))
        if schema.get("typeName") in types:
            types.discard(schema["typeName"])
            for handler in ("create", "read", "update", "delete"):
                needed.update(schema.get("handlers", {}).get(handler, {}).get("permissions", []))
    assert not types, f"no schema for {sorted(types)}"
    return needed


def test_the_execution_role_can_do_what_the_stacks_resources_need(
    template: Template, handlers_need: set[str]
) -> None:
    required = {
        action
        for action in handlers_need - NOT_GRANTED
        if action.split(":")[0] not in NOT_GRANTED_SERVICES
    }
    assert sorted(required - set(allowed(role(template, "StackExecutionRole")))) == []


def test_the_execution_role_can_do_nothing_else(
    template: Template, handlers_need: set[str]
) -> None:
    granted = set(allowed(role(template, "StackExecutionRole")))
    assert sorted(granted - handlers_need - BEYOND_HANDLERS) == []
    assert not NOT_GRANTED & granted
