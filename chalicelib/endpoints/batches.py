"""Partial batch responses for every SQS and DynamoDB stream handler (ReportBatchItemFailures).

A handler that raises makes Lambda retry its whole batch: the records that
succeeded are handled again, and one bad record holds back the good ones (an
SES failure dropped a batch with an unrelated new ticket in it). Instead, each
handler handles its records one by one through these helpers and returns
`{"batchItemFailures": [...]}`; the event source mapping is configured with
`FunctionResponseTypes: [ReportBatchItemFailures]` (infra/stack.py), and the
local pump reads the same answer (infra/local/pump.py).

- SQS: every record is tried; only the failed messages come back (after the
  queue's visibility timeout), the others are deleted.
- Streams: records are ordered per item, so handling stops at the first
  failure and reports that record's sequence number: Lambda checkpoints
  everything before it and retries from it (records after it have not been
  handled, so nothing is handled twice on a reported failure). After the
  mapping's retries or record age, the failed records go to the on-failure
  destination (infra/resources.py STREAM_FAILURES) and the redrive command
  replays them (infra/redrive.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.shared.logs import get_logger

BatchResponse = dict[str, list[dict[str, str]]]


def _failed(kind: str, identifier: str) -> None:
    get_logger().exception(
        "batch item failed", extra={"source": kind, "item_identifier": identifier}
    )


def each_message(records: Iterable[Any], handle: Callable[[Any], object]) -> BatchResponse:
    """Handle every SQS record; the failed ones are reported for redelivery."""
    failures = []
    for record in records:
        try:
            handle(record)
        except Exception:  # noqa: BLE001 - reported to SQS, which redelivers the message
            message_id = str(record.to_dict()["messageId"])
            _failed("sqs", message_id)
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def in_order(records: Iterable[Any], handle: Callable[[Any], object]) -> BatchResponse:
    """Handle stream records in order until one fails; report it (and so all after it)."""
    for record in records:
        try:
            handle(record)
        except Exception:  # noqa: BLE001 - reported to the stream, which retries from it
            _failed("stream", record.sequence_number)
            return {"batchItemFailures": [{"itemIdentifier": record.sequence_number}]}
    return {"batchItemFailures": []}
