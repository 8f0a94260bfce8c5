"""Test support for tickets: what Lambda's event sources do, done by hand over moto.

`RoutingPump` plays the two event source mappings of the routing path:
- the tickets table's stream -> `dispatch_tickets` (records read with the
  dynamodbstreams client, TRAPS.md's `account_id_endpoint_mode="disabled"`; a
  batch whose handler raises stays pending and is offered again, as Lambda
  retries a stream batch);
- each recipient queue -> its consumer (receive, invoke, delete on success; a
  failure leaves the message to come back, and SQS dead-letters it after 5).
Its own boto3 clients are not the app's, so `aws_calls` counts only the app.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

REGION = "eu-west-3"
CONSUMERS = {"support": "deliver_support_tickets", "business": "deliver_business_tickets"}


class BatchItemFailedError(Exception):
    """A handler reported items of its batch as failed (they will be delivered again)."""


class RoutingPump:
    def __init__(self, client: Any, queue_urls: dict[str, str], table_name: str) -> None:
        import boto3
        from botocore.config import Config

        self.client = client
        self.queue_urls = queue_urls
        self.sqs: Any = boto3.client("sqs", region_name=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.stream_arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self.streams: Any = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            config=Config(account_id_endpoint_mode="disabled"),
        )
        self._iterators: dict[str, str] = {}
        self.pending: list[dict[str, Any]] = []

    # The stream

    def _read_stream(self) -> list[dict[str, Any]]:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        records: list[dict[str, Any]] = []
        for shard in description["Shards"]:
            shard_id = shard["ShardId"]
            iterator = (
                self._iterators.get(shard_id)
                or self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            response = self.streams.get_records(ShardIterator=iterator)
            records.extend(response["Records"])
            self._iterators[shard_id] = response["NextShardIterator"]
        return records

    def _as_lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        data = dict(record["dynamodb"])
        created = data.get("ApproximateCreationDateTime", datetime.now(UTC))
        if isinstance(created, datetime):
            data["ApproximateCreationDateTime"] = int(created.timestamp())
        data.setdefault("SizeBytes", 1)
        return {
            "eventID": record.get("eventID", "1"),
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": REGION,
            "eventSourceARN": self.stream_arn,
            "dynamodb": data,
        }

    def dispatch(self) -> int:
        """Run the dispatcher on the stream records not yet handled; returns their number.

        A record the handler reports as failed stays pending with every record
        after it (Lambda retries from it), and BatchItemFailedError is raised.
        """
        self.pending.extend(self._as_lambda_record(r) for r in self._read_stream())
        batch, count = {"Records": list(self.pending)}, len(self.pending)
        if not count:
            return 0
        payload = self.client.lambda_.invoke("dispatch_tickets", batch).payload
        failed = [f["itemIdentifier"] for f in payload["batchItemFailures"]]
        if failed:
            sequence = [r["dynamodb"]["SequenceNumber"] for r in self.pending]
            del self.pending[: sequence.index(failed[0])]
            raise BatchItemFailedError(failed)
        self.pending.clear()
        return count

    # The queues

    def receive(self, queue: str) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_urls[queue],
            MaxNumberOfMessages=1,
            VisibilityTimeout=0,
            AttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def deliver(self, queue: str, *, raise_errors: bool = True) -> int:
        """Feed each visible message of a queue to its consumer; returns how many succeeded."""
        delivered = 0
        for _ in range(50):
            messages = self.receive(queue)
            if not messages:
                return delivered
            message = messages[0]
            try:
                self.invoke_consumer(queue, message["Body"], message["ReceiptHandle"])
            except Exception:
                if raise_errors:
                    raise
                continue
            self.sqs.delete_message(
                QueueUrl=self.queue_urls[queue], ReceiptHandle=message["ReceiptHandle"]
            )
            delivered += 1
        return delivered

    def invoke_consumer(self, queue: str, body: str, receipt_handle: str = "handle") -> None:
        event = {
            "Records": [
                {
                    "messageId": "m-1",
                    "receiptHandle": receipt_handle,
                    "body": body,
                    "attributes": {},
                    "messageAttributes": {},
                    "md5OfBody": "",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:{queue}",
                    "awsRegion": REGION,
                }
            ]
        }
        payload = self.client.lambda_.invoke(CONSUMERS[queue], event).payload
        if payload["batchItemFailures"]:
            raise BatchItemFailedError(payload["batchItemFailures"])

    def run(self) -> None:
        """Dispatch, then deliver on both queues: the whole routing path once."""
        self.dispatch()
        for queue in CONSUMERS:
            self.deliver(queue)
        # Deliveries write the tickets table too; their records need no dispatch.
        self.dispatch()

    def queue_bodies(self, queue: str) -> list[dict[str, Any]]:
        """The messages waiting in a queue (received without consuming them)."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_urls[queue], MaxNumberOfMessages=10, VisibilityTimeout=0
        )
        return [json.loads(m["Body"]) for m in response.get("Messages", [])]


@pytest.fixture
def routing(client: Any, aws_env: dict[str, str]) -> RoutingPump:
    return RoutingPump(
        client,
        {"support": aws_env["SUPPORT_QUEUE_URL"], "business": aws_env["BUSINESS_QUEUE_URL"]},
        aws_env["TICKETS_TABLE"],
    )


@pytest.fixture
def sent_mail(aws_env: dict[str, str]) -> Callable[[], list[Any]]:
    """The e-mails moto's SES accepted so far (source, destinations, subject, body)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    def messages() -> list[Any]:
        return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)

    return messages


@pytest.fixture
def failing_sqs() -> Iterator[Callable[[bool], None]]:
    """Make every SendMessage of the app's session fail (or work again)."""
    from botocore.exceptions import EndpointConnectionError

    from chalicelib.shared import aws

    state = {"failing": False}

    def refuse(**_: Any) -> None:
        if state["failing"]:
            raise EndpointConnectionError(endpoint_url="https://sqs.invalid")

    aws.session().events.register("before-call.sqs.SendMessage", refuse)

    def set_failing(failing: bool) -> None:
        state["failing"] = failing

    yield set_failing
    aws.session().events.unregister("before-call.sqs.SendMessage", refuse)


M20_BODY: dict[str, Any] = {
    "organisation_id": "org-boulangerie-martin",
    "category": "FACTURE",
    "subcategory": "M20",
    "object_number": "FA-2026-0003",
    "title": "Facture suspendue",
    "description": "Ma facture FA-2026-0003 est suspendue depuis un mois : que manque-t-il ?",
}
SUPPORT_BODY: dict[str, Any] = {
    "organisation_id": "org-boulangerie-martin",
    "category": "CONNEXION",
    "subcategory": "S02",
    "title": "Connexion impossible",
    "description": "Je ne parviens plus à me connecter depuis hier soir.",
}


def submit(
    client: Any,
    headers: dict[str, str],
    overrides: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
) -> Any:
    body = {**(base or M20_BODY), **(overrides or {})}
    body = {k: v for k, v in body.items() if v is not None}
    return client.http.post("/tickets", headers=headers, body=json.dumps(body))


def post(
    client: Any, path: str, headers: dict[str, str], body: dict[str, Any] | None = None
) -> Any:
    return client.http.post(path, headers=headers, body=json.dumps(body or {}))


def errors_of(response: Any) -> list[str]:
    return [error["field"] for error in json.loads(response.body)["errors"]]
