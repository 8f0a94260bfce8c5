"""Dispatch: from the tickets table's stream to the queues.

Why a stream and not a send at submission: the ticket write is the source of
truth. Submitting only writes DynamoDB; the table's stream (NEW_AND_OLD_IMAGES)
carries every write to `dispatch_changes`, which sends a ticket to its queue
whenever its `dispatch_seq` grew (1 on creation, +1 on a transfer). If SQS
fails, the record is reported as failed (a partial batch response,
chalicelib/endpoints/batches.py) and retried from there, with bisection, bounded
retries and an on-failure destination that the redrive command replays
(infra/redrive.py), so an acknowledged ticket always reaches its queue (the
stream is the outbox; no sweeper needed). A record may be handled twice, so a
message may be sent twice: consumers are idempotent.

A history event that carries a notice (an agent's reply) is queued the same way
on the notices queue: the stream handler sends no e-mail itself (one that did
would send it again whenever its record is handled again: a retried batch, a
redrive). The notices consumer (chalicelib/routing/consumers.py) sends it and
records it on the event, so a redelivered notice is not mailed twice.

The event source needs the stream ARN when the app is packaged, before any
stack exists: `chalicelib.shared.config.tickets_stream_arn` derives it from the
stage (the CDK stack replaces it with the real ARN; the local pump matches on
the table name).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, Protocol

from pydantic import ConfigDict

from chalicelib.shared import dynamo
from chalicelib.shared.logs import get_logger
from chalicelib.shared.models import Model
from chalicelib.tickets.keys import strip_keys
from chalicelib.tickets.records import Recipient, RecipientType, TicketEvent, TicketRecord

SCHEMA_VERSION: Literal[1] = 1


class TicketDispatch(Model):
    """The message a recipient queue carries (validated again on receipt)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    ticket_id: str
    reference: str
    recipient: Recipient
    # Which dispatch of the ticket this is: a transfer makes a new one.
    dispatch_seq: int


class TicketNotice(Model):
    """The message the notices queue carries: the history event whose emitter is e-mailed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    event: TicketEvent


class TicketQueues(Protocol):
    """Where dispatch messages go (SQS, or a fake that keeps them)."""

    def send(self, message: TicketDispatch) -> None:
        """Send `message` to the queue of its recipient type."""
        ...

    def notify(self, notice: TicketNotice) -> None:
        """Send `notice` to the notices queue."""
        ...


class SqsTicketQueues:
    """Sends dispatch messages to the queue of their recipient type, notices to theirs."""

    def __init__(
        self, sqs_client: Any, queue_urls: dict[RecipientType, str], notices_url: str
    ) -> None:
        self._sqs = sqs_client
        self._urls = queue_urls
        self._notices_url = notices_url

    def send(self, message: TicketDispatch) -> None:
        self._sqs.send_message(
            QueueUrl=self._urls[message.recipient.type], MessageBody=message.model_dump_json()
        )

    def notify(self, notice: TicketNotice) -> None:
        self._sqs.send_message(QueueUrl=self._notices_url, MessageBody=notice.model_dump_json())


class StreamRecord(Model):
    """The part of a DynamoDB stream record the dispatcher reads."""

    event_name: Literal["INSERT", "MODIFY", "REMOVE"]
    new_image: dict[str, Any] | None = None
    old_image: dict[str, Any] | None = None


def dispatch_for(record: StreamRecord) -> TicketDispatch | None:
    """The message a ticket write calls for, if its dispatch_seq grew."""
    if record.new_image is None:
        return None
    new = dynamo.deserialize(record.new_image)
    if new.get("item_type") != "ticket":
        return None
    old = dynamo.deserialize(record.old_image) if record.old_image else {}
    if int(new.get("dispatch_seq", 0)) <= int(old.get("dispatch_seq", 0)):
        return None
    ticket = TicketRecord.model_validate(strip_keys(new))
    return TicketDispatch(
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        recipient=ticket.recipient,
        dispatch_seq=ticket.dispatch_seq,
    )


def notice_for(record: StreamRecord) -> TicketEvent | None:
    """The history event just inserted whose emitter must be e-mailed."""
    if record.event_name != "INSERT" or record.new_image is None:
        return None
    new = dynamo.deserialize(record.new_image)
    if new.get("item_type") != "event" or "notice" not in new:
        return None
    return TicketEvent.model_validate(strip_keys(new))


def dispatch_change(record: StreamRecord, queues: TicketQueues) -> bool:
    """Send the ticket one record calls for to its queue, or its notice to the notices queue.

    Returns whether a ticket was sent. Raises when SQS fails: the stream retries
    this record (chalicelib/endpoints/batches.py), and a record that is handled
    again sends the same message again, which consumers ignore.
    """
    message = dispatch_for(record)
    if message is not None:
        queues.send(message)
        get_logger().info(
            "ticket dispatched",
            extra={"ticket_id": message.ticket_id, "queue": message.recipient.type},
        )
    event = notice_for(record)
    if event is not None:
        queues.notify(TicketNotice(event=event))
        get_logger().info("notice queued", extra={"ticket_id": event.ticket_id})
    return message is not None


def dispatch_changes(records: Iterable[StreamRecord], queues: TicketQueues) -> int:
    """`dispatch_change` for each record, in order. Returns the tickets sent."""
    return sum(dispatch_change(record, queues) for record in records)
