"""Delivers to the app's event handlers what `chalice local` does not.

`chalice local` serves HTTP only. The pump reads the app's declared event
sources and, polling moto, calls the very handler functions Lambda would call,
with Lambda-shaped events:

- `on_sqs_message(queue=...)`: messages of that queue, with Lambda's partial
  batch responses: the messages the handler reports (all of them when it
  raises) come back after the queue's visibility timeout, the others are
  deleted, and SQS moves a message to the dead-letter queue after
  maxReceiveCount receives, as on AWS;
- `on_s3_event(bucket=...)`: the bucket's notifications, read from the queue the
  bucket notifies (infra/resources.py), as S3 would invoke the function;
- `on_dynamodb_record(stream_arn=...)`: the table's stream records (the table is
  found by its name inside the ARN), with the event source mapping's failure
  semantics: partial batches, bisection, backoff, bounded retries and age, then
  the on-failure queue (infra/local/streams.py);
- `schedule(...)`: rate expressions at their rate, cron ones every minute (the
  handlers are idempotent and decide from the clock).

It works against the moto server of the local stack and against in-process moto
in tests alike: it only needs the boto3 session. `time_scale` divides its
durations (retry delays, record ages) for tests that play long outages fast.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.shared.logs import get_logger
from infra.local.streams import StreamReader
from infra.resources import BUCKETS, QUEUES, STREAM_FAILURES, TABLES, Bucket, StreamFailures

if TYPE_CHECKING:
    from boto3.session import Session
    from chalice import Chalice

ROOT = Path(__file__).resolve().parents[2]
# A queue not described in infra/resources.py (tests' own apps): SQS's default.
DEFAULT_VISIBILITY_SECONDS = 30
RATE_SECONDS = {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400}
STREAM_TABLE = re.compile(r":table/([^/]+)/stream")

Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass
class SqsSource:
    function: str
    queue_url: str
    queue_arn: str
    batch_size: int
    # How long a failed message stays invisible before it comes back.
    retry_visibility_seconds: int


@dataclass
class S3Source:
    function: str
    bucket: str
    queue_url: str
    prefix: str
    suffix: str


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
        retry_visibility_seconds: int | None = None,
        time_scale: float = 1.0,
        stream_failures: StreamFailures = STREAM_FAILURES,
    ) -> None:
        self._session: Any = session
        self._retry_visibility = retry_visibility_seconds
        self._invoke = invoke or _chalice_invoker(app)
        self._clock = clock
        self._scale = time_scale
        self._stream_failures = stream_failures
        self._log = get_logger()
        self.sqs: list[SqsSource] = []
        self.s3: list[S3Source] = []
        self.streams: list[StreamReader] = []
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
                retry = self._retry_visibility
                if retry is None:
                    retry = round(_visibility_timeout(name) / self._scale)
                self.sqs.append(SqsSource(source.name, url, arn, source.batch_size, retry))
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

    def _stream_source(self, source: Any) -> StreamReader:
        match = STREAM_TABLE.search(source.stream_arn)
        if match is None:
            raise ValueError(f"no table name in stream ARN {source.stream_arn}")
        table = match.group(1)
        failures = self._stream_failures
        definition = next((t for t in TABLES if table.endswith("-" + t.logical_name)), None)
        if definition is None:
            raise ValueError(f"table {table} is not in infra/resources.py")
        # The failure queue of the table's stage: guichet-{stage}-stream-failures.
        queue_name = table.removesuffix(definition.logical_name) + failures.on_failure.logical_name
        failure_queue_url = self._session.client("sqs").get_queue_url(QueueName=queue_name)
        return StreamReader(
            function=source.name,
            table_name=table,
            starting_position=source.starting_position,
            batch_size=source.batch_size,
            session=self._session,
            call=self._invoke,
            failures=failures,
            failure_queue_url=failure_queue_url["QueueUrl"],
            clock=self._clock,
            time_scale=self._scale,
        )

    def tick(self) -> int:
        """Deliver what is waiting, once; returns the number of handler invocations."""
        return self._deliver_all() + sum(
            self._guarded(self._run_schedule, schedule) for schedule in self.schedules
        )

    def drain(self, max_rounds: int = 20) -> int:
        """Deliver queued messages and stream records until none are left (schedules aside)."""
        total = 0
        for _ in range(max_rounds):
            delivered = self._deliver_all()
            total += delivered
            if not delivered:
                break
        return total

    def _deliver_all(self) -> int:
        delivered = sum(self._guarded(self._deliver_sqs, source) for source in self.sqs)
        delivered += sum(self._guarded(self._deliver_s3, source) for source in self.s3)
        return delivered + sum(stream.deliver() for stream in self.streams)

    def _guarded(self, deliver: Callable[[Any], int], source: Any) -> int:
        """One source's delivery; when AWS itself fails (SQS down), the next tick tries again
        (what was received and not deleted comes back: nothing is lost)."""
        try:
            return deliver(source)
        except Exception:  # noqa: BLE001 - the pump outlives any outage
            self._log.exception("event delivery failed", extra={"function": source.function})
            return 0

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
        failed = self._failed_messages(source.function, event)
        for message in messages:
            if message["MessageId"] in failed:
                # Back in the queue after the visibility timeout, as with Lambda.
                sqs.change_message_visibility(
                    QueueUrl=source.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=source.retry_visibility_seconds,
                )
            else:
                sqs.delete_message(
                    QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return 1

    def _failed_messages(self, function: str, event: dict[str, Any]) -> set[str]:
        """The ids of the messages to deliver again: those reported, or all if it raised."""
        every = {str(record["messageId"]) for record in event["Records"]}
        try:
            answer = self._invoke(function, event)
        except Exception:  # noqa: BLE001 - a failing handler is retried, as Lambda would
            self._log.exception("event handler failed", extra={"function": function})
            return every
        failures = answer.get("batchItemFailures") if isinstance(answer, dict) else None
        reported = {str(failure.get("itemIdentifier")) for failure in failures or []}
        # An identifier that is no message of the batch: Lambda counts the batch failed.
        return reported if reported <= every else every

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


def _visibility_timeout(queue_name: str) -> int:
    """The visibility timeout infra/resources.py gives the queue of that physical name."""
    for queue in QUEUES:
        if queue_name.endswith("-" + queue.logical_name):
            return queue.visibility_timeout_seconds
    return DEFAULT_VISIBILITY_SECONDS


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
