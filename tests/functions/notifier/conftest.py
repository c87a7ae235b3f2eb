"""Fixtures for the notifier: SNS on moto in server mode, read back through an SQS queue, and
DynamoDB Local's own stream of the test table in the shape Lambda's event gives it."""

from __future__ import annotations

import json
import sys
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from sitegen.serve.dynamodb_local import free_port
from sitegen.serve.notifications import lambda_record, streams_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

HERE = Path(__file__).resolve().parent
REGION = "eu-central-1"
INBOX_URL = "https://ask.example.org/admin/"
HANDLER = "functions.notifier.handler"


@dataclass(frozen=True)
class Topic:
    """A moto SNS topic with an SQS queue subscribed, to read back what was published."""

    arn: str
    sns: SNSClient
    sqs: SQSClient
    queue_url: str

    def messages(self) -> list[dict[str, Any]]:
        """Everything published so far, as SNS delivers it to SQS (`Subject`, `Message`)."""
        found: list[dict[str, Any]] = []
        while True:
            response = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            batch = response.get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server on 127.0.0.1 and a free port, for these tests (stopped after them: a build
    forks only when no other thread runs)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Fake credentials and a region for boto3, and SNS and SQS on the moto server."""
    reset = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")  # noqa: S310
    urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310 - moto's local http URL
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", moto_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return moto_endpoint


@pytest.fixture
def topic(aws: str) -> Topic:
    """The moderators' topic on moto, with a queue that receives what is published."""
    return subscribed_topic(f"moderators-{uuid.uuid4().hex[:8]}")


def subscribed_topic(name: str) -> Topic:
    """Create a topic and a queue subscribed to it; boto3 must already point at moto."""
    sns: SNSClient = boto3.client("sns", region_name=REGION)
    sqs: SQSClient = boto3.client("sqs", region_name=REGION)
    arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    return Topic(arn=arn, sns=sns, sqs=sqs, queue_url=queue_url)


@pytest.fixture
def handler(topic: Topic, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The Lambda entry module, imported afresh with the function's environment."""
    monkeypatch.setenv("TOPIC_ARN", topic.arn)
    monkeypatch.setenv("INBOX_URL", INBOX_URL)
    sys.modules.pop(HANDLER, None)
    module = __import__(HANDLER, fromlist=["handler"])
    yield module
    sys.modules.pop(HANDLER, None)


@pytest.fixture
def stream_records(
    dynamodb_endpoint: str, dynamodb_client: DynamoDBClient, dynamodb_table: str
) -> Callable[[], list[dict[str, Any]]]:
    """Every record of the test table's stream so far, as Lambda's event gives them."""

    def read() -> list[dict[str, Any]]:
        table = dynamodb_client.describe_table(TableName=dynamodb_table)["Table"]
        arn = table["LatestStreamArn"]
        streams = streams_client(dynamodb_endpoint)
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        records: list[dict[str, Any]] = []
        for shard in shards:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            response = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += [lambda_record(record, arn) for record in response["Records"]]
        return records

    return read


def recorded_event() -> dict[str, Any]:
    """A batch as Lambda passes it: a request, a rate counter, a status change, a TTL removal."""
    event: dict[str, Any] = json.loads(
        (HERE / "events" / "dynamodb-stream-batch.json").read_text(encoding="utf-8")
    )
    return event
