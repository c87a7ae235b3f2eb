"""Print infra/template.yaml as CloudFormation after SAM's transform, as JSON.

Runs in .venv-sam (aws-sam-translator comes with the SAM CLI): python sam_transform.py TEMPLATE
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from samtranslator.translator.transform import transform  # type: ignore[import-not-found]
from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-not-found]


class NoManagedPolicies:
    """The template names no managed policy, so the loader must never be asked for one."""

    def load(self) -> dict[str, str]:
        raise AssertionError("the template asked SAM for a managed policy")


def main() -> None:
    """Translate the template as `sam deploy` would after `sam package`."""
    with open(sys.argv[1], encoding="utf-8") as file:
        template: dict[str, Any] = yaml_parse(file.read())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://artifacts/function.zip"
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    json.dump(transform(template, {}, NoManagedPolicies()), sys.stdout)


if __name__ == "__main__":
    main()
