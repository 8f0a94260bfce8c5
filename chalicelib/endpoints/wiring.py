"""The wiring: each area's adapters built for this stage, and one area's capabilities
handed to another as plain callables.

Areas never import each other's services; the edge does, here, and passes
functions in (the assistant gets "the latest tickets of this user"; the
LiveChat gets "the transcript of this conversation"). Adapters are built per
call from the process's cached boto3 clients (chalicelib/shared/aws.py), so
nothing here touches AWS at import time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chalicelib.assistant.dialogue import AssistantAdapters, get_transcript
from chalicelib.assistant.hours import livechat_hours
from chalicelib.assistant.store import get_conversation_store
from chalicelib.attachments.repository import DynamoAttachmentRepository
from chalicelib.attachments.uploads import S3UploadStore
from chalicelib.auth import Identity
from chalicelib.directory import DirectoryRepository
from chalicelib.livechat.models import TranscriptLine
from chalicelib.livechat.sessions import TranscriptSource
from chalicelib.routing.catalogue import get_catalogue
from chalicelib.routing.consumers import Delivery
from chalicelib.routing.dispatch import SqsTicketQueues
from chalicelib.routing.mail import SesMailer
from chalicelib.routing.recipients import DirectoryFacts
from chalicelib.shared import aws
from chalicelib.shared.config import get_settings
from chalicelib.shared.dynamo import DynamoTransaction
from chalicelib.shared.errors import NotFoundError
from chalicelib.shared.idempotency import IdempotencyStore
from chalicelib.shared.ratelimit import DynamoRateLimiter
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.followup import latest_tickets
from chalicelib.tickets.records import TicketDigest
from chalicelib.tickets.store import DynamoTicketStore

# The shared base


def transaction() -> DynamoTransaction:
    """A new transaction on this stage's DynamoDB."""
    return DynamoTransaction(aws.client("dynamodb"))


def idempotency_store() -> IdempotencyStore:
    return IdempotencyStore(aws.table(get_settings().idempotency_table))


def rate_limiter() -> DynamoRateLimiter:
    return DynamoRateLimiter(aws.table(get_settings().rate_limits_table))


def directory() -> DirectoryRepository:
    """The directory of this stage (users, organisations, business objects)."""
    return DirectoryRepository(aws.client("dynamodb"), get_settings().directory_table)


# Tickets, attachments, routing


def ticket_store() -> DynamoTicketStore:
    return DynamoTicketStore(aws.table(get_settings().tickets_table), aws.client("dynamodb"))


def attachment_repository() -> DynamoAttachmentRepository:
    return DynamoAttachmentRepository(aws.table(get_settings().tickets_table))


def upload_store() -> S3UploadStore:
    return S3UploadStore(aws.s3(), get_settings().uploads_bucket)


def ticket_context() -> TicketContext:
    return TicketContext(
        store=ticket_store(),
        facts=DirectoryFacts(aws.dynamodb(), get_settings().directory_table),
        directory=directory(),
        idempotency=idempotency_store(),
        catalogue=get_catalogue(),
        settings=get_settings(),
        attachments=attachment_repository(),
        upload_store=upload_store,
        transaction=transaction,
    )


def mailer() -> SesMailer:
    return SesMailer(aws.client("ses"), get_settings().mail_sender)


def ticket_queues() -> SqsTicketQueues:
    settings = get_settings()
    return SqsTicketQueues(
        aws.client("sqs"),
        {"support": settings.support_queue_url, "business": settings.business_queue_url},
    )


def delivery() -> Delivery:
    return Delivery(
        store=ticket_store(), organisations=directory(), mailer=mailer(), settings=get_settings()
    )


# The assistant, with the tickets area's "latest tickets of this user"


def latest_tickets_of(user_id: str, limit: int) -> Sequence[TicketDigest]:
    return latest_tickets(ticket_store(), user_id, limit)


def assistant_adapters() -> AssistantAdapters:
    return AssistantAdapters(
        store=get_conversation_store(),
        directory=directory(),
        tickets=latest_tickets_of,
        hours=livechat_hours(),
    )


# The LiveChat, with the assistant's "transcript of this conversation"


def transcript_source(now: datetime) -> TranscriptSource:
    """The caller's assistant transcripts, read through the assistant (one GetItem).

    The assistant decides who may read a conversation (its owner, or whoever holds
    the id of an anonymous one); one the caller may not read gives no transcript,
    and the chat works without it.
    """
    store = get_conversation_store()

    def transcript(conversation_id: str, identity: Identity | None) -> list[TranscriptLine] | None:
        try:
            entries = get_transcript(store, conversation_id, identity, now)
        except NotFoundError:
            return None
        return [TranscriptLine(author=entry.author, text=entry.text) for entry in entries]

    return transcript
