"""Delivers to the app's event handlers what `chalice local` does not.

`chalice local` serves HTTP only. The pump reads the app's declared event
sources and, polling moto, calls the very handler functions Lambda would call,
with Lambda-shaped events:

- `on_sqs_message(queue=...)`: messages of that queue (deleted when the handler
  returns; on an error they come back after a short delay, and SQS moves them to
  the dead-letter queue after maxReceiveCount receives, as on AWS);
- `on_s3_event(bucket=...)`: the bucket's notifications, read from the queue the
  bucket notifies (infra/resources.py), as S3 would invoke the function;
- `on_dynamodb_record(stream_arn=...)`: the table's stream records (the table is
  found by its name inside the ARN);
- `schedule(...)`: rate expressions at their rate, cron ones every minute (the
  handlers are idempotent and decide from the clock).

It works against the moto server of the local stack and against in-process moto
in tests alike: it only needs the boto3 session.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.shared.logs import get_logger
from infra.resources import BUCKETS, Bucket

if TYPE_CHECKING:
    from boto3.session import Session
    from chalice import Chalice

ROOT = Path(__file__).resolve().parents[2]
RETRY_VISIBILITY_SECONDS = 2
MAX_STREAM_ATTEMPTS = 5
RATE_SECONDS = {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400}
STREAM_TABLE = re.compile(r":table/([^/]+)/stream")

Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass
class SqsSource:
    function: str
    queue_url: str
    queue_arn: str
    batch_size: int


@dataclass
class S3Source:
    function: str
    bucket: str
    queue_url: str
    prefix: str
    suffix: str


@dataclass
class StreamSource:
    function: str
    stream_arn: str
    batch_size: int
    iterators: dict[str, str | None] = field(default_factory=dict)
    attempts: int = 0


@dataclass
class ScheduleSource:
    function: str
    interval_seconds: float
    next_run: float = 0.0


class Pump:
    """Polls moto and invokes the app's event handlers."""

    def __init__(
        self,
        app: Chalice,
        session: Session,
        invoke: Invoke | None = None,
        clock: Callable[[], float] = time.monotonic,
        retry_visibility_seconds: int = RETRY_VISIBILITY_SECONDS,
    ) -> None:
        self._session: Any = session
        self._retry_visibility = retry_visibility_seconds
        self._invoke = invoke or _chalice_invoker(app)
        self._clock = clock
        self._log = get_logger()
        self.sqs: list[SqsSource] = []
        self.s3: list[S3Source] = []
        self.streams: list[StreamSource] = []
        self.schedules: list[ScheduleSource] = []
        self._discover(app)

    def _discover(self, app: Chalice) -> None:
        from chalice.app import (
            DynamoDBEventConfig,
            S3EventConfig,
            ScheduledEventConfig,
            SQSEventConfig,
        )

        sqs = self._session.client("sqs")
        for source in app.event_sources:
            if isinstance(source, SQSEventConfig):
                name = source.queue or str(source.queue_arn).rsplit(":", 1)[-1]
                url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
                arn = _queue_arn(sqs, url)
                self.sqs.append(SqsSource(source.name, url, arn, source.batch_size))
            elif isinstance(source, S3EventConfig):
                queue_url = self._notification_queue_url(source.bucket)
                self.s3.append(
                    S3Source(source.name, source.bucket, queue_url, source.prefix, source.suffix)
                )
            elif isinstance(source, DynamoDBEventConfig):
                self.streams.append(self._stream_source(source))
            elif isinstance(source, ScheduledEventConfig):
                self.schedules.append(
                    ScheduleSource(source.name, _interval_seconds(source.schedule_expression))
                )

    def _notification_queue_url(self, bucket_name: str) -> str:
        bucket = _bucket_definition(bucket_name)
        if bucket is None or bucket.notification_queue is None:
            raise ValueError(f"bucket {bucket_name} notifies no queue in infra/resources.py")
        stage_prefix = bucket_name.removesuffix(bucket.logical_name)
        queue_name = stage_prefix + bucket.notification_queue
        return str(self._session.client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"])

    def _stream_source(self, source: Any) -> StreamSource:
        match = STREAM_TABLE.search(source.stream_arn)
        if match is None:
            raise ValueError(f"no table name in stream ARN {source.stream_arn}")
        table = self._session.client("dynamodb").describe_table(TableName=match.group(1))
        stream_arn = table["Table"]["LatestStreamArn"]
        stream = StreamSource(source.name, stream_arn, source.batch_size)
        streams = self._streams_client()
        description = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
        for shard in description["Shards"]:
            stream.iterators[shard["ShardId"]] = streams.get_shard_iterator(
                StreamArn=stream_arn,
                ShardId=shard["ShardId"],
                ShardIteratorType=source.starting_position,
            )["ShardIterator"]
        return stream

    def _streams_client(self) -> Any:
        from botocore.config import Config

        # moto does not route the account-based endpoint botocore picks by default.
        return self._session.client(
            "dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")
        )

    def tick(self) -> int:
        """Deliver what is waiting, once; returns the number of handler invocations."""
        invocations = 0
        for sqs_source in self.sqs:
            invocations += self._deliver_sqs(sqs_source)
        for s3_source in self.s3:
            invocations += self._deliver_s3(s3_source)
        for stream in self.streams:
            invocations += self._deliver_stream(stream)
        for schedule in self.schedules:
            invocations += self._run_schedule(schedule)
        return invocations

    def drain(self, max_rounds: int = 20) -> int:
        """Deliver queued messages and stream records until none are left (schedules aside)."""
        total = 0
        for _ in range(max_rounds):
            delivered = sum(self._deliver_sqs(source) for source in self.sqs)
            delivered += sum(self._deliver_s3(source) for source in self.s3)
            delivered += sum(self._deliver_stream(source) for source in self.streams)
            total += delivered
            if not delivered:
                break
        return total

    def _deliver_sqs(self, source: SqsSource) -> int:
        sqs = self._session.client("sqs")
        messages = sqs.receive_message(
            QueueUrl=source.queue_url,
            MaxNumberOfMessages=min(source.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [_sqs_record(message, source.queue_arn) for message in messages]}
        if self._call(source.function, event):
            for message in messages:
                sqs.delete_message(
                    QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        else:
            for message in messages:
                sqs.change_message_visibility(
                    QueueUrl=source.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self._retry_visibility,
                )
        return 1

    def _deliver_s3(self, source: S3Source) -> int:
        sqs = self._session.client("sqs")
        messages = sqs.receive_message(QueueUrl=source.queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        invocations = 0
        for message in messages:
            records = [
                record
                for record in json.loads(message["Body"]).get("Records", [])
                if _s3_record_matches(record, source)
            ]
            delivered = True
            for record in records:
                invocations += 1
                delivered = self._call(source.function, {"Records": [record]}) and delivered
            if delivered:
                sqs.delete_message(
                    QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return invocations

    def _deliver_stream(self, stream: StreamSource) -> int:
        streams = self._streams_client()
        invocations = 0
        for shard_id, iterator in list(stream.iterators.items()):
            if iterator is None:
                continue
            response = streams.get_records(ShardIterator=iterator, Limit=stream.batch_size)
            records = response.get("Records", [])
            if records:
                invocations += 1
                event = {"Records": [_stream_record(r, stream.stream_arn) for r in records]}
                if not self._call(stream.function, event):
                    stream.attempts += 1
                    if stream.attempts < MAX_STREAM_ATTEMPTS:
                        continue  # keep the iterator: the same records come again
                    self._log.error("stream records dropped", extra={"function": stream.function})
                stream.attempts = 0
            stream.iterators[shard_id] = response.get("NextShardIterator")
        return invocations

    def _run_schedule(self, schedule: ScheduleSource) -> int:
        if self._clock() < schedule.next_run:
            return 0
        schedule.next_run = self._clock() + schedule.interval_seconds
        self._call(schedule.function, _scheduled_event(self._session.region_name or "eu-west-3"))
        return 1

    def _call(self, function: str, event: dict[str, Any]) -> bool:
        try:
            self._invoke(function, event)
        except Exception:  # noqa: BLE001 - a failing handler is retried, as Lambda would
            self._log.exception("event handler failed", extra={"function": function})
            return False
        return True


def _chalice_invoker(app: Chalice) -> Invoke:
    from chalice.test import Client

    client = Client(app, stage_name="local", project_dir=str(ROOT))

    def invoke(function: str, event: dict[str, Any]) -> Any:
        return client.lambda_.invoke(function, event).payload

    return invoke


def _queue_arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def _bucket_definition(bucket_name: str) -> Bucket | None:
    return next((b for b in BUCKETS if bucket_name.endswith("-" + b.logical_name)), None)


def _interval_seconds(expression: Any) -> float:
    from chalice.app import Rate

    if isinstance(expression, Rate):
        return float(expression.value * RATE_SECONDS[expression.unit])
    return 60.0


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


def _s3_record_matches(record: dict[str, Any], source: S3Source) -> bool:
    from urllib.parse import unquote_plus

    if not str(record.get("eventName", "")).startswith("ObjectCreated"):
        return False
    s3 = record.get("s3", {})
    key = unquote_plus(s3.get("object", {}).get("key", ""))
    return (
        s3.get("bucket", {}).get("name") == source.bucket
        and key.startswith(source.prefix or "")
        and key.endswith(source.suffix or "")
    )


def _stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    lambda_record = dict(record)
    body = dict(record.get("dynamodb", {}))
    created = body.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        body["ApproximateCreationDateTime"] = created.timestamp()
    lambda_record["dynamodb"] = body
    lambda_record["eventSourceARN"] = stream_arn
    return lambda_record


def _scheduled_event(region: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": {},
    }
