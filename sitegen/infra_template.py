"""Read `infra/template.yaml`, the deployment's one description, for what runs locally: the
table DynamoDB Local gets, the headers the dev server adds as CloudFront does, and the inline
CloudFront Function that `infra/embed_function.py` keeps in step with its source."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "infra" / "template.yaml"
TABLE_LOGICAL_ID = "HelpRequestsTable"


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


def security_headers(template: Mapping[str, Any]) -> dict[str, str]:
    """The headers CloudFront adds in production, from the template's response headers policy."""
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::CloudFront::ResponseHeadersPolicy":
            return _policy_headers(resource["Properties"]["ResponseHeadersPolicyConfig"])
    return {}


def _policy_headers(config: Mapping[str, Any]) -> dict[str, str]:
    security = config.get("SecurityHeadersConfig", {})
    headers: dict[str, str] = {}
    if "ContentSecurityPolicy" in security:
        headers["Content-Security-Policy"] = security["ContentSecurityPolicy"][
            "ContentSecurityPolicy"
        ]
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
