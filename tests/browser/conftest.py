"""Browser fixtures: `build.py serve` on a copy of the site, DynamoDB Local, Debian's Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from sitegen import infra_template
from sitegen.serve.dynamodb_local import create_table, free_port
from sitegen.serve.moto import UserPool, add_moderator, aws_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("en", "de", "pl")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # Shared memory in /tmp: tabs crash when /dev/shm runs short. Debian's launcher adds this
    # flag below 3.8 GB free, but its test fails (and adds nothing) where findmnt lists
    # /dev/shm more than once, as in containers.
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_SECONDS = 60.0
# Seconds one browser test may take, with the servers and the browser it starts: a wait in
# Playwright that never ends fails the test, with every thread's stack, rather than the run.
BROWSER_TEST_SECONDS = 180


@dataclass
class DevServer:
    """A running `build.py serve`, the site copy it serves, and the table it writes to."""

    url: str
    root: Path
    table: str
    client: DynamoDBClient
    process: subprocess.Popen[bytes]
    log: Path

    def requests_from(self, contact: str) -> list[dict[str, Any]]:
        """Every stored help request with this contact."""
        pages = self.client.get_paginator("scan").paginate(
            TableName=self.table,
            FilterExpression="begins_with(pk, :request) AND contact = :contact",
            ExpressionAttributeValues={":request": {"S": "request#"}, ":contact": {"S": contact}},
            ConsistentRead=True,
        )
        return [item for page in pages for item in page["Items"]]

    def output(self) -> str:
        """What the server printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until the server answers, failing early with its output if it exits."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"build.py serve exited:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/en/", timeout=2):  # noqa: S310 - local URL
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail(f"build.py serve did not answer:\n{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen[bytes]) -> int:
    """Ctrl-C the process and wait for it."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def copy_site(target: Path) -> Path:
    """content/ and templates/ copied to `target`, so tests can change them freely."""
    shutil.copytree(ROOT / "content", target / "content")
    shutil.copytree(ROOT / "templates", target / "templates")
    # Resized images take seconds to make; a warm cache keeps the first build short.
    if (ROOT / ".cache").is_dir():
        shutil.copytree(ROOT / ".cache", target / ".cache")
    return target


def serve_command(root: Path, port: int) -> list[str]:
    """`build.py serve` for a site copy."""
    return [
        sys.executable,
        str(ROOT / "build.py"),
        "serve",
        "--port",
        str(port),
        "--content",
        str(root / "content"),
        "--templates",
        str(root / "templates"),
        "--output",
        str(root / "public"),
        "--cache",
        str(root / ".cache"),
    ]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests get `BROWSER_TEST_SECONDS` unless they say how long they may take."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(BROWSER_TEST_SECONDS))


@pytest.fixture(scope="session")
def dev_server(
    tmp_path_factory: pytest.TempPathFactory,
    dynamodb_endpoint: str,
    dynamodb_client: DynamoDBClient,
) -> Iterator[DevServer]:
    """`build.py serve` on a free port, using the session's DynamoDB Local."""
    root = copy_site(tmp_path_factory.mktemp("served"))
    table = f"help-requests-{uuid.uuid4().hex[:12]}"
    create_table(dynamodb_client, table)
    port = free_port()
    environment = os.environ | {
        "DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "TABLE_NAME": table,
        # Robots are told apart by how fast they fill the form; these tests are that fast.
        "MIN_FILL_SECONDS": "0",
    }
    log = root / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            serve_command(root, port), cwd=ROOT, env=environment, stdout=output, stderr=output
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, log)
        yield DevServer(url, root, table, dynamodb_client, process, log)
    finally:
        stop(process)
        dynamodb_client.delete_table(TableName=table)


# Per module: Playwright's event loop runs while it is open, and tests elsewhere that call
# asyncio.run() must find no loop running.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, dev_server: DevServer) -> Iterator[BrowserContext]:
    """A fresh browser profile (empty storage) pointed at the server."""
    context = browser.new_context(base_url=dev_server.url)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A new tab."""
    return context.new_page()


def strings(language: str) -> dict[str, Any]:
    """The UI strings of a language, as the site's translators wrote them."""
    data: dict[str, Any] = yaml.safe_load(
        (ROOT / "content" / "i18n" / f"{language}.yaml").read_text(encoding="utf-8")
    )
    return data


def front_matter(path: Path) -> dict[str, Any]:
    """The YAML front matter of a content file."""
    _, header, _ = path.read_text(encoding="utf-8").split("---\n", 2)
    data: dict[str, Any] = yaml.safe_load(header)
    return data


def sections(language: str) -> dict[str, str]:
    """The translated section names of a language, from the site settings."""
    settings = yaml.safe_load((ROOT / "content" / "site.yaml").read_text(encoding="utf-8"))
    names: dict[str, str] = settings["languages"][language]["sections"]
    return names


def page_types(language: str) -> dict[str, str]:
    """One URL of every kind of page."""
    section = sections(language)
    return {
        "home": f"/{language}/",
        "story list": f"/{language}/{section['stories']}/",
        "story": f"/{language}/{section['stories']}/alice-almeida/",
        "campaign list": f"/{language}/{section['campaigns']}/",
        "campaign": f"/{language}/{section['campaigns']}/ask-for-help/",
        "tag list": f"/{language}/{section['tags']}/",
        "tag": f"/{language}/{section['tags']}/mentoring/",
        "page": f"/{language}/about/",
        "privacy": f"/{language}/privacy/",
        "ask": f"/{language}/ask/",
        "thanks": f"/{language}/ask/thanks/",
        "ask error": f"/{language}/ask/error/?errors=contact.invalid",
        "offer": f"/{language}/offer-help/",
        "offer thanks": f"/{language}/offer-help/thanks/",
        "offer error": f"/{language}/offer-help/error/?errors=email.invalid,topics.required",
        "not found": f"/{language}/no-such-page/",
    }


# --- The moderators' inbox ----------------------------------------------------------------

TOTP_STEP = 30
INBOX_PASSWORD = "Inbox-passw0rd-for-tests"


class LaxTOTP(pyotp.TOTP):
    """moto's authenticator secret is 60 bits, shorter than pyotp takes by default."""

    min_secret_length_bits = 0


@dataclass(frozen=True)
class Moderator:
    """A moderator's account as an administrator hands it over: name, temporary password."""

    name: str
    password: str


def printed(server: DevServer, pattern: str) -> re.Match[str]:
    """What `build.py serve` printed about the inbox."""
    found = re.search(pattern, server.output())
    assert found, f"{pattern!r} not in the output:\n{server.output()}"
    return found


def printed_moderator(server: DevServer) -> Moderator:
    """The moderator `build.py serve` created and named in the terminal."""
    found = printed(server, r"sign in as (\S+) \(\S+@\S+\) with the password (\S+) ")
    return Moderator(found.group(1), found.group(2))


def new_moderator(server: DevServer) -> Moderator:
    """Another moderator in the served pool, as an administrator adds one."""
    endpoint = printed(server, r"Cognito on moto at (\S+)").group(1)
    with urllib.request.urlopen(f"{server.url}/admin/config.json") as response:  # noqa: S310
        config = json.load(response)
    pool = UserPool(endpoint, config["userPoolId"], config["clientId"])
    name = f"moderator-{uuid.uuid4().hex[:10]}"
    cognito = aws_client("cognito-idp", endpoint)
    added = add_moderator(cognito, pool, infra_template.load_template(), name)
    return Moderator(added.username, added.password)


def totp_code(secret: str) -> str:
    """The authenticator's code now; close to the end of a step, the next step's."""
    if TOTP_STEP - time.time() % TOTP_STEP < 3:
        time.sleep(3.5)
    return LaxTOTP(secret.replace(" ", "")).now()


def first_sign_in(page: Page, moderator: Moderator, password: str = INBOX_PASSWORD) -> str:
    """Sign in for the first time: new password, authenticator set-up; the app's secret."""
    page.fill("#signin-name", moderator.name)
    page.fill("#signin-secret", moderator.password)
    page.click("#signin-password button[type=submit]")
    expect(page.locator("#signin-new-password")).to_be_visible()
    page.fill("#new-password", password)
    page.fill("#new-password-again", password)
    page.click("#signin-new-password button[type=submit]")
    expect(page.locator("#signin-setup")).to_be_visible()
    secret = page.locator("#setup-secret").inner_text()
    page.fill("#setup-code", totp_code(secret))
    page.click("#signin-setup button[type=submit]")
    expect(page.locator("#admin-nav")).to_be_visible()
    return secret


def sign_in_again(page: Page, name: str, secret: str, password: str = INBOX_PASSWORD) -> None:
    """Sign in with the password and the authenticator's code."""
    page.fill("#signin-name", name)
    page.fill("#signin-secret", password)
    page.click("#signin-password button[type=submit]")
    expect(page.locator("#signin-code")).to_be_visible()
    page.fill("#code", totp_code(secret))
    page.click("#signin-code button[type=submit]")
    expect(page.locator("#admin-nav")).to_be_visible()
