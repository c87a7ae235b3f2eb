"""One `sam build` of the template for every test of its artifacts, and the Lambda runtime's
boto3 they run with."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sitegen.infra_template import TEMPLATE_PATH
from tests.infra.sam_build import ROOT, SAM, SAM_VENV, SAM_VERSION, sh


@contextmanager
def _alone() -> Iterator[None]:
    """Exclusive among the test processes: two that find .venv-sam (or its copy of the Lambda
    runtime's boto3) missing or out of date would set it up at once, each removing or
    overwriting files the other is installing or already running."""
    with SAM_VENV.with_name(SAM_VENV.name + ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def sam_python() -> Path:
    """Python 3.12 of .venv-sam, created (with the SAM CLI) on first use."""
    with _alone():
        assert SAM_VERSION in sh([SAM, "--version"], timeout=600).stdout
    return SAM_VENV / "bin" / "python3.12"


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory, sam_python: Path) -> Path:
    """The output of `sam build` for the template (every function), in a temporary folder."""
    build = tmp_path_factory.mktemp("sam") / "build"
    command: list[str | Path] = [
        SAM,
        "build",
        "--no-cached",
        "--template",
        TEMPLATE_PATH,
        "--build-dir",
        build,
    ]
    sh(command, cwd=build.parent, timeout=600)
    return build


@pytest.fixture(scope="session")
def lambda_runtime(sam_python: Path) -> Path:
    """boto3 as the python3.12 Lambda runtime provides it, at the project's pinned version."""
    target = SAM_VENV / "lambda-runtime"
    stamp = target / ".constraints.txt"
    constraints = ROOT / "constraints.txt"
    with _alone():
        if not stamp.exists() or stamp.read_text() != constraints.read_text():
            pip: list[str | Path] = [sam_python, "-m", "pip", "install", "--quiet"]
            sh([*pip, "--upgrade", "--target", target, "-c", constraints, "boto3"], timeout=600)
            stamp.write_text(constraints.read_text())
    return target
