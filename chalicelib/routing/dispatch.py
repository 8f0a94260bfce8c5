"""Dispatch: from the tickets table's stream to the queue of each recipient type.

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

The same handler e-mails the emitter when a history event carries a notice
(an agent's reply): it is a consequence of a committed write, so it is sent
from the stream too and is not lost if SES hiccups during the request.

The event source needs the stream ARN when the app is packaged, before any
stack exists: `chalicelib.shared.config.tickets_stream_arn` derives it from the
stage (the CDK stack replaces it with the real ARN; the local pump matches on
the table name).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, Protocol

from pydantic import ConfigDict

from chalicelib.routing.mail import Mailer
from chalicelib.shared import dynamo
from chalicelib.shared.config import Settings
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


class TicketQueues(Protocol):
    """Where dispatch messages go (SQS, or a fake that keeps them)."""

    def send(self, message: TicketDispatch) -> None:
        """Send `message` to the queue of its recipient type."""
        ...


class SqsTicketQueues:
    """Sends dispatch messages to the queue of their recipient type."""

    def __init__(self, sqs_client: Any, queue_urls: dict[RecipientType, str]) -> None:
        self._sqs = sqs_client
        self._urls = queue_urls

    def send(self, message: TicketDispatch) -> None:
        self._sqs.send_message(
            QueueUrl=self._urls[message.recipient.type], MessageBody=message.model_dump_json()
        )


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


def dispatch_change(
    record: StreamRecord, queues: TicketQueues, mailer: Mailer, settings: Settings
) -> bool:
    """Send the ticket one record calls for to its queue, or e-mail its notice.

    Returns whether a ticket was sent. Raises when SQS or SES fails: the stream
    retries this record (chalicelib/endpoints/batches.py), and a record that is
    handled again sends the same message again, which consumers ignore.
    """
    message = dispatch_for(record)
    if message is not None:
        queues.send(message)
        get_logger().info(
            "ticket dispatched",
            extra={"ticket_id": message.ticket_id, "queue": message.recipient.type},
        )
    event = notice_for(record)
    if event is not None and event.notice is not None:
        mailer.send(
            event.notice.to,
            f"[{event.notice.reference}] Réponse à votre ticket",
            reply_mail_text(event, settings),
        )
    return message is not None


def dispatch_changes(
    records: Iterable[StreamRecord], queues: TicketQueues, mailer: Mailer, settings: Settings
) -> int:
    """`dispatch_change` for each record, in order. Returns the tickets sent."""
    return sum(dispatch_change(record, queues, mailer, settings) for record in records)


def reply_mail_text(event: TicketEvent, settings: Settings) -> str:
    assert event.notice is not None
    if event.status == "waiting_for_user":
        what = "Le destinataire de votre ticket vous demande des informations complémentaires."
    else:
        what = "Le destinataire de votre ticket y a répondu et le considère comme résolu."
    return (
        f"Bonjour,\n\n{what}\n\n"
        f"Ticket {event.notice.reference} : {event.notice.title}\n\n"
        f"{event.by.name} a écrit :\n{event.text or ''}\n\n"
        f"Retrouvez votre ticket sur le portail : {settings.portal_origin}\n"
    )
