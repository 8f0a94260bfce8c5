"""What the API returns about tickets, and how a stored ticket becomes it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chalicelib.attachments.models import AttachmentLink
from chalicelib.routing.catalogue import Catalogue
from chalicelib.shared.models import Model
from chalicelib.tickets.records import (
    Actor,
    EmitterOrganisation,
    EventKind,
    Recipient,
    Satisfaction,
    TicketEvent,
    TicketRecord,
    TicketStatus,
    rateable,
)


class RecipientOut(Model):
    type: str
    organisation_id: str | None = None
    designation: str


class SubmittedTicket(Model):
    """The answer to a submission (also replayed for a retried Idempotency-Key)."""

    ticket_id: str
    reference: str
    status: TicketStatus
    recipient: RecipientOut
    message: str


class TicketSummary(Model):
    ticket_id: str
    reference: str
    title: str
    status: TicketStatus
    category: str
    subcategory: str
    object_number: str | None
    recipient: RecipientOut
    created_at: datetime
    updated_at: datetime


class HistoryEntry(Model):
    """A change of the ticket, with who and when."""

    event: EventKind
    status: TicketStatus
    at: datetime
    by: Actor
    text: str | None = None
    recipient: RecipientOut | None = None
    # A rating's stars.
    stars: int | None = None


class SatisfactionOut(Model):
    """The emitter's rating of the answer (1 to 5 stars, a comment), given once."""

    stars: int
    comment: str | None = None
    at: datetime


class CommentOut(Model):
    event: EventKind
    at: datetime
    by: Actor
    text: str
    # The attachments this comment brought (listed with their links in `attachments`).
    attachment_ids: list[str] = []


class TicketView(Model):
    """A ticket with its history and comments."""

    ticket_id: str
    reference: str
    status: TicketStatus
    channel: str
    category: str
    subcategory: str
    subcategory_label: str | None
    object_number: str | None
    title: str
    description: str
    contact_email: str
    emitter_name: str
    organisation: EmitterOrganisation | None
    siret: str | None
    recipient: RecipientOut
    assignee: Actor | None
    created_at: datetime
    updated_at: datetime
    history: list[HistoryEntry]
    comments: list[CommentOut]
    # Every attachment of the ticket (submission and comments), oldest first,
    # each with a download URL valid 5 minutes.
    attachments: list[AttachmentLink] = []
    satisfaction: SatisfactionOut | None = None
    # Whether the emitter may rate the answer now (resolved, not rated yet).
    rateable: bool = False


class FollowedRequest(Model):
    """A help request as its follow-up link shows it: what the person wrote, where it
    stands, its history and the support's replies; no internal detail."""

    reference: str
    status: TicketStatus
    subcategory_label: str | None
    title: str
    description: str
    recipient: RecipientOut
    created_at: datetime
    updated_at: datetime
    history: list[HistoryEntry]
    comments: list[CommentOut]
    attachments: list[AttachmentLink] = []
    satisfaction: SatisfactionOut | None = None
    rateable: bool = False
    # Until when the link that opened it works.
    link_expires_at: datetime


class TicketChange(Model):
    """The answer to a change: the ticket's new state and the history entry it added."""

    ticket_id: str
    reference: str
    status: TicketStatus
    entry: HistoryEntry


def recipient_out(recipient: Recipient) -> RecipientOut:
    return RecipientOut(**recipient.model_dump())


def entry(event: TicketEvent) -> HistoryEntry:
    return HistoryEntry(
        event=event.kind,
        status=event.status,
        at=event.at,
        by=event.by,
        text=event.text,
        recipient=recipient_out(event.recipient) if event.recipient else None,
        stars=event.stars,
    )


def satisfaction_out(satisfaction: Satisfaction | None) -> SatisfactionOut | None:
    return SatisfactionOut(**satisfaction.model_dump()) if satisfaction else None


def change_of(ticket: TicketRecord, event: TicketEvent) -> TicketChange:
    return TicketChange(
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        status=ticket.status,
        entry=entry(event),
    )


def summary(ticket: TicketRecord) -> TicketSummary:
    return TicketSummary(
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        title=ticket.title,
        status=ticket.status,
        category=ticket.category,
        subcategory=ticket.subcategory,
        object_number=ticket.object_number,
        recipient=recipient_out(ticket.recipient),
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
    )


def view(
    catalogue: Catalogue,
    ticket: TicketRecord,
    events: list[TicketEvent],
    attachments: Sequence[AttachmentLink] = (),
) -> TicketView:
    events = sorted(events, key=lambda e: e.at)
    label = catalogue.subcategory_label(ticket.category, ticket.subcategory)
    return TicketView(
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        status=ticket.status,
        channel=ticket.channel,
        category=ticket.category,
        subcategory=ticket.subcategory,
        subcategory_label=label,
        object_number=ticket.object_number,
        title=ticket.title,
        description=ticket.description,
        contact_email=ticket.contact_email,
        emitter_name=ticket.emitter_name,
        organisation=ticket.organisation,
        siret=ticket.siret,
        recipient=recipient_out(ticket.recipient),
        assignee=ticket.assignee,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        history=[entry(e) for e in events],
        comments=[
            CommentOut(event=e.kind, at=e.at, by=e.by, text=e.text, attachment_ids=e.attachment_ids)
            for e in events
            if e.text
        ],
        attachments=list(attachments),
        satisfaction=satisfaction_out(ticket.satisfaction),
        rateable=rateable(ticket),
    )


def followed(
    catalogue: Catalogue,
    ticket: TicketRecord,
    events: list[TicketEvent],
    attachments: Sequence[AttachmentLink],
    link_expires_at: datetime,
) -> FollowedRequest:
    full = view(catalogue, ticket, events, attachments)
    return FollowedRequest(
        reference=full.reference,
        status=full.status,
        subcategory_label=full.subcategory_label,
        title=full.title,
        description=full.description,
        recipient=full.recipient,
        created_at=full.created_at,
        updated_at=full.updated_at,
        history=full.history,
        comments=full.comments,
        attachments=full.attachments,
        satisfaction=full.satisfaction,
        rateable=full.rateable,
        link_expires_at=link_expires_at,
    )
