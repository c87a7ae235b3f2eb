"""The inbox's sign-in settings, `admin/config.json`, written from the stack's outputs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

CONFIG_KEY = "admin/config.json"
# What the inbox page reads, by the stack output that holds it.
OUTPUTS = {
    "region": "ModeratorsRegion",
    "userPoolId": "ModeratorsUserPoolId",
    "clientId": "ModeratorsUserPoolClientId",
}


def inbox_config(outputs: Mapping[str, str]) -> bytes | None:
    """The file's bytes, or None when the stack has no moderators' user pool."""
    if not all(name in outputs for name in OUTPUTS.values()):
        return None
    config = {key: outputs[name] for key, name in OUTPUTS.items()}
    config["cognitoEndpoint"] = f"https://cognito-idp.{config['region']}.amazonaws.com/"
    return (json.dumps(config, sort_keys=True) + "\n").encode()


def write_config(data: bytes, folder: Path) -> tuple[Path, str]:
    """The config as a file in `folder`, and its MD5 (what S3 gives as its ETag)."""
    path = folder / "config.json"
    path.write_bytes(data)
    return path, hashlib.md5(data, usedforsecurity=False).hexdigest()
