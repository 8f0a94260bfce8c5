"""The wiring: each area's adapters built for this stage, and one area's capabilities
handed to another as plain callables.

Areas never import each other's services; the edge does, here, and passes
functions in (the assistant gets "the latest tickets of this user" and the
LiveChat's opening hours; the LiveChat gets "the transcript of this
conversation"). Adapters are built per call from the process's cached boto3
clients (chalicelib/shared/aws.py), so nothing here touches AWS at import time.

Each factory imports its area when first called: one Lambda function serves
every route, and a cold start should pay only for the area of the route it
serves (importing every area and edge module costs ~170 ms with bytecode
compiled; see the README, "Cold start").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.auth import Identity
from chalicelib.directory import DirectoryRepository
from chalicelib.shared import aws
from chalicelib.shared.config import get_settings
from chalicelib.shared.dynamo import DynamoTransaction
from chalicelib.shared.errors import NotFoundError
from chalicelib.shared.idempotency import IdempotencyStore
from chalicelib.shared.ratelimit import DynamoRateLimiter

if TYPE_CHECKING:
    from chalicelib.assistant.dialogue import AssistantAdapters
    from chalicelib.assistant.hours import LiveChatHours
    from chalicelib.assistant.store import DynamoConversationStore
    from chalicelib.attachments.repository import DynamoAttachmentRepository
    from chalicelib.attachments.uploads import S3UploadStore
    from chalicelib.livechat.calendar import WorkingCalendar
    from chalicelib.livechat.creation import TranscriptSource
    from chalicelib.livechat.models import TranscriptLine
    from chalicelib.livechat.push import Push
    from chalicelib.livechat.store import DynamoLiveChatStore, LiveChatStore
    from chalicelib.routing.consumers import Delivery
    from chalicelib.routing.dispatch import SqsTicketQueues
    from chalicelib.routing.mail import Mailer
    from chalicelib.routing.mailbox import DynamoMailbox
    from chalicelib.routing.notify import Notifying
    from chalicelib.shared.secrets import SecretsManagerKey
    from chalicelib.tickets.ageing import Ageing
    from chalicelib.tickets.answers import DynamoAnswerStore
    from chalicelib.tickets.context import TicketContext
    from chalicelib.tickets.desk_index import DynamoDeskIndex
    from chalicelib.tickets.desk_ticket import Transcripts
    from chalicelib.tickets.notes import DynamoNoteStore
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
    from chalicelib.tickets.store import DynamoTicketStore

    return DynamoTicketStore(aws.table(get_settings().tickets_table), aws.client("dynamodb"))


def attachment_repository() -> DynamoAttachmentRepository:
    from chalicelib.attachments.repository import DynamoAttachmentRepository

    return DynamoAttachmentRepository(aws.table(get_settings().tickets_table))


def upload_store() -> S3UploadStore:
    from chalicelib.attachments.uploads import S3UploadStore

    return S3UploadStore(aws.s3(), get_settings().uploads_bucket)


def ticket_context() -> TicketContext:
    from chalicelib.attachments.service import TicketAttachments
    from chalicelib.routing.catalogue import get_catalogue
    from chalicelib.routing.recipients import DirectoryFacts
    from chalicelib.tickets.context import TicketContext

    return TicketContext(
        store=ticket_store(),
        facts=DirectoryFacts(aws.dynamodb(), get_settings().directory_table),
        directory=directory(),
        idempotency=idempotency_store(),
        catalogue=get_catalogue(),
        settings=get_settings(),
        attachments=TicketAttachments(attachment_repository(), upload_store),
        transaction=transaction,
    )


def mailbox() -> DynamoMailbox:
    """The local stage's mailbox (`GET /local/mailbox`), in the mail table."""
    from chalicelib.routing.mailbox import DynamoMailbox

    return DynamoMailbox(aws.table(get_settings().mail_table))


def mailer() -> Mailer:
    """SES; in the local stage, SES (moto) and the mailbox every e-mail is kept in."""
    from chalicelib.routing.mail import SesMailer
    from chalicelib.routing.mailbox import KeepingMailer
    from chalicelib.shared import clock

    settings = get_settings()
    ses = SesMailer(aws.client("ses"), settings.mail_sender)
    if settings.stage != "local":
        return ses
    return KeepingMailer(ses, mailbox(), clock.now)


def follow_key() -> SecretsManagerKey:
    """The follow-up links' key (its value read once per process)."""
    from chalicelib.shared.secrets import SecretsManagerKey

    return SecretsManagerKey(get_settings().follow_link_secret)


def ticket_queues() -> SqsTicketQueues:
    from chalicelib.routing.dispatch import SqsTicketQueues

    settings = get_settings()
    return SqsTicketQueues(
        aws.client("sqs"),
        {"support": settings.support_queue_url, "business": settings.business_queue_url},
        settings.notifications_queue_url,
    )


def delivery() -> Delivery:
    from chalicelib.routing.consumers import Delivery

    return Delivery(
        store=ticket_store(), organisations=directory(), mailer=mailer(), settings=get_settings()
    )


def notifying() -> Notifying:
    from chalicelib.routing.ledger import DynamoNoticeLedger
    from chalicelib.routing.notify import Links, Notifying

    settings = get_settings()
    return Notifying(
        store=ticket_store(),
        people=directory(),
        mailer=mailer(),
        ledger=DynamoNoticeLedger(aws.table(settings.mail_table)),
        links=Links(settings, follow_key()),
        settings=settings,
    )


# The LiveChat


def livechat_store() -> DynamoLiveChatStore:
    from chalicelib.livechat.store import DynamoLiveChatStore

    return DynamoLiveChatStore(aws.table(get_settings().livechat_table), aws.client("dynamodb"))


def livechat_push(store: LiveChatStore) -> Push:
    """Push over the stage's WebSocket API; none where there is no endpoint (local: polling)."""
    from chalicelib.livechat.followers import QueueFollowers
    from chalicelib.livechat.push import NoPush, WebSocketPush

    endpoint = get_settings().websocket_endpoint
    if not endpoint:
        return NoPush()
    followers = QueueFollowers(aws.table(get_settings().livechat_table))
    return WebSocketPush(aws.websocket_connections(endpoint), store, followers)


def livechat_calendar(store: LiveChatStore) -> WorkingCalendar:
    """The settings' opening hours with the stored closures (kept 60 s in the process)."""
    from chalicelib.livechat.availability import current_calendar, opening_rules

    return current_calendar(store, opening_rules(get_settings()))


# The assistant, with the tickets area's "latest tickets of this user" and the
# LiveChat's opening hours


def conversation_store() -> DynamoConversationStore:
    from chalicelib.assistant.store import DynamoConversationStore

    return DynamoConversationStore(
        aws.table(get_settings().conversations_table), aws.client("dynamodb")
    )


def latest_tickets_of(user_id: str, limit: int) -> Sequence[TicketDigest]:
    from chalicelib.tickets.followup import latest_tickets

    return latest_tickets(ticket_store(), user_id, limit)


def livechat_hours() -> LiveChatHours:
    """The LiveChat's own calendar, the very one its availability route uses: the one
    source of opening hours (closures included), so the assistant never offers a closed chat."""
    return livechat_calendar(livechat_store())


def assistant_adapters() -> AssistantAdapters:
    from chalicelib.assistant.dialogue import AssistantAdapters

    return AssistantAdapters(
        store=conversation_store(),
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
    from chalicelib.assistant.dialogue import get_transcript
    from chalicelib.livechat.models import TranscriptLine

    store = conversation_store()

    def transcript(conversation_id: str, identity: Identity | None) -> list[TranscriptLine] | None:
        try:
            entries = get_transcript(store, conversation_id, identity, now)
        except NotFoundError:
            return None
        return [TranscriptLine(author=entry.author, text=entry.text) for entry in entries]

    return transcript


# The desk: its indexes, notes and canned answers, the LiveChat's calendar
# for ageing, and the assistant's transcripts of the conversations tickets come from


def desk_index() -> DynamoDeskIndex:
    from chalicelib.tickets.desk_index import DynamoDeskIndex

    return DynamoDeskIndex(aws.table(get_settings().tickets_table))


def note_store() -> DynamoNoteStore:
    from chalicelib.tickets.notes import DynamoNoteStore

    return DynamoNoteStore(aws.table(get_settings().tickets_table))


def answer_store() -> DynamoAnswerStore:
    from chalicelib.tickets.answers import DynamoAnswerStore

    return DynamoAnswerStore(aws.table(get_settings().tickets_table))


def ageing() -> Ageing:
    """Tickets age in the LiveChat's working hours: its calendar, closures included (the one
    source of working hours), a working day being its ordinary opening."""
    from chalicelib.tickets.ageing import Ageing, load_targets

    calendar = livechat_calendar(livechat_store())
    opens, closes = calendar.rules.opens, calendar.rules.closes
    day_hours = (closes.hour * 60 + closes.minute - opens.hour * 60 - opens.minute) / 60
    return Ageing(calendar=calendar, day_hours=day_hours, targets=load_targets())


def ticket_transcripts(now: datetime) -> Transcripts:
    """The transcript of the conversation a ticket came from, read through the assistant as
    the ticket's emitter would (one GetItem): the assistant's rule decides who may read it."""
    from chalicelib.assistant.dialogue import get_transcript
    from chalicelib.tickets.desk_ticket import TranscriptTurn

    store = conversation_store()

    def transcript(conversation_id: str, emitter_id: str | None) -> list[TranscriptTurn] | None:
        reader = Identity(user_id=emitter_id) if emitter_id else None
        try:
            entries = get_transcript(store, conversation_id, reader, now)
        except NotFoundError:
            return None
        return [TranscriptTurn(author=entry.author, text=entry.text) for entry in entries]

    return transcript
