"""Fixtures for the helpers' function: DynamoDB Local (the session's), SES and Secrets Manager
on moto in server mode, the real templates and strings, and a clock the test moves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from functions.helpers.config import Config
from functions.helpers.pages import create_app
from functions.helpers.runtime import Runtime
from sitegen.render.emails import make_mail_assets
from sitegen.serve.mailbox import sent_mail
from sitegen.serve.moto import (
    CONFIGURATION_SET,
    LINK_KEYS_SECRET,
    MAIL_FROM,
    MotoServer,
    create_local_mail,
)
from tests.functions.helpers.world import HASH_KEY, Clock, Mailbox, Stream, getter

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from starlette.applications import Starlette

    from functions.helpers.items import Item

ROOT = Path(__file__).resolve().parents[3]
SITE_URL = "https://ask.example.org"
START = 1_780_000_000.0  # 2026-05-28


@pytest.fixture(scope="session")
def mail_assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The e-mails' and link pages' assets made from the project's templates and strings."""
    folder = tmp_path_factory.mktemp("helpers") / "assets"
    make_mail_assets(ROOT / "content", ROOT / "templates", folder)
    return folder


# Per module: moto's state is global to the process, so another module's reset would wipe the
# link key, and a thread left serving would keep later builds from forking.
@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    """moto in server mode with the development sending domain and link key."""
    with MotoServer() as server:
        create_local_mail(server)
        yield server


@pytest.fixture
def clock() -> Clock:
    """The function's clock, at a fixed moment until the test moves it."""
    return Clock(START)


@pytest.fixture
def helpers_config(dynamodb_table: str, mail_assets: Path, clock: Clock) -> Config:
    """The function's configuration for the test table."""
    return Config(
        table_name=dynamodb_table,
        site_url=SITE_URL,
        link_key_secret=LINK_KEYS_SECRET,
        contact_hash_key=HASH_KEY,
        mail_from=MAIL_FROM,
        mail_configuration_set=CONFIGURATION_SET,
        mail_assets=mail_assets,
        clock=clock,
    )


@pytest.fixture
def runtime(helpers_config: Config, dynamodb_client: DynamoDBClient, moto: MotoServer) -> Runtime:
    """The function on DynamoDB Local and moto."""
    return Runtime(
        helpers_config,
        dynamodb=dynamodb_client,
        ses=moto.client("sesv2"),
        secrets=moto.client("secretsmanager"),
    )


@pytest.fixture
def links_app(runtime: Runtime) -> Starlette:
    """The links' pages."""
    return create_app(runtime)


@pytest.fixture
def stream(
    dynamodb_endpoint: str, dynamodb_client: DynamoDBClient, dynamodb_table: str, runtime: Runtime
) -> Stream:
    """The test table's stream, handed to the outbox on `pump()`."""
    return Stream(dynamodb_endpoint, dynamodb_client, dynamodb_table, runtime)


@pytest.fixture
def mailbox(moto: MotoServer) -> Mailbox:
    """The e-mails sent from now on."""
    return Mailbox(moto.endpoint, len(sent_mail(moto.endpoint)))


@pytest.fixture
def get(dynamodb_client: DynamoDBClient, dynamodb_table: str) -> Callable[[str], Item | None]:
    """Read an item of the test table by its key."""
    return getter(dynamodb_client, dynamodb_table)
