"""`build.py serve`: the whole product on one origin, rebuilt and reloaded as files change."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn
from botocore.exceptions import BotoCoreError, ClientError
from starlette.types import ASGIApp

from sitegen import infra_template
from sitegen.classes import dataclass
from sitegen.content.load import load_config
from sitegen.errors import ServeError, SiteError
from sitegen.incremental.builder import Builder
from sitegen.options import BuildOptions
from sitegen.render.emails import EMAIL_FOLDER, make_mail_assets
from sitegen.serve.admin import start_inbox
from sitegen.serve.app import Watcher, error_text, site_app, with_api
from sitegen.serve.dynamodb_local import local_client
from sitegen.serve.files import Languages, SiteFiles
from sitegen.serve.livereload import LiveReload
from sitegen.serve.mailbox import MAIL_PATH, Mailbox, with_mailbox
from sitegen.serve.moto import MotoServer, create_local_mail
from sitegen.serve.notifications import notify_moderators
from sitegen.serve.outbox import (
    SCHEDULE_PATH,
    OutboxConsumer,
    helpers_runtime,
    outbox_filters,
    with_links,
    with_schedule,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from functions.helpers.runtime import Runtime

DEFAULT_TABLE = "help-requests-dev"
# Generous, so that trying the form over and over in development is never refused.
DEV_RATE_LIMIT = 1000
API_SETTINGS = (
    "TABLE_NAME",
    "IP_HASH_KEY",
    "CONTACT_HASH_KEY",
    "CONSENT_VERSION",
    "SITE_ORIGIN",
    "ALLOWED_ORIGINS",
    "RETENTION_DAYS",
    "RATE_LIMIT_PER_HOUR",
    "RATE_LIMIT_PER_DAY",
    "MIN_FILL_SECONDS",
)


@dataclass(frozen=True)
class ServeOptions:
    """What to build and where to listen."""

    build: BuildOptions
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def origin(self) -> str:
        """The one origin site and API share."""
        return f"http://{self.host}:{self.port}"

    @property
    def watched(self) -> tuple[Path, ...]:
        """Files whose changes trigger a rebuild (static files live under templates/)."""
        return (self.build.content, self.build.templates, self.build.contract)


def serve(options: ServeOptions) -> int:
    """Build, start DynamoDB Local and the API, serve until Ctrl-C, then stop it all."""
    check_port(options.host, options.port)
    stop_on_sigterm()
    livereload = LiveReload()
    languages = Languages(load_config(options.build.content).codes)

    # One builder for the whole run: it keeps the last build's state in memory, so a
    # rebuild renders only the pages whose inputs changed.
    builder = Builder(options.build, keep_model=True)

    mail_assets = Path(tempfile.mkdtemp(prefix="mail-assets-"))
    # What reads the mail assets once started: told to read them again when they are rewritten.
    mail_readers: list[Callable[[], None]] = []

    def rebuild(changed: set[Path], in_place: Callable[[bool], None]) -> bool:
        # The one place a rebuild happens; the watcher names the files that changed.
        result = builder.build(changed, committed=in_place)
        if any(mail_input(options.build, path) for path in changed):
            make_mail_assets(options.build.content, options.build.templates, mail_assets)
            for reload in mail_readers:
                reload()
        return result.written + result.removed > 0

    try:
        # Both, whatever the first one finds: a content error must not leave the mail unwritten.
        built, mailed = (
            first_build(builder, options.build.output),
            first_mail(options.build, mail_assets),
        )
        first = built or mailed
        if first is not None:
            livereload.failed(first)
        with dynamodb_endpoint() as endpoint, MotoServer() as moto:
            mail = create_local_mail(moto)
            environment = api_environment(options, endpoint, os.environ) | mail.environment()
            environment["MAIL_ASSETS"] = str(mail_assets)
            ensure_table(local_client(endpoint), environment["TABLE_NAME"], endpoint)
            api = create_api(environment)
            helpers = helpers_runtime(environment, options.origin, moto)
            mail_readers.append(helpers.reload_assets)
            files = SiteFiles(options.build.output, languages, livereload)
            watcher = Watcher(options.watched, rebuild, livereload)
            app = with_api(api, site_app(files, livereload, watcher))
            app = with_links(app, create_links_app(helpers))
            template = infra_template.load_template()
            inbox = start_inbox(moto, template)
            app = inbox.serve(app, create_admin_api(environment))
            app = with_mailbox(app, Mailbox(moto.endpoint))
            app = with_schedule(app, helpers)
            print(f"API table {environment['TABLE_NAME']!r} on DynamoDB at {endpoint}", flush=True)
            print(f"Serving the site and its API at {options.origin}/ (Ctrl-C stops)", flush=True)
            print(inbox.welcome(options.origin), flush=True)
            print(
                f"E-mail sent through SES (on moto) is shown at {options.origin}{MAIL_PATH}",
                flush=True,
            )
            print(
                f"POST {options.origin}{SCHEDULE_PATH}?days=N runs the helpers' daily schedule"
                " as if N days had passed",
                flush=True,
            )
            sns = moto.client("sns")
            topic = sns.create_topic(Name="moderators")["TopicArn"]
            table = environment["TABLE_NAME"]
            outbox = OutboxConsumer(helpers, outbox_filters(template))
            notifications = notify_moderators(
                endpoint, table, options.origin, sns=sns, topic_arn=topic, outbox=outbox
            )
            with notifications, contextlib.suppress(KeyboardInterrupt):
                run_server(app, options, livereload)
    finally:
        shutil.rmtree(mail_assets, ignore_errors=True)
    return 0


def first_build(builder: Builder, output: Path) -> str | None:
    """Build once before serving; the error text when it fails (the server starts anyway)."""
    try:
        result = builder.build()
    except SiteError as error:
        message = error_text(error)
        print(message, file=sys.stderr, flush=True)
        return message
    print(f"built {result.pages} pages in {result.seconds:.2f} s → {output}", flush=True)
    return None


def first_mail(build: BuildOptions, out: Path) -> str | None:
    """Write the e-mails' assets once before serving; the error text when their strings fail."""
    try:
        make_mail_assets(build.content, build.templates, out)
    except SiteError as error:
        message = error_text(error)
        print(message, file=sys.stderr, flush=True)
        return message
    return None


def mail_input(build: BuildOptions, path: Path) -> bool:
    """Whether a changed file is an e-mail template or a UI strings file."""
    folders = (build.templates / EMAIL_FOLDER, build.content / "i18n")
    return any(path.resolve().is_relative_to(folder.resolve()) for folder in folders)


class Server(uvicorn.Server):
    """uvicorn, ending open live-reload streams as soon as it is told to stop."""

    def __init__(self, config: uvicorn.Config, livereload: LiveReload) -> None:
        super().__init__(config)
        self.livereload = livereload

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # uvicorn waits for open responses before it stops; an event stream never ends alone.
        with contextlib.suppress(RuntimeError):  # no loop yet: no streams either
            asyncio.get_running_loop().call_soon_threadsafe(self.livereload.close)
        super().handle_exit(sig, frame)


def run_server(app: ASGIApp, options: ServeOptions, livereload: LiveReload) -> None:
    """Run uvicorn in this thread until a signal stops it."""
    Server(server_config(app, options), livereload).run()


def server_config(app: ASGIApp, options: ServeOptions) -> uvicorn.Config:
    """uvicorn's settings: its C parser of HTTP and event loop where installed (`auto`)."""
    return uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )


def check_port(host: str, port: int) -> None:
    """Fail with a clear message when the port is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As uvicorn does: connections of a server stopped a moment ago must not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ServeError(
                f"cannot listen on {host}:{port}: {exc.strerror}; choose another with --port"
            ) from exc


@contextlib.contextmanager
def dynamodb_endpoint() -> Iterator[str]:
    """`DYNAMODB_ENDPOINT` when set, else a DynamoDB Local started here and stopped on exit."""
    endpoint = os.environ.get("DYNAMODB_ENDPOINT", "").strip()
    if endpoint:
        yield endpoint
        return
    from sitegen.serve.dynamodb_local import DynamoDBLocal, DynamoDBLocalError

    try:
        with DynamoDBLocal() as started:
            yield started
    except DynamoDBLocalError as exc:
        raise ServeError(str(exc)) from exc


def ensure_table(client: DynamoDBClient, name: str, endpoint: str) -> None:
    """Create the table from `infra/template.yaml` unless it exists."""
    from sitegen.serve.dynamodb_local import create_table

    try:
        if name not in client.list_tables()["TableNames"]:
            create_table(client, name)
    except (BotoCoreError, ClientError) as exc:
        raise ServeError(f"cannot use DynamoDB at {endpoint}: {exc}") from exc


def api_environment(
    options: ServeOptions, endpoint: str, environ: Mapping[str, str]
) -> dict[str, str]:
    """The API's settings for this run; settings already in the environment win."""
    defaults = {
        "TABLE_NAME": DEFAULT_TABLE,
        "DYNAMODB_ENDPOINT": endpoint,
        # A fresh key per run: development hashes never match production ones.
        "IP_HASH_KEY": secrets.token_hex(32),
        # Both functions hash contacts with it: the inbox finds a contact's requests by it.
        "CONTACT_HASH_KEY": secrets.token_hex(32),
        "CONSENT_VERSION": "development",
        "SITE_ORIGIN": options.origin,
        "ALLOWED_ORIGINS": f"http://localhost:{options.port}",
        "RATE_LIMIT_PER_HOUR": str(DEV_RATE_LIMIT),
        "RATE_LIMIT_PER_DAY": str(DEV_RATE_LIMIT),
    }
    given = {key: environ[key] for key in API_SETTINGS if environ.get(key, "").strip()}
    return defaults | given


def create_api(environment: dict[str, str]) -> ASGIApp:
    """The same ASGI app that runs in Lambda, configured for this run."""
    from functions.help_requests import Config, create_app
    from functions.help_requests.errors import ConfigError

    try:
        config = Config.from_env(environment)
    except ConfigError as exc:
        raise ServeError(f"the API's settings are wrong: {exc}") from exc
    api: ASGIApp = create_app(config, local_client(environment["DYNAMODB_ENDPOINT"]))
    return api


def create_links_app(runtime: Runtime) -> ASGIApp:
    """The helpers' function's pages behind e-mails' links."""
    from functions.helpers.pages import create_app

    app: ASGIApp = create_app(runtime)
    return app


def create_admin_api(environment: dict[str, str]) -> ASGIApp:
    """The moderators' function's app, on the same table as the API."""
    from functions.moderation.app import create_app
    from functions.moderation.config import Config
    from functions.moderation.errors import ConfigError

    try:
        config = Config.from_env(environment)
    except ConfigError as exc:
        raise ServeError(f"the moderators' API's settings are wrong: {exc}") from exc
    api: ASGIApp = create_app(config, local_client(environment["DYNAMODB_ENDPOINT"]))
    return api


def stop_on_sigterm() -> None:
    """Make SIGTERM unwind like Ctrl-C, so everything started here is stopped."""

    def exit_now(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, exit_now)
