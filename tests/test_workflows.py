""".github/workflows/: pinned actions, least permissions, one deployment at a time, and the
pull request's content check run here as the workflow runs it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = str(Path(sys.executable).parent / "actionlint")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+(\.\d+){0,2}$")
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials@"

Workflow = dict[str, Any]


def load(path: Path) -> Workflow:
    """A workflow file as data; YAML 1.1 reads the key `on` as True, so it is renamed."""
    data: dict[Any, Any] = yaml.safe_load(path.read_text("utf-8"))
    return {"on" if key is True else str(key): value for key, value in data.items()}


def workflow(name: str) -> Workflow:
    return load(ROOT / ".github" / "workflows" / name)


def jobs() -> list[tuple[str, str, Workflow]]:
    """Every job of every workflow: (file name, job id, job)."""
    return [
        (path.name, job_id, job) for path in WORKFLOWS for job_id, job in load(path)["jobs"].items()
    ]


JOBS = jobs()
JOB_IDS = [f"{file}:{job_id}" for file, job_id, _ in JOBS]


def step(job: Workflow, name: str) -> Workflow:
    """The job's step of that name."""
    found: list[Workflow] = [s for s in job["steps"] if s.get("name") == name]
    assert len(found) == 1, f"no single step {name!r}"
    return found[0]


def uses_aws(job: Workflow) -> bool:
    return any(s.get("uses", "").startswith(AWS_CREDENTIALS) for s in job["steps"])


def test_there_are_the_two_workflows() -> None:
    assert [path.name for path in WORKFLOWS] == ["deploy.yml", "pull-request.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_finds_nothing(path: Path) -> None:
    result = subprocess.run(
        [ACTIONLINT, "-no-color", "-oneline", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version_named(path: Path) -> None:
    lines = [line.strip() for line in path.read_text("utf-8").splitlines()]
    uses = [line.split("uses:", 1)[1].strip() for line in lines if "uses:" in line]
    assert uses
    for reference in uses:
        assert PINNED.match(reference), reference


def test_one_action_is_pinned_to_one_commit_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in WORKFLOWS:
        for line in path.read_text("utf-8").splitlines():
            if "uses:" in line:
                action, commit = line.split("uses:", 1)[1].split(" #")[0].strip().split("@")
                pins.setdefault(action, set()).add(commit)
    assert {action: len(commits) for action, commits in pins.items()} == dict.fromkeys(pins, 1)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_the_token_reads_the_repository_only_by_default(path: Path) -> None:
    assert load(path)["permissions"] == {"contents": "read"}


@pytest.mark.parametrize(("file", "job_id", "job"), JOBS, ids=JOB_IDS)
def test_every_job_names_its_permissions_and_only_aws_jobs_get_a_token(
    file: str, job_id: str, job: Workflow
) -> None:
    permissions = job["permissions"]
    assert permissions["contents"] == "read"
    assert set(permissions.values()) <= {"read", "write"}
    writes = {scope for scope, level in permissions.items() if level == "write"}
    assert writes == ({"id-token"} if uses_aws(job) else set()), f"{file}: {job_id}"


@pytest.mark.parametrize(("file", "job_id", "job"), JOBS, ids=JOB_IDS)
def test_every_checkout_leaves_no_token_behind(file: str, job_id: str, job: Workflow) -> None:
    for found in job["steps"]:
        if found.get("uses", "").startswith("actions/checkout@"):
            assert found["with"]["persist-credentials"] is False, f"{file}: {job_id}"


def test_deploy_jobs_never_overlap_nor_stop_halfway() -> None:
    deploy = workflow("deploy.yml")
    assert deploy["concurrency"]["cancel-in-progress"] is False
    aws_jobs = {job_id: job for job_id, job in deploy["jobs"].items() if uses_aws(job)}
    assert set(aws_jobs) == {"deploy-stack", "publish"}
    for job in aws_jobs.values():
        assert job["concurrency"]["cancel-in-progress"] is False
    groups = [job["concurrency"]["group"] for job in aws_jobs.values()]
    assert len(set(groups)) == len(groups)


def test_deploy_runs_on_pushes_to_main_and_from_main_alone() -> None:
    deploy = workflow("deploy.yml")
    assert deploy["on"]["push"] == {"branches": ["main"]}
    assert deploy["jobs"]["changes"]["if"] == "github.ref == 'refs/heads/main'"
    assert deploy["jobs"]["deploy-stack"]["needs"] == "changes"


def test_the_stack_is_deployed_only_when_its_code_changed() -> None:
    deploy = workflow("deploy.yml")["jobs"]
    assert deploy["deploy-stack"]["if"] == "needs.changes.outputs.stack == 'true'"
    script = step(deploy["changes"], "Compare with the last successful deployment")["run"]
    assert 'git diff --quiet "$last" HEAD -- infra/ functions/ constraints.txt' in script
    sam = [s["run"] for s in deploy["deploy-stack"]["steps"] if "run" in s]
    assert sam[0] == "./sam build --config-env ci"
    assert sam[1].startswith("./sam deploy --config-env ci ")
    assert '--role-arn "$EXECUTION_ROLE"' in sam[1]


def test_publish_waits_for_the_stack_and_names_it_from_a_variable() -> None:
    publish = workflow("deploy.yml")["jobs"]["publish"]
    assert publish["needs"] == ["changes", "deploy-stack"]
    assert "needs.deploy-stack.result == 'skipped'" in publish["if"]
    assert step(publish, "Publish")["env"] == {"STACK_NAME": "${{ vars.STACK_NAME }}"}
    assert step(publish, "Publish")["run"].startswith(
        'python build.py publish --stack "$STACK_NAME"'
    )


def test_each_aws_job_assumes_its_own_role() -> None:
    roles = {
        job_id: found["with"]["role-to-assume"]
        for job_id, job in workflow("deploy.yml")["jobs"].items()
        for found in job["steps"]
        if found.get("uses", "").startswith(AWS_CREDENTIALS)
    }
    assert roles == {
        "deploy-stack": "${{ vars.AWS_DEPLOY_ROLE_ARN }}",
        "publish": "${{ vars.AWS_PUBLISH_ROLE_ARN }}",
    }


def test_every_repository_variable_is_in_the_set_up_guide() -> None:
    used = {
        name
        for path in WORKFLOWS
        for name in re.findall(r"\bvars\.([A-Z_]+)", path.read_text("utf-8"))
    }
    guide = (ROOT / "infra" / "README.md").read_text("utf-8")
    documented = set(re.findall(r"^\s*\| `([A-Z_]+)` \|", guide, flags=re.MULTILINE))
    assert used == documented


def test_a_pull_request_checks_content_and_runs_the_suite() -> None:
    pull_request = workflow("pull-request.yml")
    assert "pull_request" in pull_request["on"]
    check = step(pull_request["jobs"]["check-content"], "Check content and links")
    assert check["run"] == "python build.py check"
    assert step(pull_request["jobs"]["test"], "Lint and test")["run"] == "bash .ci/run"


def test_the_content_check_annotates_the_broken_line(tmp_path: Path) -> None:
    """The pull request's check step, run here as GitHub runs it, on a broken text."""
    job = workflow("pull-request.yml")["jobs"]["check-content"]
    command = shlex.split(step(job, "Check content and links")["run"])
    assert command[0] == "python"
    fixture = ["--content", "tests/content/bad_date", "--cache", str(tmp_path / "cache")]
    environment = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(ROOT)}
    result = subprocess.run(
        [sys.executable, *command[1:], *fixture],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=environment,
        timeout=300,
    )
    assert result.returncode == 1
    # GitHub reads `::error file=F,line=N...::message` from the step's output.
    found = re.findall(r"^::error file=([^,:]+),line=(\d+)[,:]", result.stdout, re.MULTILINE)
    assert found == [
        ("tests/content/bad_date/stories/impossible.md", "3"),
        ("tests/content/bad_date/stories/x.md", "3"),
    ]


@pytest.fixture
def history(tmp_path: Path) -> dict[str, str]:
    """A repository whose commits change, in turn, infra/, content/ and functions/."""
    repository = tmp_path / "repository"
    repository.mkdir()
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repository, check=True)
    commits = {}
    for folder in ("infra", "content", "functions"):
        (repository / folder).mkdir()
        (repository / folder / "file.txt").write_text(folder, "utf-8")
        subprocess.run([*git, "add", "."], cwd=repository, check=True)
        subprocess.run([*git, "commit", "-q", "-m", folder], cwd=repository, check=True)
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repository, check=True, capture_output=True, text=True
        )
        commits[folder] = head.stdout.strip()
    return commits


def run_changes(tmp_path: Path, last_success: str, *, at: str, force: bool = False) -> str:
    """The changes job's script, as the runner runs it, with `gh` naming `last_success`."""
    repository = tmp_path / "repository"
    subprocess.run(["git", "checkout", "-q", at], cwd=repository, check=True)
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    (tools / "gh").write_text(f"#!/bin/sh\necho '{last_success}'\n", "utf-8")
    (tools / "gh").chmod(0o755)
    output = tmp_path / "output"
    output.write_text("", "utf-8")
    script = step(
        workflow("deploy.yml")["jobs"]["changes"], "Compare with the last successful deployment"
    )
    environment = {
        **os.environ,
        "PATH": f"{tools}:{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_REPOSITORY": "example-org/ask-for-help",
        "GH_TOKEN": "unused",
        "FORCE": "true" if force else "false",
    }
    subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script["run"]],
        cwd=repository,
        env=environment,
        check=True,
        capture_output=True,
    )
    return output.read_text("utf-8")


def test_content_alone_deploys_no_stack(tmp_path: Path, history: dict[str, str]) -> None:
    assert run_changes(tmp_path, history["infra"], at=history["content"]) == "stack=false\n"


def test_a_changed_function_since_the_last_success_deploys_the_stack(
    tmp_path: Path, history: dict[str, str]
) -> None:
    assert run_changes(tmp_path, history["content"], at=history["functions"]) == "stack=true\n"
    # A run that failed or was replaced leaves its changes to the next one.
    assert run_changes(tmp_path, history["infra"], at=history["functions"]) == "stack=true\n"


def test_no_earlier_success_or_a_forced_run_deploys_the_stack(
    tmp_path: Path, history: dict[str, str]
) -> None:
    assert run_changes(tmp_path, "", at=history["content"]) == "stack=true\n"
    assert run_changes(tmp_path, "0" * 40, at=history["content"]) == "stack=true\n"
    forced = run_changes(tmp_path, history["infra"], at=history["content"], force=True)
    assert forced == "stack=true\n"


def test_publish_builds_with_the_images_and_markdown_earlier_runs_made(tmp_path: Path) -> None:
    from sitegen.markdown.cache import MarkdownCache
    from sitegen.options import BuildOptions
    from sitegen.render.images import process_images

    steps = workflow("deploy.yml")["jobs"]["publish"]["steps"]
    cached = [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
    assert len(cached) == 1
    assert steps.index(cached[0]) < steps.index(step({"steps": steps}, "Build the site"))
    assert step({"steps": steps}, "Build the site")["run"] == "python build.py build"
    settings = cached[0]["with"]
    # A new entry whenever content or code changed; the newest earlier one is restored.
    assert settings["key"].startswith(settings["restore-keys"])
    for hashed in ("'content/**'", "'sitegen/**'", "'constraints.txt'"):
        assert hashed in settings["key"]
    # Where a build with the default cache folder keeps them.
    default = BuildOptions().cache
    image = ROOT / "content" / "images" / "ask-for-help.jpg"
    process_images([image.name], {image.name: image}, tmp_path)
    assert (tmp_path / "images").is_dir()
    assert MarkdownCache(tmp_path).path == tmp_path / "markdown.sqlite"
    assert settings["path"].split() == [str(default / "images"), str(default / "markdown.sqlite")]
