"""Ticket lifecycle, emitter side: submit, list, read, comment, reopen, close.

Decisions (see also chalicelib/ticket_records.py for keys, and
chalicelib/routing/dispatch.py for routing):
- Submitting costs at most 4 AWS calls: the idempotency GetItem (only with an
  `Idempotency-Key`), one BatchGetItem on the directory (profile, membership,
  object, named recipient), the reference counter's UpdateItem, and one
  TransactWriteItems (ticket + first history event + idempotency record +
  attachment claims); with attachments, one more BatchGetItem to check them.
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
  `GET /tickets/{id}` is for whoever may see the ticket: its emitter, and the
  agents it is addressed to (support_agents for support tickets, business_agents
  of the recipient organisation), the same rule as the desk's and as
  `attachments.may_download`.
- Attachments (chalicelib/attachments.py) are claimed in the same transaction
  as the ticket or comment that brings them: one BatchGetItem validates them
  (the caller's, `ready`, on no other ticket, cited once, 5 / 20 MB per ticket
  with what it already has), and each claim re-checks that as a condition, so
  a race is a cancelled transaction and a 422 naming the id. The ticket keeps
  their ids and total bytes; reading it fetches them by key (BatchGetItem,
  strongly consistent, unlike a GSI Query right after the write) and signs a
  5-minute download URL for each.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

from chalicelib.attachments import (
    AttachmentClaim,
    AttachmentLink,
    AttachmentRepository,
    TicketAccess,
    UploadStore,
    attachment_links,
    claim_attachments,
    claim_conflicts,
    get_upload_store,
    may_download,
)
from chalicelib.auth import BUSINESS_AGENTS, Identity
from chalicelib.endpoints.api import RequestModel
from chalicelib.routing.catalogue import Catalogue
from chalicelib.routing.recipients import DirectoryFacts, check_object_number, recipient_for
from chalicelib.shared.config import Settings
from chalicelib.shared.errors import ConflictError, FieldError, InvalidFieldsError, NotFoundError
from chalicelib.shared.idempotency import IdempotencyStore, StoredResponse, request_hash
from chalicelib.shared.models import Model
from chalicelib.shared.pagination import Page, PageQuery
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
    attachments: AttachmentRepository
    # A factory: the S3 client is made only when a download URL is signed,
    # which keeps it off the cold start of every other ticket call.
    upload_store: Callable[[], UploadStore] = field(default=get_upload_store)


def get_ticket_context() -> TicketContext:
    from chalicelib.attachments import get_attachment_repository
    from chalicelib.directory import get_directory
    from chalicelib.routing.catalogue import get_catalogue
    from chalicelib.routing.recipients import get_directory_facts
    from chalicelib.shared.config import get_settings
    from chalicelib.shared.idempotency import get_idempotency_store
    from chalicelib.ticket_store import get_ticket_store

    return TicketContext(
        store=get_ticket_store(),
        facts=get_directory_facts(),
        directory=get_directory(),
        idempotency=get_idempotency_store(),
        catalogue=get_catalogue(),
        settings=get_settings(),
        attachments=get_attachment_repository(),
    )


# Shared by every creating path (portal tickets, help requests)


def check_attachments(
    ctx: TicketContext,
    owner: str | None,
    attachment_ids: Sequence[str],
    ticket: TicketRecord | str,
    now: datetime,
) -> AttachmentClaim | None:
    """The claim of the attachments a new ticket (its id) or a comment (the ticket) brings.

    None without attachments (no AWS call); else 1 BatchGetItem and a 422
    naming each bad `attachment_ids.N`. `owner` is who uploaded them: the
    caller's user id, or a client token's owner for help requests; None (no
    way to tell) refuses any attachment.
    """
    if not attachment_ids:
        return None
    if owner is None:
        raise InvalidFieldsError.single(
            "attachment_ids",
            "Joignez le jeton X-Upload-Token reçu lors de l'envoi des pièces jointes.",
        )
    if isinstance(ticket, str):
        return claim_attachments(ctx.attachments, owner, attachment_ids, ticket, now=now)
    # Citing again an attachment the ticket already has would count it twice.
    already = [
        FieldError(f"attachment_ids.{index}", "Pièce jointe déjà jointe à ce ticket.")
        for index, attachment_id in enumerate(attachment_ids)
        if attachment_id in ticket.attachment_ids
    ]
    if already:
        raise InvalidFieldsError("Pièces jointes déjà jointes à ce ticket.", errors=already)
    return claim_attachments(
        ctx.attachments,
        owner,
        attachment_ids,
        ticket.ticket_id,
        now=now,
        already_on_ticket=len(ticket.attachment_ids),
        already_bytes=ticket.attachment_bytes,
    )


def claimed_ids(claim: AttachmentClaim | None) -> list[str]:
    return [a.attachment_id for a in claim.attachments] if claim else []


def raise_claim_conflict(
    conflict: TransactionConflict, first_claim_index: int, claim: AttachmentClaim | None
) -> None:
    """A 422 naming the attachments whose claim cancelled the transaction, if that is why."""
    if claim is None:
        return
    error = claim_conflicts(conflict.codes, first_claim_index, claimed_ids(claim))
    if error is not None:
        raise error from conflict


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
    attachment_ids: Sequence[str] = (),
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
        attachment_ids=list(attachment_ids),
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
    attachments: AttachmentClaim | None = None,
) -> dict[str, Any]:
    """Write a new ticket, its first event, the idempotency record and the attachment
    claims in one transaction.

    Returns the response to give: `response`, or the first response when a
    concurrent retry with the same key won the race. An attachment claimed
    meanwhile by another ticket is a 422 naming it.
    """
    body = response.model_dump(mode="json")
    extra = []
    if idem is not None:
        stored = StoredResponse(status=201, body=body)
        extra.append(ctx.idempotency.record(idem.scoped_key, idem.fingerprint, stored, now))
    first_claim_index = 2 + len(extra)
    if attachments is not None:
        extra.extend(attachments.transaction_items)
    by = Actor(user_id=ticket.emitter_user_id, name=ticket.emitter_name, role="emitter")
    event = new_event(ticket, "submitted", by, now, attachment_ids=claimed_ids(attachments))
    try:
        ctx.store.create(ticket, event, extra)
    except TransactionConflict as conflict:
        winner = replayed(ctx.idempotency, idem, now)
        if winner is not None and conflict.codes[2:3] == ["ConditionalCheckFailed"]:
            return winner
        raise_claim_conflict(conflict, first_claim_index, attachments)
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
    """Check a submission, route it to its recipient and store it with its attachments."""
    idem = claim("submit_ticket", caller.user_id, idempotency_key, request)
    first = replayed(ctx.idempotency, idem, now)
    if first is not None:
        return SubmittedTicket.model_validate(first)
    category, subcategory = ctx.catalogue.find(request.category, request.subcategory)
    check_object_number(subcategory, request.object_number)
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
    ticket_id = new_ticket_id()
    # Checked last, before the reference counter: a refused attachment burns no number.
    attachments = check_attachments(ctx, caller.user_id, request.attachment_ids, ticket_id, now)
    ticket = TicketRecord(
        ticket_id=ticket_id,
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
        attachment_ids=claimed_ids(attachments),
        attachment_bytes=attachments.total_bytes if attachments else 0,
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
    return SubmittedTicket.model_validate(
        record_new_ticket(ctx, ticket, response, idem, now, attachments)
    )


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


def get_ticket(ctx: TicketContext, caller: Identity, ticket_id: str, now: datetime) -> TicketView:
    """A ticket the caller may see, with its history and attachments.

    The emitter: one Query, plus one BatchGetItem when it has attachments. An
    agent it is addressed to: the same (plus the memberships Query for a
    business agent). Anyone else: 404.
    """
    found = ctx.store.get_with_history(ticket_id)
    if found is None or not may_read(ctx, caller, found[0]):
        raise not_found()
    return ticket_view(ctx, *found, now)


def may_read(ctx: TicketContext, caller: Identity, ticket: TicketRecord) -> bool:
    """The emitter and the agents the ticket is addressed to (memberships read only if needed)."""
    access = ticket_access(ticket)
    if may_download(caller, (), access):
        return True
    if access.recipient_type != "business" or not caller.has_role(BUSINESS_AGENTS):
        return False
    user = ctx.directory.user(caller.user_id)
    return may_download(caller, [o.id for o in user.organisations] if user else [], access)


def ticket_access(ticket: TicketRecord) -> TicketAccess:
    return TicketAccess(
        emitter_user_id=ticket.emitter_user_id,
        recipient_type=ticket.recipient.type,
        recipient_organisation_id=ticket.recipient.organisation_id,
    )


def ticket_view(
    ctx: TicketContext, ticket: TicketRecord, events: list[TicketEvent], now: datetime
) -> TicketView:
    """The view of a ticket for a caller allowed to see it, download links included.

    The attachments are read by key (1 BatchGetItem, none without attachments);
    signing their URLs makes no call.
    """
    links: list[AttachmentLink] = []
    if ticket.attachment_ids:
        found = ctx.attachments.get_many(ticket.attachment_ids)
        links = attachment_links(
            ctx.attachments, ctx.upload_store(), ticket.ticket_id, now, list(found.values())
        )
    return view(ctx.catalogue, ticket, events, links)


def comment_ticket(
    ctx: TicketContext, caller: Identity, ticket_id: str, request: CommentRequest, now: datetime
) -> TicketChange:
    """The emitter adds information (and attachments); a ticket waiting for them goes back
    to its recipient."""
    ticket = own_ticket(ctx, caller, ticket_id)
    if ticket.status not in OPEN_FOR_COMMENTS:
        raise ConflictError(
            "Ce ticket est résolu : rouvrez-le pour compléter votre demande."
            if ticket.status == "resolved"
            else "Ce ticket est clos."
        )
    attachments = check_attachments(ctx, caller.user_id, request.attachment_ids, ticket, now)
    status = back_to_recipient(ticket) if ticket.status == "waiting_for_user" else ticket.status
    return apply_change(
        ctx,
        ticket,
        {"status": status},
        "commented",
        emitter(ticket),
        now,
        request.text,
        attachments=attachments,
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
    attachments: AttachmentClaim | None = None,
) -> TicketChange:
    """Store a change of `ticket`, its history event and the claims of the attachments it
    brings (409 if the ticket moved meanwhile; 422 if an attachment was claimed meanwhile)."""
    attachment_ids = claimed_ids(attachments)
    if attachments is not None:
        changes = {
            **changes,
            "attachment_ids": [*ticket.attachment_ids, *attachment_ids],
            "attachment_bytes": attachments.total_bytes,
        }
    after = ticket.model_copy(update={**changes, "updated_at": now, "version": ticket.version + 1})
    recipient = after.recipient if kind == "transferred" else None
    event = new_event(
        after,
        kind,
        by,
        now,
        text=text,
        recipient=recipient,
        notice=notice,
        attachment_ids=attachment_ids,
    )
    try:
        ctx.store.change(ticket, after, event, attachments.transaction_items if attachments else ())
    except TransactionConflict as conflict:
        raise_claim_conflict(conflict, 2, attachments)
        raise
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


def view(
    catalogue: Catalogue,
    ticket: TicketRecord,
    events: list[TicketEvent],
    attachments: Sequence[AttachmentLink] = (),
) -> TicketView:
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
            CommentOut(event=e.kind, at=e.at, by=e.by, text=e.text, attachment_ids=e.attachment_ids)
            for e in events
            if e.text
        ],
        attachments=list(attachments),
    )
