"""Moderators' notifications in `build.py serve`: DynamoDB Local's stream of the table, read as
Lambda reads it for the notifier, through the template's filter, into the notifier's own code.

Each notification is printed in the terminal; it goes to SNS too when an SNS client (moto's,
say) is given. The stream is read from its newest record when the server starts."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from functions.notifier.batch import notify_batch
from functions.notifier.config import Config
from sitegen import infra_template
from sitegen.serve.dynamodb_local import REGION, local_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_sns import SNSClient

FUNCTION_ID = "NotifierFunction"
# Where notifications go when an SNS client is given: moto's default account, `serve`'s region.
LOCAL_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:moderators"
POLL_SECONDS = 1.0
Record = dict[str, Any]


def stream_filters(template: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The filter patterns of the notifier's DynamoDB event in the template."""
    events = template["Resources"][FUNCTION_ID]["Properties"]["Events"]
    return [
        json.loads(entry["Pattern"])
        for event in events.values()
        if event["Type"] == "DynamoDB"
        for entry in event["Properties"].get("FilterCriteria", {}).get("Filters", [])
    ]


def passes(filters: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """Whether Lambda would hand the record to the function: it matches one of the filters."""
    return not filters or any(matches(pattern, record) for pattern in filters)


def matches(pattern: Mapping[str, Any], value: Mapping[str, Any]) -> bool:
    """Lambda's event filtering, for the rules the template uses: exact values, `prefix` and
    `exists: true`."""
    for key, rule in pattern.items():
        if key not in value:
            return False
        if isinstance(rule, Mapping):
            if not isinstance(value[key], Mapping) or not matches(rule, value[key]):
                return False
        elif not any(_allows(option, value[key]) for option in rule):
            return False
    return True


def _allows(option: Any, value: Any) -> bool:
    if not isinstance(option, Mapping):
        return bool(option == value)
    if option == {"exists": True}:
        return True  # `matches` has already found the key
    if set(option) != {"prefix"}:
        raise ValueError(
            f"filter rule {sorted(option)} is not one this matcher knows (prefix, exists: true)"
        )
    return isinstance(value, str) and value.startswith(option["prefix"])


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> Record:
    """A record from `GetRecords` in the shape Lambda's event gives it to the function."""
    change = dict(record["dynamodb"])
    moment = change.get("ApproximateCreationDateTime")
    if isinstance(moment, datetime):
        change["ApproximateCreationDateTime"] = int(moment.timestamp())
    return {**record, "dynamodb": change, "eventSourceARN": stream_arn}


def streams_client(endpoint: str) -> DynamoDBStreamsClient:
    """A DynamoDB Streams client for DynamoDB Local, with fake static credentials."""
    import boto3

    client: DynamoDBStreamsClient = boto3.client(
        "dynamodbstreams",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local accepts any key
    )
    return client


def write_lines(out: TextIO | None, lines: Sequence[str]) -> None:
    """Print lines in one write, so that another thread's output never comes between them."""
    stream = out or sys.stdout
    stream.write("".join(f"{line}\n" for line in lines))
    stream.flush()


class TerminalPublisher:
    """Prints each notification; forwards it to SNS as well when given a client."""

    def __init__(self, out: TextIO | None = None, sns: SNSClient | None = None) -> None:
        self.out = out
        self.sns = sns

    def publish(self, *, TopicArn: str, Message: str, Subject: str) -> None:
        """Print the subject and the indented text, then publish them if SNS is there."""
        indented = (f"  {line}" if line else "" for line in Message.splitlines())
        lines = [f"notification: {Subject}", *indented]
        write_lines(self.out, lines)
        if self.sns is not None:
            self.sns.publish(TopicArn=TopicArn, Message=Message, Subject=Subject)


class StreamNotifier:
    """Polls the table's stream on a thread and hands each poll's new records to the notifier."""

    def __init__(
        self,
        dynamodb_endpoint: str,
        table_name: str,
        *,
        inbox_url: str,
        sns: SNSClient | None = None,
        topic_arn: str = LOCAL_TOPIC_ARN,
        out: TextIO | None = None,
        interval: float = POLL_SECONDS,
        outbox: Callable[[list[Record]], None] | None = None,
    ) -> None:
        self.endpoint = dynamodb_endpoint
        # The helpers' function reads the same stream through its own filter.
        self.outbox = outbox
        self.table_name = table_name
        self.config = Config(topic_arn=topic_arn, inbox_url=inbox_url)
        self.publisher = TerminalPublisher(out, sns)
        self.out = out
        self.interval = interval
        self.filters = stream_filters(infra_template.load_template())
        self.streams = streams_client(dynamodb_endpoint)
        self.stream_arn = ""
        self._iterators: dict[str, str] = {}
        self._known: set[str] = set()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Read every open shard from its newest record on, then poll on a thread."""
        table = local_client(self.endpoint).describe_table(TableName=self.table_name)["Table"]
        if "LatestStreamArn" not in table:
            self._say(f"notifications: table {self.table_name!r} has no stream; none are printed")
            return
        self.stream_arn = table["LatestStreamArn"]
        self._discover(start="LATEST")
        self._thread = threading.Thread(target=self._run, name="notifications", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End polling and wait for the thread."""
        self._stopped.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def poll(self) -> None:
        """Read what each shard holds since the last poll and notify of its new requests."""
        self._discover(start="TRIM_HORIZON")  # a shard opened since is read from its start
        records: list[Record] = []
        for shard_id, iterator in list(self._iterators.items()):
            response = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            following = response.get("NextShardIterator", "")
            if following:
                self._iterators[shard_id] = following
            else:  # the shard is closed and read to its end
                del self._iterators[shard_id]
            records += [lambda_record(record, self.stream_arn) for record in response["Records"]]
        self._notify([record for record in records if passes(self.filters, record)])
        if self.outbox is not None:
            self.outbox(records)

    def _notify(self, records: list[Record]) -> None:
        if not records:
            return
        outcome = notify_batch(records, self.config, self.publisher)
        if outcome.cause is not None:
            self._say(f"notification not published: {outcome.cause}")

    def _discover(self, *, start: str) -> None:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id in self._known:
                continue
            self._known.add(shard_id)
            if start == "LATEST" and "EndingSequenceNumber" in shard["SequenceNumberRange"]:
                continue  # closed before we started: nothing new will come
            self._iterators[shard_id] = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn,
                ShardId=shard_id,
                ShardIteratorType="LATEST" if start == "LATEST" else "TRIM_HORIZON",
            )["ShardIterator"]

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.poll()
            except (BotoCoreError, ClientError) as exc:
                # Iterators may have expired or the shard moved on: start again from now.
                self._say(f"notifications: cannot read the stream ({type(exc).__name__})")
                self._iterators.clear()
                self._known.clear()
                with contextlib.suppress(BotoCoreError, ClientError):
                    self._discover(start="LATEST")

    def _say(self, line: str) -> None:
        write_lines(self.out, [line])

    def __enter__(self) -> StreamNotifier:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def notify_moderators(
    dynamodb_endpoint: str,
    table_name: str,
    origin: str,
    *,
    sns: SNSClient | None = None,
    topic_arn: str = LOCAL_TOPIC_ARN,
    outbox: Callable[[list[Record]], None] | None = None,
) -> Iterator[StreamNotifier]:
    """Print a notification for each new request while the block runs (`build.py serve`); hand
    every record to `outbox` too, when given."""
    notifier = StreamNotifier(
        dynamodb_endpoint,
        table_name,
        inbox_url=f"{origin}/admin/",
        sns=sns,
        topic_arn=topic_arn,
        outbox=outbox,
    )
    with notifier:
        where = f" and published to {topic_arn}" if sns is not None else ""
        print(f"Notifications of new requests are printed here{where}", flush=True)
        yield notifier
