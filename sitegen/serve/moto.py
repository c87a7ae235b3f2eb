"""moto in server mode, for the AWS services that have no local server of Amazon's own: Cognito
(the moderators' sign-in, its pool made from `infra/template.yaml`), SNS, SES v2 (the e-mails
to people, shown at `/_dev/mail/`) and Secrets Manager (the key that signs e-mails' links)."""

from __future__ import annotations

import json
import logging
import os
import secrets
import string
from types import TracebackType
from typing import Any

from sitegen import infra_template
from sitegen.classes import dataclass

# moto answers the browser's unsigned Cognito calls as this region's.
REGION = "us-east-1"
# With it, moto checks the codes of authenticator apps instead of taking any.
TOTP_SETTING = "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"
POOL_NAME = "moderators-dev"
MODERATOR_NAME = "moderator"
PASSWORD_LENGTH = 20
# Cognito's symbols; the first of them, `^`, is left out for shells' sake.
SYMBOLS = "$*.[]{}()?!@#%&/,><:;|_~=+-"
# E-mail in development: SES takes mail only from a verified identity.
MAIL_DOMAIN = "example.org"
MAIL_FROM = f"Ask for Help <hello@{MAIL_DOMAIN}>"
CONFIGURATION_SET = "ask-for-help-dev"
LINK_KEYS_SECRET = "link-keys-dev"  # noqa: S105 - the secret's name, not its value


class MotoServer:
    """moto's threaded server on 127.0.0.1 and a port of the system's choice; a context manager."""

    def __init__(self) -> None:
        self.endpoint = ""
        self._server: Any = None

    def start(self) -> str:
        """Start serving and return the endpoint URL."""
        from moto.server import ThreadedMotoServer

        # Read by moto at every check, but set before it serves anything.
        os.environ[TOTP_SETTING] = "true"
        # A line per request in the terminal would bury the server's own messages.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self.endpoint

    def stop(self) -> None:
        """Stop serving; everything moto held is gone with it."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            # moto's stop() returns once the serving loop was asked to end, with its thread
            # still running (and its socket open): a process about to fork waits for both.
            thread = getattr(server, "_thread", None)
            if thread is not None:
                thread.join(timeout=5)
            listening = getattr(server, "_server", None)
            if listening is not None:
                listening.server_close()

    def client(self, service: str) -> Any:
        """A boto3 client of this server, with the fake credentials moto takes."""
        return aws_client(service, self.endpoint)

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def aws_client(service: str, endpoint: str) -> Any:
    """A boto3 client of a local endpoint in moto's region."""
    import boto3

    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto takes any key
    )


@dataclass(frozen=True)
class UserPool:
    """The moderators' user pool and the inbox's app client, as the inbox and its API see them."""

    endpoint: str
    pool_id: str
    client_id: str
    region: str = REGION

    @property
    def issuer(self) -> str:
        """The `iss` of the pool's tokens (moto names AWS's URL, as Cognito does)."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        """Where the pool's signing keys are served."""
        return f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json"

    def inbox_config(self) -> dict[str, str]:
        """What the inbox's pages read from `/admin/config.json`."""
        return {
            "region": self.region,
            "userPoolId": self.pool_id,
            "clientId": self.client_id,
            "cognitoEndpoint": self.endpoint,
        }


@dataclass(frozen=True)
class Moderator:
    """A moderator's account, before its first sign-in: the name to sign in with, the
    address, and the temporary password."""

    username: str
    email: str
    password: str


def create_user_pool(cognito: Any, endpoint: str, template: dict[str, Any]) -> UserPool:
    """The template's pool, app client and moderators' group, made in moto."""
    pool_id = cognito.create_user_pool(**infra_template.user_pool_kwargs(template, POOL_NAME))[
        "UserPool"
    ]["Id"]
    if infra_template.software_token_mfa(template):
        # CloudFormation's EnabledMfas is a separate call in Cognito's API.
        mode = infra_template.user_pool_kwargs(template, POOL_NAME).get("MfaConfiguration", "ON")
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=mode,
        )
    client = cognito.create_user_pool_client(
        **infra_template.user_pool_client_kwargs(template, pool_id)
    )
    cognito.create_group(**infra_template.user_pool_group_kwargs(template, pool_id))
    return UserPool(endpoint, pool_id, client["UserPoolClient"]["ClientId"])


def add_moderator(
    cognito: Any, pool: UserPool, template: dict[str, Any], name: str = MODERATOR_NAME
) -> Moderator:
    """A moderator as an administrator creates one: a temporary password, no e-mail sent; the
    first sign-in asks for a new password and sets up the authenticator app."""
    password = strong_password()
    email = f"{name}@example.org"
    # A pool whose user names are e-mail addresses takes no other name.
    by_email = "email" in infra_template.user_pool_kwargs(template, POOL_NAME).get(
        "UsernameAttributes", []
    )
    username = email if by_email else name
    cognito.admin_create_user(
        UserPoolId=pool.pool_id,
        Username=username,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
        TemporaryPassword=password,
        MessageAction="SUPPRESS",
    )
    group = infra_template.user_pool_group_kwargs(template, pool.pool_id)["GroupName"]
    cognito.admin_add_user_to_group(UserPoolId=pool.pool_id, Username=username, GroupName=group)
    return Moderator(username, email, password)


def strong_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password with each kind of character a strong password policy asks for."""
    kinds = (string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS)
    chosen = [secrets.choice(kind) for kind in kinds]
    everything = "".join(kinds)
    chosen += [secrets.choice(everything) for _ in range(length - len(chosen))]
    secrets.SystemRandom().shuffle(chosen)
    return "".join(chosen)


@dataclass(frozen=True)
class LocalMail:
    """SES and the link keys' secret on moto, as the functions' settings name them."""

    endpoint: str
    from_address: str = MAIL_FROM
    configuration_set: str = CONFIGURATION_SET
    secret_id: str = LINK_KEYS_SECRET

    def environment(self) -> dict[str, str]:
        """The settings a function that sends e-mail reads, for this moto server."""
        return {
            "SES_ENDPOINT": self.endpoint,
            "SECRETS_ENDPOINT": self.endpoint,
            "MAIL_FROM": self.from_address,
            "MAIL_CONFIGURATION_SET": self.configuration_set,
            "LINK_KEYS_SECRET": self.secret_id,
            # The helpers' function's name for it (infra/template.yaml passes the secret's ARN).
            "LINK_KEY_SECRET_ARN": self.secret_id,
        }


def create_local_mail(moto: MotoServer) -> LocalMail:
    """A verified sending domain, the configuration set, and a fresh link-signing key (moto
    keeps its state for the whole process, so any of them may exist from an earlier server)."""
    sesv2 = moto.client("sesv2")
    sesv2.create_email_identity(EmailIdentity=MAIL_DOMAIN)
    if CONFIGURATION_SET not in sesv2.list_configuration_sets()["ConfigurationSets"]:
        sesv2.create_configuration_set(ConfigurationSetName=CONFIGURATION_SET)
    # A new key per run: development links never open anything in production.
    secret = json.dumps({"id": "dev", "key": secrets.token_urlsafe(48)})
    manager = moto.client("secretsmanager")
    names = [entry["Name"] for entry in manager.list_secrets()["SecretList"]]
    if LINK_KEYS_SECRET in names:
        manager.put_secret_value(SecretId=LINK_KEYS_SECRET, SecretString=secret)
    else:
        manager.create_secret(Name=LINK_KEYS_SECRET, SecretString=secret)
    return LocalMail(moto.endpoint)
