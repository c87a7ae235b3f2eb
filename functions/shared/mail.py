"""Render the project's e-mails (Jinja2, plain text and HTML, the site's UI strings) and send
them with SES v2, never to an address on the suppression list.

An e-mail `<name>` is `templates/<name>.txt`, whose `subject` block is the subject, and
`templates/<name>.html`; both get `t(key, **values)` for the strings of the mail's language and
`date(day)` for a date written as that language writes it. The assets are a folder holding
`templates/` and `strings/<lang>.json` (flat keys): the function package stages it from
`templates/email/` and `content/i18n/` (functions/Makefile), `build.py serve` the same way."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import HelpRequestError

if TYPE_CHECKING:
    import jinja2

    from .suppression import SuppressionList

ASSETS = Path(__file__).resolve().parent / "mail_assets"
CHARSET = "UTF-8"


class MailError(HelpRequestError):
    """An e-mail could not be rendered: a template or string is missing or wrong."""


class MailUnavailable(HelpRequestError):
    """SES refused or failed to take the e-mail; nothing was sent."""


@dataclass(frozen=True)
class Email:
    """A rendered e-mail."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Sent:
    """SES took the e-mail."""

    message_id: str


@dataclass(frozen=True)
class Suppressed:
    """The address is on the suppression list: nothing was sent."""


@dataclass(frozen=True)
class MailAssets:
    """The e-mail templates and each language's strings."""

    templates: Path
    strings: Mapping[str, Mapping[str, str]]

    @classmethod
    def load(cls, folder: Path = ASSETS) -> MailAssets:
        """Read `folder/strings/*.json`; the templates are read when rendered."""
        strings = {
            path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted((folder / "strings").glob("*.json"))
        }
        if not strings:
            raise MailError(f"no e-mail strings in {folder / 'strings'}")
        return cls(folder / "templates", strings)


class Renderer:
    """Renders e-mails from one set of assets; its Jinja2 environments are made once."""

    def __init__(self, assets: MailAssets) -> None:
        self.assets = assets

    def render(self, name: str, lang: str, values: Mapping[str, Any]) -> Email:
        """The e-mail `name` in language `lang`, filled with `values`."""
        import jinja2

        if lang not in self.assets.strings:
            raise MailError(f"no e-mail strings for language {lang!r}")
        context = {**values, "lang": lang, **_helpers(self.assets.strings[lang])}
        try:
            text_template = self._text.get_template(f"{name}.txt")
            subject = _block(text_template, "subject", context).strip()
            text = text_template.render(context)
            html = self._html.get_template(f"{name}.html").render({**context, "subject": subject})
        except (jinja2.TemplateError, KeyError) as exc:
            raise MailError(f"cannot render e-mail {name!r} in {lang!r}: {exc!r}") from exc
        return Email(subject, text, html)

    @cached_property
    def _text(self) -> jinja2.Environment:
        return _environment(self.assets.templates, autoescape=False)

    @cached_property
    def _html(self) -> jinja2.Environment:
        return _environment(self.assets.templates, autoescape=True)


def _environment(folder: Path, *, autoescape: bool) -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=autoescape,  # noqa: S701 - plain text mail: escaping would garble it
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _block(template: jinja2.Template, name: str, context: Mapping[str, Any]) -> str:
    if name not in template.blocks:
        raise MailError(f"{template.name} has no {{% block {name} %}}")
    return "".join(template.blocks[name](template.new_context(dict(context))))


def _helpers(texts: Mapping[str, str]) -> dict[str, Any]:
    def t(key: str, /, **values: object) -> str:
        text = texts[key]
        return text.format(**values) if values else text

    def written(day: date) -> str:
        month = texts[f"months.{day.month}"]
        return texts["date.format"].format(day=day.day, month=month, year=day.year)

    return {"t": t, "date": written}


class SesClient(Protocol):
    """The one call of a boto3 SES v2 client that sending makes."""

    def send_email(self, **kwargs: Any) -> Any:
        """Send an e-mail; the answer holds its `MessageId`."""
        ...


@dataclass(frozen=True)
class Sender:
    """Who e-mails come from, and the configuration set that reports their bounces."""

    from_address: str
    configuration_set: str


class Mailer:
    """Sends rendered e-mails with SES v2 unless the address is suppressed."""

    def __init__(self, ses: SesClient, suppression: SuppressionList, sender: Sender) -> None:
        self.ses = ses
        self.suppression = suppression
        self.sender = sender

    def send(self, to: str, email: Email) -> Sent | Suppressed:
        """Send `email` to `to`, or nothing when the address bounced or complained before."""
        if self.suppression.is_suppressed(to):
            return Suppressed()
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.ses.send_email(**self._request(to, email))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "ClientError")
            raise MailUnavailable(str(code)) from exc
        except BotoCoreError as exc:
            raise MailUnavailable(type(exc).__name__) from exc
        return Sent(str(answer["MessageId"]))

    def _request(self, to: str, email: Email) -> dict[str, Any]:
        return {
            "FromEmailAddress": self.sender.from_address,
            "Destination": {"ToAddresses": [to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": CHARSET},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": CHARSET},
                        "Html": {"Data": email.html, "Charset": CHARSET},
                    },
                }
            },
            "ConfigurationSetName": self.sender.configuration_set,
        }


def ses_client(endpoint: str | None = None, region: str | None = None) -> Any:
    """A boto3 SES v2 client with standard retries (3 attempts) and short timeouts."""
    import boto3
    from botocore.config import Config as BotoConfig

    config = BotoConfig(
        retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=2, read_timeout=5
    )
    return boto3.client("sesv2", endpoint_url=endpoint, region_name=region, config=config)
