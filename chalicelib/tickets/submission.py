"""Submitting a ticket: checked against the catalogue, routed, stored with its attachments.

- Submitting costs 3 AWS calls: one BatchGetItem on the directory (profile,
  membership, object, named recipient), the reference counter's UpdateItem,
  and one TransactWriteItems (ticket + first history event + idempotency
  record + attachment claims); with attachments, one more BatchGetItem to
  check them. The Idempotency-Key is not looked up first: its record is a
  conditional put in the transaction, and a retry gets the first response
  back with the cancellation (chalicelib/shared/idempotency.py). A retry
  that a check refuses (its attachments are claimed, by the first call) reads
  the key once before answering.
- Submitting never calls SQS. The ticket write is the source of truth; the
  tickets table's stream feeds the dispatcher that sends it to its queue, so
  an SQS failure cannot lose an acknowledged ticket (outbox by stream).
- References are `T-{year}-{number:06d}`, one counter per year (Paris time):
  unique and increasing, not gapless (a failed transaction burns a number).
- Attachments are claimed in the same transaction as the ticket: one
  BatchGetItem validates them (the caller's, `ready`, on no other ticket,
  cited once, 5 / 20 MB per ticket), and each claim re-checks that as a
  condition, so a race is a cancelled transaction and a 422 naming the id.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from chalicelib.attachments.models import AttachmentClaim
from chalicelib.auth import Identity
from chalicelib.directory import object_key
from chalicelib.routing.recipients import check_object_number, recipient_for
from chalicelib.shared.clock import paris_time
from chalicelib.shared.dynamo import TransactionFailed
from chalicelib.shared.errors import GuichetError, InvalidFieldsError
from chalicelib.shared.idempotency import (
    IdempotencyClaim,
    claim_key,
    create_once,
    replay_refused,
)
from chalicelib.shared.models import Model
from chalicelib.tickets.changes import check_attachments, claimed_ids, explain_failure, new_event
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.records import Actor, EmitterOrganisation, TicketRecord
from chalicelib.tickets.store import TicketStore
from chalicelib.tickets.views import SubmittedTicket, recipient_out

CONFIRMATION = (
    "Votre ticket a bien été envoyé et sera traité dans les meilleurs délais par le destinataire."
)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
MAX_ATTACHMENTS = 10


def valid_email(value: str | None) -> str | None:
    """A pydantic validator's check of an e-mail address (None passes)."""
    if value is not None and not EMAIL_PATTERN.match(value):
        raise ValueError("Adresse e-mail invalide.")
    return value


def _empty_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class NewTicket(Model):
    """What a submission says: the ticket's fields, each within its limits."""

    organisation_id: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=32)
    subcategory: str = Field(min_length=1, max_length=32)
    object_number: str | None = Field(None, max_length=64)
    recipient_organisation_id: str | None = Field(None, max_length=64)
    title: str = Field(min_length=5, max_length=120)
    description: str = Field(min_length=10, max_length=10_000)
    contact_email: str | None = Field(None, max_length=254)
    attachment_ids: list[str] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    # The ClaudIA conversation the ticket comes from (its draft): agents read its transcript.
    conversation_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")

    _blank_optional = field_validator(
        "object_number",
        "recipient_organisation_id",
        "contact_email",
        "conversation_id",
        mode="before",
    )(_empty_is_none)
    _email = field_validator("contact_email")(valid_email)


def new_ticket_id() -> str:
    return uuid.uuid4().hex


def next_reference(store: TicketStore, now: datetime) -> str:
    year = paris_time(now).year
    return f"T-{year}-{store.next_reference_number(year):06d}"


def create_ticket(
    ctx: TicketContext,
    ticket: TicketRecord,
    response: Model,
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
    by = Actor(user_id=ticket.emitter_user_id, name=ticket.emitter_name, role="emitter")
    event = new_event(ticket, "submitted", by, now, attachment_ids=claimed_ids(attachments))
    tx = ctx.transaction()
    ctx.store.create_in(tx, ticket, event)
    if attachments is not None:
        ctx.attachments.claim_in(tx, attachments, now)
    try:
        return create_once(ctx.idempotency, idem, tx, response, now)
    except TransactionFailed as failed:
        explain_failure(ctx, failed, attachments)
        raise


def submit_ticket(
    ctx: TicketContext,
    caller: Identity,
    request: NewTicket,
    idempotency_key: str | None,
    now: datetime,
) -> SubmittedTicket:
    """Check a submission, route it to its recipient and store it with its attachments."""
    idem = claim_key("submit_ticket", caller.user_id, idempotency_key, request)
    try:
        ticket, response, attachments = _checked_ticket(ctx, caller, request, now)
    except GuichetError as refusal:
        # A retry after the first call succeeded, whose checks see that call's effects.
        return SubmittedTicket.model_validate(replay_refused(ctx.idempotency, idem, refusal, now))
    return SubmittedTicket.model_validate(
        create_ticket(ctx, ticket, response, idem, now, attachments)
    )


def _checked_ticket(
    ctx: TicketContext, caller: Identity, request: NewTicket, now: datetime
) -> tuple[TicketRecord, SubmittedTicket, AttachmentClaim | None]:
    """The ticket a submission makes, once checked and routed, and its response."""
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
        object_number=object_key(request.object_number) if request.object_number else None,
        # The desk finds a ticket by its emitter's SIRET (tickets/search.py).
        siret=facts.membership.siret,
        conversation_id=request.conversation_id,
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
    return ticket, response, attachments
