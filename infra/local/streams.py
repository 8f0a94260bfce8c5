"""The local pump's DynamoDB stream reader: what Lambda's event source mapping does, on moto.

Semantics kept from AWS (infra/resources.py `StreamFailures`, the same settings
the CDK stack writes on the mapping):

- Records of a shard are handed to the handler in order, `batch_size` at a
  time. The handler answers a partial batch response: the records before the
  first reported one are checkpointed, the rest is retried from it.
- A handler that raises: the batch is split in two (bisect), which costs no
  retry; a single record that raises counts a retry.
- Between retries the reader backs off (1 s, 2 s, 4 s... at most 30 s; Lambda
  retries at once, but a laptop need not spin); after `max_retry_attempts`, or
  once the oldest record is older than `max_record_age_seconds`, the failed
  records' metadata goes to the on-failure queue in Lambda's own format
  (`DDBStreamBatchInfo`) and the shard moves on. Nothing is ever dropped
  otherwise: a failed read, or a failed send to that queue, is retried.
- It follows a replaced stream: when a read finds nothing it asks for a fresh
  iterator after its checkpoint (and for the table's latest stream), so a
  stream shard that moto swapped (TRAPS.md) or a re-created stream is read on.

`time_scale` divides every duration (backoff, record age) so that tests can play
minutes of outage in seconds (tests/e2e/test_faults.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.shared.logs import get_logger
from infra.resources import StreamFailures

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0
DEFAULT_ACCOUNT = "123456789012"

# (function, event) -> the handler's answer; raises when the handler raised.
Call = Callable[[str, dict[str, Any]], Any]


@dataclass
class Shard:
    """One shard's position: what was handled, what was read and waits."""

    shard_id: str
    iterator: str | None = None
    checkpoint: str | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    batch_limit: int = 0
    retry_at: float = 0.0


class StreamReader:
    """Reads one table's stream for one handler, with Lambda's failure semantics."""

    def __init__(
        self,
        *,
        function: str,
        table_name: str,
        starting_position: str,
        batch_size: int,
        session: Any,
        call: Call,
        failures: StreamFailures,
        failure_queue_url: str,
        clock: Callable[[], float],
        time_scale: float = 1.0,
    ) -> None:
        self.function = function
        self.table_name = table_name
        self.starting_position = starting_position
        self.batch_size = batch_size
        self._session = session
        self._call = call
        self._failures = failures
        self._failure_queue_url = failure_queue_url
        self._clock = clock
        self._scale = time_scale
        self._log = get_logger()
        self.stream_arn = ""
        self.shards: dict[str, Shard] = {}
        self._streams = streams_client(session)
        self._follow_latest_stream()

    # Reading ---------------------------------------------------------------

    def _follow_latest_stream(self) -> bool:
        """Start on the table's latest stream if it is not the one read; whether it changed."""
        table = self._session.client("dynamodb").describe_table(TableName=self.table_name)
        latest = str(table["Table"].get("LatestStreamArn") or "")
        if not latest or latest == self.stream_arn:
            return False
        fresh_stream = bool(self.stream_arn)
        self.stream_arn = latest
        description = self._streams.describe_stream(StreamArn=latest)["StreamDescription"]
        self.shards = {}
        for found in description["Shards"]:
            shard = Shard(found["ShardId"], batch_limit=self.batch_size)
            # A stream that replaced the one we read is read from its start.
            position = "TRIM_HORIZON" if fresh_stream else self.starting_position
            shard.iterator = self._iterator(shard, position)
            self.shards[shard.shard_id] = shard
        return True

    def _iterator(self, shard: Shard, position: str) -> str:
        kwargs: dict[str, Any] = {"ShardIteratorType": position}
        if position == "AFTER_SEQUENCE_NUMBER":
            kwargs["SequenceNumber"] = shard.checkpoint
        return str(
            self._streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard.shard_id, **kwargs
            )["ShardIterator"]
        )

    def _read(self, shard: Shard) -> None:
        response = self._streams.get_records(ShardIterator=shard.iterator, Limit=self.batch_size)
        records = response.get("Records", [])
        if records:
            shard.pending.extend(records)
            shard.iterator = response.get("NextShardIterator")
            return
        # Nothing new: ask afresh from the checkpoint, so that a shard object
        # replaced under the same ARN (moto restoring a table) is followed.
        if self._follow_latest_stream():
            return
        if shard.checkpoint is not None:
            shard.iterator = self._iterator(shard, "AFTER_SEQUENCE_NUMBER")
        elif self.starting_position == "TRIM_HORIZON":
            shard.iterator = self._iterator(shard, "TRIM_HORIZON")
        else:
            shard.iterator = response.get("NextShardIterator") or shard.iterator

    # Delivering ------------------------------------------------------------

    def deliver(self) -> int:
        """Hand each shard's next batch to the handler (once); returns the invocations."""
        invocations = 0
        for shard in list(self.shards.values()):
            if self._clock() < shard.retry_at:
                continue
            try:
                if not shard.pending:
                    self._read(shard)
                if shard.pending:
                    invocations += 1
                    self._invoke(shard)
            except Exception:  # noqa: BLE001 - moto unreachable, queue down: try again later
                self._log.exception("stream delivery failed", extra={"function": self.function})
                self._back_off(shard)
        return invocations

    def _invoke(self, shard: Shard) -> None:
        batch = shard.pending[: shard.batch_limit]
        try:
            answer = self._call(self.function, self._event(batch))
        except Exception:  # noqa: BLE001 - Lambda's "function error"
            self._log.exception("stream handler failed", extra={"function": self.function})
            if self._failures.bisect_on_error and len(batch) > 1:
                shard.batch_limit = max(1, len(batch) // 2)  # bisecting costs no retry
                return
            self._failed(shard, batch)
            return
        failed_at = _first_failure(batch, answer)
        if failed_at is None:
            self._handled(shard, len(batch))
            shard.batch_limit = self.batch_size
            shard.attempts = 0
            return
        self._handled(shard, failed_at)
        self._failed(shard, batch[failed_at:])

    def _handled(self, shard: Shard, count: int) -> None:
        if count:
            shard.checkpoint = shard.pending[count - 1]["dynamodb"]["SequenceNumber"]
            del shard.pending[:count]

    def _failed(self, shard: Shard, failed: list[dict[str, Any]]) -> None:
        shard.attempts += 1
        exhausted = shard.attempts > self._failures.max_retry_attempts
        too_old = _age_seconds(failed[0]) * self._scale > self._failures.max_record_age_seconds
        if not (exhausted or too_old):
            self._back_off(shard)
            return
        condition = "RetryAttemptsExhausted" if exhausted else "RecordAgeExceeded"
        self._give_up(shard, failed, condition)

    def _give_up(self, shard: Shard, failed: list[dict[str, Any]], condition: str) -> None:
        """Send the failed records' metadata to the on-failure queue, then move on."""
        message = failure_record(
            self.function, self.stream_arn, shard.shard_id, failed, condition, shard.attempts
        )
        # Raises when the queue is down: deliver() backs off and the records stay.
        self._session.client("sqs").send_message(
            QueueUrl=self._failure_queue_url, MessageBody=json.dumps(message)
        )
        self._log.error(
            "stream records sent to the failure queue",
            extra={"function": self.function, "records": len(failed), "condition": condition},
        )
        self._handled(shard, len(failed))
        shard.attempts = 0
        shard.batch_limit = self.batch_size

    def _back_off(self, shard: Shard) -> None:
        delay = min(BACKOFF_BASE_SECONDS * 2 ** max(shard.attempts - 1, 0), BACKOFF_CAP_SECONDS)
        shard.retry_at = self._clock() + delay / self._scale

    def _event(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Records": [lambda_record(record, self.stream_arn) for record in records]}


def streams_client(session: Any) -> Any:
    from botocore.config import Config

    # moto does not route the account-based endpoint botocore picks by default.
    return session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))


def _first_failure(batch: list[dict[str, Any]], answer: Any) -> int | None:
    """The index of the first record the handler reported as failed (None: all handled)."""
    failures = answer.get("batchItemFailures") if isinstance(answer, dict) else None
    if not failures:
        return None
    sequences = [record["dynamodb"]["SequenceNumber"] for record in batch]
    reported = [str(failure.get("itemIdentifier") or "") for failure in failures]
    indexes = [sequences.index(s) for s in reported if s in sequences]
    # An identifier that is no record of the batch: Lambda counts the batch failed.
    return min(indexes) if len(indexes) == len(reported) else 0


def _created(record: dict[str, Any]) -> datetime:
    created = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        return created if created.tzinfo else created.replace(tzinfo=UTC)
    if isinstance(created, int | float):
        return datetime.fromtimestamp(created, UTC)
    return datetime.now(UTC)


def _age_seconds(record: dict[str, Any]) -> float:
    return (datetime.now(UTC) - _created(record)).total_seconds()


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A DynamoDB Streams record as Lambda hands it to a function."""
    lambda_record = dict(record)
    body = dict(record.get("dynamodb", {}))
    body["ApproximateCreationDateTime"] = _created(record).timestamp()
    lambda_record["dynamodb"] = body
    lambda_record["eventSourceARN"] = stream_arn
    return lambda_record


def failure_record(
    function: str,
    stream_arn: str,
    shard_id: str,
    records: list[dict[str, Any]],
    condition: str,
    attempts: int,
) -> dict[str, Any]:
    """What Lambda sends to a stream mapping's on-failure destination."""
    region = stream_arn.split(":")[3] if stream_arn.count(":") >= 3 else "eu-west-3"
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:{region}:{DEFAULT_ACCOUNT}:function:{function}",
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _created(records[0]).isoformat(),
            "approximateArrivalOfLastRecord": _created(records[-1]).isoformat(),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }
