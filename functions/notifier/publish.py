"""Send a notification to the moderators' SNS topic: the notifier's one call to AWS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .errors import PublishFailed
from .notify import Notification

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

MAX_ATTEMPTS = 3


class Publisher(Protocol):
    """What publishing needs of a client: boto3's SNS client, or one that wraps it."""

    def publish(self, *, TopicArn: str, Message: str, Subject: str) -> Any: ...


def publish(client: Publisher, topic_arn: str, notification: Notification) -> None:
    """Publish one message; any failure becomes PublishFailed with AWS's error code."""
    try:
        client.publish(TopicArn=topic_arn, Message=notification.text, Subject=notification.subject)
    except ClientError as exc:
        raise PublishFailed(exc.response.get("Error", {}).get("Code", "ClientError")) from exc
    except BotoCoreError as exc:
        raise PublishFailed(type(exc).__name__) from exc


def sns_client(*, endpoint: str | None = None, region: str | None = None) -> SNSClient:
    """A client with standard retries (3 attempts in all) and short timeouts."""
    import boto3
    from botocore.config import Config as BotoConfig

    boto_config = BotoConfig(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=2,
        read_timeout=5,
    )
    client: SNSClient = boto3.client(
        "sns", endpoint_url=endpoint, region_name=region, config=boto_config
    )
    return client
