"""Ticket lifecycle, emitter side: submit, list, read, comment, reopen, close.

Decisions (see also chalicelib/ticket_records.py for keys, and
chalicelib/routing/dispatch.py for routing):
- Submitting costs at most 4 AWS calls: the idempotency GetItem (only with an
  `Idempotency-Key`), one BatchGetItem on the directory (profile, membership,
  object, named recipient), the reference counter's UpdateItem, and one
  TransactWriteItems (ticket + first history event + idempotency record).
- Submitting never calls SQS. The ticket write is the source of truth; the
  tickets table's stream feeds the dispatcher that sends it to its queue, so
  an SQS failure cannot lose an acknowledged ticket (outbox by stream).
- References are `T-{year}-{number:06d}`, one counter per year (Paris time):
  unique and increasing, not gapless (a failed transaction burns a number).
- Statuses: submitted -> in_progress (an agent assigns) -> waiting_for_user |
  resolved (the agent replies); a comment on a ticket waiting for the user and
  a reopened resolved ticket go back to the recipient (in_progress when
  someone holds it, submitted otherwise); the emitter closes at any time.
  Anything else is a 409. Every change is one history event (who, when).
- Another user's ticket is a 404, never a 403: existence is not disclosed.
- Attachments come later (another issue): `check_attachments` is the seam; it
  refuses every id for now.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

from chalicelib.api import RequestModel
from chalicelib.auth import Identity
from chalicelib.config import Settings
from chalicelib.errors import ConflictError, InvalidFieldsError, NotFoundError
from chalicelib.idempotency import IdempotencyStore, StoredResponse, request_hash
from chalicelib.models import Model
from chalicelib.pagination import Page, PageQuery
from chalicelib.routing.catalogue import Catalogue
from chalicelib.routing.recipients import DirectoryFacts, check_object_number, recipient_for
from chalicelib.ticket_records import (
    Actor,
    EmitterNotice,
    EmitterOrganisation,
    EventKind,
    Recipient,
    TicketEvent,
    TicketRecord,
    TicketStatus,
)
from chalicelib.ticket_store import TicketStore, TransactionConflict

if TYPE_CHECKING:
    from chalicelib.directory import DirectoryRepository

CONFIRMATION = (
    "Votre ticket a bien été envoyé et sera traité dans les meilleurs délais par le destinataire."
)
REFERENCE_TIMEZONE = ZoneInfo("Europe/Paris")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
MAX_ATTACHMENTS = 10
OPEN_FOR_COMMENTS: frozenset[TicketStatus] = frozenset(
    {"submitted", "in_progress", "waiting_for_user"}
)


def valid_email(value: str | None) -> str | None:
    """A pydantic validator's check of an e-mail address (None passes)."""
    if value is not None and not EMAIL_PATTERN.match(value):
        raise ValueError("Adresse e-mail invalide.")
    return value


def _empty_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


# Requests


class TicketSubmission(RequestModel):
    """`POST /tickets`."""

    organisation_id: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=32)
    subcategory: str = Field(min_length=1, max_length=32)
    object_number: str | None = Field(None, max_length=64)
    recipient_organisation_id: str | None = Field(None, max_length=64)
    title: str = Field(min_length=5, max_length=120)
    description: str = Field(min_length=10, max_length=10_000)
    contact_email: str | None = Field(None, max_length=254)
    attachment_ids: list[str] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)

    _blank_optional = field_validator(
        "object_number", "recipient_organisation_id", "contact_email", mode="before"
    )(_empty_is_none)
    _email = field_validator("contact_email")(valid_email)


class CommentRequest(RequestModel):
    text: str = Field(min_length=1, max_length=10_000)
    attachment_ids: list[str] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class ReopenRequest(RequestModel):
    text: str = Field(min_length=1, max_length=10_000)


class TicketListQuery(PageQuery):
    status: TicketStatus | None = None


# Responses


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


class CommentOut(Model):
    event: EventKind
    at: datetime
    by: Actor
    text: str


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
    # Filled by the attachments issue (download URLs); always empty for now.
    attachments: list[dict[str, Any]] = []


class TicketChange(Model):
    """The answer to a change: the ticket's new state and the history entry it added."""

    ticket_id: str
    reference: str
    status: TicketStatus
    entry: HistoryEntry


class TicketDigest(Model):
    """What the assistant says about a ticket."""

    reference: str
    title: str
    status: TicketStatus
    updated_at: datetime


# Context


@dataclass(frozen=True)
class TicketContext:
    """The adapters and configuration the ticket services use."""

    store: TicketStore
    facts: DirectoryFacts
    directory: DirectoryRepository
    idempotency: IdempotencyStore
    catalogue: Catalogue
    settings: Settings


def get_ticket_context() -> TicketContext:
    from chalicelib.config import get_settings
    from chalicelib.directory import get_directory
    from chalicelib.idempotency import get_idempotency_store
    from chalicelib.routing.catalogue import get_catalogue
    from chalicelib.routing.recipients import get_directory_facts
    from chalicelib.ticket_store import get_ticket_store

    return TicketContext(
        store=get_ticket_store(),
        facts=get_directory_facts(),
        directory=get_directory(),
        idempotency=get_idempotency_store(),
        catalogue=get_catalogue(),
        settings=get_settings(),
    )


# Shared by every creating path (portal tickets, help requests)


def check_attachments(attachment_ids: list[str]) -> list[str]:
    """The attachments a ticket may carry. Seam for the attachments issue: none yet."""
    if attachment_ids:
        raise InvalidFieldsError.single(
            "attachment_ids", "Les pièces jointes ne sont pas encore disponibles."
        )
    return []


def new_ticket_id() -> str:
    return uuid.uuid4().hex


def new_event(
    ticket: TicketRecord,
    kind: EventKind,
    by: Actor,
    now: datetime,
    *,
    text: str | None = None,
    recipient: Recipient | None = None,
    notice: EmitterNotice | None = None,
) -> TicketEvent:
    return TicketEvent(
        event_id=uuid.uuid4().hex[:12],
        ticket_id=ticket.ticket_id,
        kind=kind,
        at=now,
        by=by,
        status=ticket.status,
        text=text,
        recipient=recipient,
        notice=notice,
    )


def next_reference(store: TicketStore, now: datetime) -> str:
    year = now.astimezone(REFERENCE_TIMEZONE).year
    return f"T-{year}-{store.next_reference_number(year):06d}"


@dataclass(frozen=True)
class IdempotencyClaim:
    """An Idempotency-Key scoped to its operation and caller, with the request's hash."""

    scoped_key: str
    fingerprint: str


def claim(
    operation: str, owner: str, key: str | None, request: BaseModel
) -> IdempotencyClaim | None:
    if key is None:
        return None
    return IdempotencyClaim(
        IdempotencyStore.scoped_key(operation, owner, key), request_hash(request)
    )


def replayed(
    idempotency: IdempotencyStore, idem: IdempotencyClaim | None, now: datetime
) -> dict[str, Any] | None:
    """The first response to this claim's key, if any (422 when the body differs)."""
    if idem is None:
        return None
    stored = idempotency.replay(idem.scoped_key, idem.fingerprint, now)
    return stored.body if stored else None


def record_new_ticket(
    ctx: TicketContext,
    ticket: TicketRecord,
    response: BaseModel,
    idem: IdempotencyClaim | None,
    now: datetime,
) -> dict[str, Any]:
    """Write a new ticket, its first event and the idempotency record in one transaction.

    Returns the response to give: `response`, or the first response when a
    concurrent retry with the same key won the race.
    """
    body = response.model_dump(mode="json")
    extra = []
    if idem is not None:
        stored = StoredResponse(status=201, body=body)
        extra.append(ctx.idempotency.record(idem.scoped_key, idem.fingerprint, stored, now))
    by = Actor(user_id=ticket.emitter_user_id, name=ticket.emitter_name, role="emitter")
    try:
        ctx.store.create(ticket, new_event(ticket, "submitted", by, now), extra)
    except TransactionConflict as conflict:
        winner = replayed(ctx.idempotency, idem, now)
        if winner is not None and conflict.codes[2:3] == ["ConditionalCheckFailed"]:
            return winner
        raise
    return body


def recipient_out(recipient: Recipient) -> RecipientOut:
    return RecipientOut(**recipient.model_dump())


# Emitter services


def submit_ticket(
    ctx: TicketContext,
    caller: Identity,
    request: TicketSubmission,
    idempotency_key: str | None,
    now: datetime,
) -> SubmittedTicket:
    """Check a submission, route it to its recipient and store it."""
    idem = claim("submit_ticket", caller.user_id, idempotency_key, request)
    first = replayed(ctx.idempotency, idem, now)
    if first is not None:
        return SubmittedTicket.model_validate(first)
    category, subcategory = ctx.catalogue.find(request.category, request.subcategory)
    check_object_number(subcategory, request.object_number)
    attachment_ids = check_attachments(request.attachment_ids)
    facts = ctx.facts.for_submission(
        caller.user_id,
        request.organisation_id,
        request.object_number,
        request.recipient_organisation_id,
    )
    recipient = recipient_for(
        category,
        subcategory,
        facts,
        request.object_number,
        request.recipient_organisation_id,
        ctx.settings,
    )
    contact_email = request.contact_email or (facts.user.email if facts.user else caller.email)
    if not contact_email:
        raise InvalidFieldsError.single("contact_email", "Indiquez une adresse e-mail de contact.")
    assert facts.membership is not None  # recipient_for refused non-members
    ticket = TicketRecord(
        ticket_id=new_ticket_id(),
        reference=next_reference(ctx.store, now),
        status="submitted",
        emitter_user_id=caller.user_id,
        emitter_name=(facts.user.name if facts.user else None) or caller.name or caller.user_id,
        organisation=EmitterOrganisation(
            id=facts.membership.id, designation=facts.membership.designation
        ),
        category=category.code,
        subcategory=subcategory.code,
        object_number=request.object_number,
        title=request.title,
        description=request.description,
        contact_email=contact_email,
        recipient=recipient,
        attachment_ids=attachment_ids,
        created_at=now,
        updated_at=now,
    )
    response = SubmittedTicket(
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        status=ticket.status,
        recipient=recipient_out(recipient),
        message=CONFIRMATION,
    )
    return SubmittedTicket.model_validate(record_new_ticket(ctx, ticket, response, idem, now))


def list_my_tickets(
    ctx: TicketContext, caller: Identity, query: TicketListQuery
) -> Page[TicketSummary]:
    """The caller's tickets, newest first: one Query."""
    page = ctx.store.list_by_emitter(caller.user_id, query.status, query.limit, query.cursor)
    return Page[TicketSummary](items=[summary(t) for t in page.items], next_cursor=page.next_cursor)


def latest_tickets(store: TicketStore, user_id: str, count: int = 3) -> list[TicketDigest]:
    """The user's latest `count` tickets, for the assistant: one Query."""
    page = store.list_by_emitter(user_id, None, count, None)
    return [
        TicketDigest(reference=t.reference, title=t.title, status=t.status, updated_at=t.updated_at)
        for t in page.items
    ]


def get_my_ticket(ctx: TicketContext, caller: Identity, ticket_id: str) -> TicketView:
    """One of the caller's tickets with its history: one Query."""
    found = ctx.store.get_with_history(ticket_id)
    if found is None or found[0].emitter_user_id != caller.user_id:
        raise not_found()
    return view(ctx.catalogue, *found)


def comment_ticket(
    ctx: TicketContext, caller: Identity, ticket_id: str, request: CommentRequest, now: datetime
) -> TicketChange:
    """The emitter adds information; a ticket waiting for them goes back to its recipient."""
    check_attachments(request.attachment_ids)
    ticket = own_ticket(ctx, caller, ticket_id)
    if ticket.status not in OPEN_FOR_COMMENTS:
        raise ConflictError(
            "Ce ticket est résolu : rouvrez-le pour compléter votre demande."
            if ticket.status == "resolved"
            else "Ce ticket est clos."
        )
    status = back_to_recipient(ticket) if ticket.status == "waiting_for_user" else ticket.status
    return apply_change(
        ctx, ticket, {"status": status}, "commented", emitter(ticket), now, request.text
    )


def reopen_ticket(
    ctx: TicketContext, caller: Identity, ticket_id: str, request: ReopenRequest, now: datetime
) -> TicketChange:
    """A resolved ticket goes back to its recipient: the answer did not solve it."""
    ticket = own_ticket(ctx, caller, ticket_id)
    if ticket.status != "resolved":
        raise ConflictError("Seul un ticket résolu peut être rouvert.")
    changes = {"status": back_to_recipient(ticket)}
    return apply_change(ctx, ticket, changes, "reopened", emitter(ticket), now, request.text)


def close_ticket(
    ctx: TicketContext, caller: Identity, ticket_id: str, now: datetime
) -> TicketChange:
    ticket = own_ticket(ctx, caller, ticket_id)
    if ticket.status == "closed":
        raise ConflictError("Ce ticket est déjà clos.")
    return apply_change(ctx, ticket, {"status": "closed"}, "closed", emitter(ticket), now)


# Helpers shared with the desk


def not_found() -> NotFoundError:
    return NotFoundError("Ticket introuvable.")


def own_ticket(ctx: TicketContext, caller: Identity, ticket_id: str) -> TicketRecord:
    ticket = ctx.store.get(ticket_id)
    if ticket is None or ticket.emitter_user_id != caller.user_id:
        raise not_found()
    return ticket


def emitter(ticket: TicketRecord) -> Actor:
    return Actor(user_id=ticket.emitter_user_id, name=ticket.emitter_name, role="emitter")


def back_to_recipient(ticket: TicketRecord) -> TicketStatus:
    return "in_progress" if ticket.assignee else "submitted"


def apply_change(
    ctx: TicketContext,
    ticket: TicketRecord,
    changes: dict[str, Any],
    kind: EventKind,
    by: Actor,
    now: datetime,
    text: str | None = None,
    *,
    notice: EmitterNotice | None = None,
) -> TicketChange:
    """Store a change of `ticket` and its history event (409 if the ticket moved meanwhile)."""
    after = ticket.model_copy(update={**changes, "updated_at": now, "version": ticket.version + 1})
    recipient = after.recipient if kind == "transferred" else None
    event = new_event(after, kind, by, now, text=text, recipient=recipient, notice=notice)
    ctx.store.change(ticket, after, event)
    return TicketChange(
        ticket_id=after.ticket_id,
        reference=after.reference,
        status=after.status,
        entry=entry(event),
    )


def entry(event: TicketEvent) -> HistoryEntry:
    return HistoryEntry(
        event=event.kind,
        status=event.status,
        at=event.at,
        by=event.by,
        text=event.text,
        recipient=recipient_out(event.recipient) if event.recipient else None,
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


def view(catalogue: Catalogue, ticket: TicketRecord, events: list[TicketEvent]) -> TicketView:
    events = sorted(events, key=lambda e: e.at)
    label = next(
        (
            s.label
            for c in catalogue.categories
            for s in c.subcategories
            if c.code == ticket.category and s.code == ticket.subcategory
        ),
        None,
    )
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
            CommentOut(event=e.kind, at=e.at, by=e.by, text=e.text) for e in events if e.text
        ],
    )
