"""The project's own list of addresses that get no more mail: bounced or complained about.

An address is stored only as its keyed hash (the contact hash both functions use), in an item
`suppressed#<hash>` of the help-requests table, with the reason and when it came; it never
expires, so a hard bounce is never mailed again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .contact import contact_hash
from .errors import StorageUnavailable
from .table import iso_utc

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

SUPPRESSED_PREFIX = "suppressed#"
Reason = Literal["bounce", "complaint"]


class SuppressionList(Protocol):
    """What sending mail asks of the suppression list."""

    def is_suppressed(self, address: str) -> bool:
        """Whether nothing more may be sent to `address`."""
        ...


def suppressed_key(address: str, hash_key: bytes) -> str:
    """The partition key of an address's suppression item."""
    return f"{SUPPRESSED_PREFIX}{contact_hash(address, hash_key)}"


class TableSuppressionList:
    """The suppression list in the table, behind an injected boto3 DynamoDB client."""

    def __init__(self, client: DynamoDBClient, table_name: str, hash_key: bytes) -> None:
        self.client = client
        self.table_name = table_name
        self.hash_key = hash_key

    def is_suppressed(self, address: str) -> bool:
        """Whether the address bounced or complained before."""
        key = {"pk": {"S": suppressed_key(address, self.hash_key)}}
        try:
            found = self.client.get_item(
                TableName=self.table_name, Key=key, ConsistentRead=True, ProjectionExpression="pk"
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(_code(exc)) from exc
        return "Item" in found

    def suppress(self, address: str, reason: Reason, now: float) -> bool:
        """Mark the address; False when it was marked already (the first reason is kept)."""
        item: dict[str, AttributeValueTypeDef] = {
            "pk": {"S": suppressed_key(address, self.hash_key)},
            "reason": {"S": reason},
            "suppressed_at": {"S": iso_utc(now)},
        }
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise StorageUnavailable(_code(exc)) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        return True


def _code(exc: BotoCoreError | ClientError) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__
