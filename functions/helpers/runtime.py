"""What the function's three entries share: its configuration, clients, keys and assets, each
made on first use and kept for the container's life."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..shared.mail import ASSETS, MailAssets, Mailer, Renderer, Sender, Sent, Suppressed
from ..shared.suppression import TableSuppressionList
from ..shared.tokens import KeyLoader, KeyRing
from .config import Config
from .errors import ConfigError
from .links import Signer
from .mails import Composer, Outgoing
from .store import HelpersStore
from .texts import PageTexts

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class Runtime:
    """The helpers' function for one configuration; clients may be passed in (tests, serve)."""

    def __init__(
        self,
        config: Config,
        *,
        dynamodb: DynamoDBClient | None = None,
        ses: Any = None,
        secrets: Any = None,
    ) -> None:
        self.config = config
        self._dynamodb = dynamodb
        self._ses = ses
        self._secrets = secrets

    def now(self) -> float:
        """The configuration's clock."""
        return self.config.clock()

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        """The table's client."""
        if self._dynamodb is not None:
            return self._dynamodb
        from ..shared.aws import dynamodb_client

        return dynamodb_client(self.config)

    @cached_property
    def store(self) -> HelpersStore:
        """The table."""
        return HelpersStore(self.dynamodb, self.config.table_name)

    @cached_property
    def keys(self) -> KeyRing:
        """The links' signing keys, read from Secrets Manager once."""
        return KeyLoader(self._secrets_client(), self.config.link_key_secret).keys()

    @cached_property
    def signer(self) -> Signer:
        """Signs new links with the current key."""
        return Signer(self.keys.current, self.config.site_url)

    @cached_property
    def texts(self) -> PageTexts:
        """The link pages' strings and templates."""
        return PageTexts.load(self._assets)

    @cached_property
    def composer(self) -> Composer:
        """Composes the flows' e-mails."""
        return Composer(self.signer, self.texts)

    @cached_property
    def renderer(self) -> Renderer:
        """Renders e-mails."""
        return Renderer(MailAssets.load(self._assets))

    @cached_property
    def mailer(self) -> Mailer:
        """Sends e-mails, never to a suppressed address."""
        from ..shared.mail import ses_client

        if self.config.mail_from is None:
            raise ConfigError("MAIL_FROM: missing; e-mail cannot be sent without a sender")
        ses = self._ses or ses_client(self.config.ses_endpoint, self.config.region)
        suppression = TableSuppressionList(
            self.dynamodb, self.config.table_name, self.config.contact_hash_key
        )
        sender = Sender(self.config.mail_from, self.config.mail_configuration_set)
        return Mailer(ses, suppression, sender)

    def reload_assets(self) -> None:
        """Read the templates and strings again on next use (`build.py serve` rewrote them)."""
        for name in ("texts", "composer", "renderer"):
            self.__dict__.pop(name, None)

    def send(self, mail: Outgoing) -> Sent | Suppressed:
        """Render and send one e-mail."""
        return self.mailer.send(mail.to, self.renderer.render(mail.name, mail.lang, mail.values))

    @property
    def _assets(self) -> Path:
        return self.config.mail_assets or ASSETS

    def _secrets_client(self) -> Any:
        if self._secrets is not None:
            return self._secrets
        import boto3
        from botocore.config import Config as BotoConfig

        config = BotoConfig(
            retries={"mode": "standard", "total_max_attempts": 3},
            connect_timeout=2,
            read_timeout=5,
        )
        return boto3.client(
            "secretsmanager",
            endpoint_url=self.config.secrets_endpoint,
            region_name=self.config.region,
            config=config,
        )
