"""Replay what the stream's event source mapping gave up on; move dead letters back.

    python -m infra.redrive --stage dev                  # a deployed stage
    python -m infra.redrive --stage local                # the local stack (make run)
    python -m infra.redrive --stage dev --dead-letters   # also each queue's dead letters

The stream's on-failure queue (infra/resources.py STREAM_FAILURES_QUEUE, alarmed
as soon as it holds a message) receives what Lambda (or the local pump) stopped
retrying: not the records, but where they are (`DDBStreamBatchInfo`: stream,
shard, first and last sequence numbers). For each such message the command
reads those records back from the stream (they stay 24 hours: redrive within
the day) and hands them to the same handler that failed: the deployed function
(`lambda:InvokeFunction` on it), or, for `--stage local`, the app's handler in
this process against the local stack's moto. The message is deleted only when
the handler handled every record; otherwise it stays for the next run.

Replaying is idempotent: the handler turns a ticket's record into its queue
message again, and the queue consumers deliver a dispatch once (its
`delivered_seq` / `notified_seq` marks), so running the command twice, or
replaying records that had in fact gone through, sends no second e-mail.

`--dead-letters` moves the messages of every queue's dead-letter queue back to
that queue (the consumers are idempotent in the same way).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.local.streams import lambda_record
from infra.resources import QUEUES, STREAM_FAILURES_QUEUE

# (function ARN or name, event) -> the handler's answer; raises on a function error.
Invoke = Callable[[str, dict[str, Any]], Any]
RECEIVE_VISIBILITY_SECONDS = 60


@dataclass
class RedriveReport:
    """What one run did, printed as one JSON line."""

    replayed_batches: int = 0
    replayed_records: int = 0
    failed_batches: int = 0
    expired_batches: int = 0
    dead_letters_moved: dict[str, int] = field(default_factory=dict)


class Redrive:
    """Replays one stage's stream failures (and dead letters) through `invoke`."""

    def __init__(self, session: Any, stage: str, invoke: Invoke) -> None:
        self._session = session
        self._stage = stage
        self._invoke = invoke
        self._sqs = session.client("sqs")
        from infra.local.streams import streams_client

        self._streams = streams_client(session)

    def _url(self, name: str) -> str:
        return str(self._sqs.get_queue_url(QueueName=name)["QueueUrl"])

    def stream_failures(self, report: RedriveReport) -> None:
        url = self._url(STREAM_FAILURES_QUEUE.physical_name(self._stage))
        seen: set[str] = set()
        while True:
            messages = self._sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=RECEIVE_VISIBILITY_SECONDS,
            ).get("Messages", [])
            fresh = [m for m in messages if m["MessageId"] not in seen]
            if not fresh:
                return
            for message in fresh:
                seen.add(message["MessageId"])
                if self._replay(json.loads(message["Body"]), report):
                    self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def _replay(self, failure: dict[str, Any], report: RedriveReport) -> bool:
        info = failure["DDBStreamBatchInfo"]
        records = self._records(info)
        if not records:
            report.expired_batches += 1
            return False
        event = {"Records": [lambda_record(record, info["streamArn"]) for record in records]}
        try:
            answer = self._invoke(failure["requestContext"]["functionArn"], event)
        except Exception:  # noqa: BLE001 - left in the queue for the next run
            report.failed_batches += 1
            return False
        if isinstance(answer, dict) and answer.get("batchItemFailures"):
            report.failed_batches += 1
            return False
        report.replayed_batches += 1
        report.replayed_records += len(records)
        return True

    def _records(self, info: dict[str, Any]) -> list[dict[str, Any]]:
        """The records from the first to the last sequence number (empty once trimmed)."""
        start, end = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
        try:
            iterator = self._streams.get_shard_iterator(
                StreamArn=info["streamArn"],
                ShardId=info["shardId"],
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=info["startSequenceNumber"],
            )["ShardIterator"]
        except Exception as error:  # noqa: BLE001 - TrimmedDataAccessException and the like
            print(f"cannot read {info['streamArn']}: {error}", file=sys.stderr)
            return []
        records: list[dict[str, Any]] = []
        while iterator:
            response = self._streams.get_records(ShardIterator=iterator, Limit=100)
            batch = response.get("Records", [])
            records += [r for r in batch if start <= int(r["dynamodb"]["SequenceNumber"]) <= end]
            if not batch or int(batch[-1]["dynamodb"]["SequenceNumber"]) >= end:
                break
            iterator = response.get("NextShardIterator")
        return records

    def dead_letters(self, report: RedriveReport) -> None:
        for queue in QUEUES:
            source = self._url(queue.physical_name(self._stage))
            dead = self._url(queue.dead_letter_name(self._stage))
            moved = 0
            while True:
                messages = self._sqs.receive_message(
                    QueueUrl=dead, MaxNumberOfMessages=10, VisibilityTimeout=60
                ).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    self._sqs.send_message(QueueUrl=source, MessageBody=message["Body"])
                    self._sqs.delete_message(QueueUrl=dead, ReceiptHandle=message["ReceiptHandle"])
                    moved += 1
            if moved:
                report.dead_letters_moved[queue.logical_name] = moved


def lambda_invoker(session: Any) -> Invoke:
    """Invoke the deployed function named in the failure record."""
    client = session.client("lambda")

    def invoke(function: str, event: dict[str, Any]) -> Any:
        response = client.invoke(FunctionName=function, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise RuntimeError(f"{function} failed: {payload}")
        return payload

    return invoke


def local_invoker() -> Invoke:
    """Run the app's own handler in this process (the local stack's moto)."""
    from chalice.test import Client

    from app import app
    from infra.local.pump import ROOT

    client = Client(app, stage_name="local", project_dir=str(ROOT))

    def invoke(function: str, event: dict[str, Any]) -> Any:
        return client.lambda_.invoke(function.rsplit(":", 1)[-1], event).payload

    return invoke


def _point_at_the_local_stack() -> None:
    """The variables `make run` gives the app, for the handler run here."""
    from chalicelib.shared import aws

    moto_port = os.environ.get("MOTO_PORT", "5000")
    os.environ.setdefault("AWS_ENDPOINT_URL", f"http://127.0.0.1:{moto_port}")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ["GUICHET_STAGE"] = "local"
    sqs = aws.client("sqs")
    for queue in QUEUES:
        if queue.env_var:
            name = queue.physical_name("local")
            os.environ[queue.env_var] = sqs.get_queue_url(QueueName=name)["QueueUrl"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--dead-letters", action="store_true")
    arguments = parser.parse_args(argv)
    from chalicelib.shared import aws

    if arguments.stage == "local":
        _point_at_the_local_stack()
        invoke = local_invoker()
    else:
        invoke = lambda_invoker(aws.session())
    redrive = Redrive(aws.session(), arguments.stage, invoke)
    report = RedriveReport()
    redrive.stream_failures(report)
    if arguments.dead_letters:
        redrive.dead_letters(report)
    print(json.dumps(report.__dict__))
    return 1 if report.failed_batches or report.expired_batches else 0


if __name__ == "__main__":
    sys.exit(main())
