"""What the tests of `sam build`'s artifacts share: the pinned SAM CLI, its Python 3.12, and
reading what a function's folder installed.

The pinned SAM CLI runs from .venv-sam (see infra/sam), created with Python 3.12 on first use."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / "infra" / "sam"
SAM_VENV = Path(os.environ.get("SAM_VENV", ROOT / ".venv-sam"))
SAM_VERSION = "1.170.0"
# The requirements (functions/requirements.txt) and what they pull in.
DISTRIBUTIONS = {"mangum", "starlette", "anyio", "idna", "typing-extensions"}
# What a built function sees of the machine: no AWS configuration, fake credentials.
LOCAL_AWS = {
    "AWS_REGION": "eu-central-1",
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def sh(command: list[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command, failing the test with its output when it fails."""
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=False, **kwargs
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


def distribution(name: str) -> str:
    """A distribution's name as pip compares them: `PyYAML` and `pyyaml` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, str]:
    """constraints.txt as {distribution: version}."""
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    found = (line.split("==") for line in lines if "==" in line and not line.startswith("#"))
    return {distribution(name): version.strip() for name, version in found}


def installed(function: Path) -> dict[str, str]:
    """The distributions pip installed into a function's folder, with their versions."""
    names = (path.name.removesuffix(".dist-info") for path in function.glob("*.dist-info"))
    return {distribution(name): version for name, version in (n.rsplit("-", 1) for n in names)}
