"""Read `infra/template.yaml`, the deployment's one description, for what runs locally: the
table DynamoDB Local gets, the moderators' user pool moto gets, the headers the dev server adds
as CloudFront does, and the inline CloudFront Function that `infra/embed_function.py` keeps in
step with its source."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "infra" / "template.yaml"
TABLE_LOGICAL_ID = "HelpRequestsTable"
SITE_HEADERS_POLICY = "SecurityHeadersPolicy"
ADMIN_HEADERS_POLICY = "AdminHeadersPolicy"
USER_POOL = "ModeratorsUserPool"
USER_POOL_CLIENT = "ModeratorsUserPoolClient"
MODERATORS_GROUP = "ModeratorsGroup"
# The source the inbox's CSP allows its sign-in calls to; locally, moto's endpoint instead.
COGNITO_SOURCE = "https://cognito-idp.${AWS::Region}.amazonaws.com"
# Properties CloudFormation and the Cognito API name alike; the rest (tags, references to
# other resources) means nothing to a local pool.
_POOL_PROPERTIES = (
    "Policies",
    "AdminCreateUserConfig",
    "UsernameAttributes",
    "AliasAttributes",
    "AutoVerifiedAttributes",
    "UsernameConfiguration",
    "MfaConfiguration",
    "AccountRecoverySetting",
    "UserAttributeUpdateSettings",
    "Schema",
    "DeletionProtection",
)
_CLIENT_PROPERTIES = (
    "GenerateSecret",
    "ExplicitAuthFlows",
    "PreventUserExistenceErrors",
    "AccessTokenValidity",
    "IdTokenValidity",
    "RefreshTokenValidity",
    "TokenValidityUnits",
    "AuthSessionValidity",
    "EnableTokenRevocation",
    "ReadAttributes",
    "WriteAttributes",
)
_GROUP_PROPERTIES = ("Description", "Precedence")


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns `!Ref X` into `{"Ref": "X"}`, `!Sub s` into `{"Fn::Sub": s}`."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def parse_template(text: str) -> dict[str, Any]:
    """Parse CloudFormation YAML text into plain dicts and lists."""
    data = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(data, dict):
        raise ValueError("a CloudFormation template must be a mapping")
    return data


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """Read and parse the template file."""
    return parse_template(path.read_text(encoding="utf-8"))


def table_properties(
    template: dict[str, Any], logical_id: str = TABLE_LOGICAL_ID
) -> dict[str, Any]:
    """The `Properties` of the table resource."""
    resource = template["Resources"][logical_id]
    properties: dict[str, Any] = resource["Properties"]
    return properties


def create_table_kwargs(template: dict[str, Any], table_name: str) -> dict[str, Any]:
    """Arguments for `dynamodb.create_table` that build the template's table under `table_name`."""
    props = table_properties(template)
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if "GlobalSecondaryIndexes" in props:
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if "StreamSpecification" in props:
        view = props["StreamSpecification"]["StreamViewType"]
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    return kwargs


def ttl_attribute(template: dict[str, Any]) -> str | None:
    """The table's TTL attribute name, if TTL is enabled."""
    spec = table_properties(template).get("TimeToLiveSpecification", {})
    return spec.get("AttributeName") if spec.get("Enabled") else None


def security_headers(
    template: Mapping[str, Any], logical_id: str = SITE_HEADERS_POLICY
) -> dict[str, str]:
    """The headers CloudFront adds in production, from one of the template's response headers
    policies (the site's by default); none when the template has no such policy."""
    resource = template.get("Resources", {}).get(logical_id)
    if resource is None or resource.get("Type") != "AWS::CloudFront::ResponseHeadersPolicy":
        return {}
    return _policy_headers(resource["Properties"]["ResponseHeadersPolicyConfig"])


def admin_security_headers(template: Mapping[str, Any], cognito_endpoint: str) -> dict[str, str]:
    """The headers of the inbox's pages, their CSP letting them reach `cognito_endpoint`."""
    headers = security_headers(template, ADMIN_HEADERS_POLICY)
    csp = headers.get("Content-Security-Policy", "")
    if COGNITO_SOURCE not in csp:
        raise ValueError(
            f"{ADMIN_HEADERS_POLICY}: its Content-Security-Policy must allow {COGNITO_SOURCE}"
        )
    headers["Content-Security-Policy"] = csp.replace(COGNITO_SOURCE, cognito_endpoint)
    return headers


def user_pool_kwargs(template: Mapping[str, Any], pool_name: str) -> dict[str, Any]:
    """Arguments for `cognito-idp.create_user_pool` that make the moderators' pool."""
    props = _properties(template, USER_POOL, "AWS::Cognito::UserPool")
    return {"PoolName": pool_name, **_plain(props, _POOL_PROPERTIES, USER_POOL)}


def software_token_mfa(template: Mapping[str, Any]) -> bool:
    """Whether the pool's users sign in with an authenticator app's codes (TOTP)."""
    props = _properties(template, USER_POOL, "AWS::Cognito::UserPool")
    return "SOFTWARE_TOKEN_MFA" in props.get("EnabledMfas", [])


def user_pool_client_kwargs(
    template: Mapping[str, Any], pool_id: str, client_name: str = "inbox"
) -> dict[str, Any]:
    """Arguments for `cognito-idp.create_user_pool_client` that make the inbox's app client."""
    props = _properties(template, USER_POOL_CLIENT, "AWS::Cognito::UserPoolClient")
    name = props.get("ClientName")
    return {
        "UserPoolId": pool_id,
        "ClientName": name if isinstance(name, str) else client_name,
        **_plain(props, _CLIENT_PROPERTIES, USER_POOL_CLIENT),
    }


def user_pool_group_kwargs(template: Mapping[str, Any], pool_id: str) -> dict[str, Any]:
    """Arguments for `cognito-idp.create_group` that make the moderators' group."""
    props = _properties(template, MODERATORS_GROUP, "AWS::Cognito::UserPoolGroup")
    return {
        "UserPoolId": pool_id,
        "GroupName": props["GroupName"],
        **_plain(props, _GROUP_PROPERTIES, MODERATORS_GROUP),
    }


def _properties(template: Mapping[str, Any], logical_id: str, kind: str) -> dict[str, Any]:
    resource = template.get("Resources", {}).get(logical_id)
    if resource is None or resource.get("Type") != kind:
        raise ValueError(f"the template has no {kind} named {logical_id}")
    properties: dict[str, Any] = resource.get("Properties", {})
    return properties


def _plain(props: Mapping[str, Any], names: tuple[str, ...], logical_id: str) -> dict[str, Any]:
    """The named properties; a value CloudFormation would still have to resolve is an error."""
    found = {name: props[name] for name in names if name in props}
    for name, value in found.items():
        if _has_intrinsic(value):
            raise ValueError(f"{logical_id}.{name}: a local pool cannot resolve {value!r}")
    return found


def _has_intrinsic(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(k == "Ref" or k.startswith("Fn::") for k in value) or any(
            _has_intrinsic(v) for v in value.values()
        )
    if isinstance(value, list):
        return any(_has_intrinsic(item) for item in value)
    return False


def _policy_headers(config: Mapping[str, Any]) -> dict[str, str]:
    security = config.get("SecurityHeadersConfig", {})
    headers: dict[str, str] = {}
    if "ContentSecurityPolicy" in security:
        csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
        # The inbox's policy names the region's Cognito endpoint through !Sub.
        headers["Content-Security-Policy"] = csp["Fn::Sub"] if isinstance(csp, dict) else csp
    if "ContentTypeOptions" in security:
        headers["X-Content-Type-Options"] = "nosniff"
    if "FrameOptions" in security:
        headers["X-Frame-Options"] = security["FrameOptions"]["FrameOption"]
    if "ReferrerPolicy" in security:
        headers["Referrer-Policy"] = security["ReferrerPolicy"]["ReferrerPolicy"]
    # HSTS is left out: it means nothing over plain HTTP on 127.0.0.1.
    for item in config.get("CustomHeadersConfig", {}).get("Items", []):
        headers[item["Header"]] = item["Value"]
    return headers


def embed_block(text: str, key: str, content: str) -> str:
    """Replace the literal block scalar `key: |` in template text with `content`."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == f"{key}: |"]
    if len(starts) != 1:
        raise ValueError(f"expected one `{key}: |` block in the template, found {len(starts)}")
    start = starts[0]
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and _inside_block(lines[end], indent):
        end += 1
    pad = " " * (indent + 2)
    block = [f"{pad}{line}".rstrip() + "\n" for line in content.splitlines()]
    return "".join([*lines[: start + 1], *block, *lines[end:]])


def _inside_block(line: str, indent: int) -> bool:
    stripped = line.strip()
    return not stripped or len(line) - len(line.lstrip()) > indent
