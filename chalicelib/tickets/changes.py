"""How a ticket changes: one history event per change, attachments claimed with it.

Every change of a ticket (a comment, a reopening, an assignment, a reply, a
transfer, a reminder, a closing, a rating) is written by `apply_change`: the
ticket over the version read, its history event, and the claims of the
attachments it brings, in one transaction. A change of status also moves the
lifecycle fields the lifecycle job reads (`status_since`, `reminded_at`,
`resolved_at`). A ticket that moved meanwhile is a 409; an attachment claimed
meanwhile by another ticket is a 422 naming it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from chalicelib.attachments.models import AttachmentClaim
from chalicelib.shared.dynamo import Transaction, TransactionFailed
from chalicelib.shared.errors import ConflictError, FieldError, InvalidFieldsError, NotFoundError
from chalicelib.tickets.ageing import restart_wait
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.records import (
    Actor,
    EventKind,
    Recipient,
    TicketEvent,
    TicketRecord,
    TicketStatus,
)
from chalicelib.tickets.store import TICKET
from chalicelib.tickets.views import TicketChange, change_of


def not_found() -> NotFoundError:
    return NotFoundError("Ticket introuvable.")


def new_event(
    ticket: TicketRecord,
    kind: EventKind,
    by: Actor,
    now: datetime,
    *,
    text: str | None = None,
    recipient: Recipient | None = None,
    attachment_ids: Sequence[str] = (),
    stars: int | None = None,
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
        attachment_ids=list(attachment_ids),
        stars=stars,
    )


def emitter(ticket: TicketRecord) -> Actor:
    return Actor(user_id=ticket.emitter_user_id, name=ticket.emitter_name, role="emitter")


def back_to_recipient(ticket: TicketRecord) -> TicketStatus:
    """Where a ticket goes when the emitter answers: its agent, or the desk's queue."""
    return "in_progress" if ticket.assignee else "submitted"


def claimed_ids(claim: AttachmentClaim | None) -> list[str]:
    return [a.attachment_id for a in claim.attachments] if claim else []


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
        return ctx.attachments.claim(owner, attachment_ids, ticket, now)
    # Citing again an attachment the ticket already has would count it twice.
    already = [
        FieldError(f"attachment_ids.{index}", "Pièce jointe déjà jointe à ce ticket.")
        for index, attachment_id in enumerate(attachment_ids)
        if attachment_id in ticket.attachment_ids
    ]
    if already:
        raise InvalidFieldsError("Pièces jointes déjà jointes à ce ticket.", errors=already)
    return ctx.attachments.claim(
        owner,
        attachment_ids,
        ticket.ticket_id,
        now,
        already_on_ticket=len(ticket.attachment_ids),
        already_bytes=ticket.attachment_bytes,
    )


def explain_failure(
    ctx: TicketContext, failed: TransactionFailed, attachments: AttachmentClaim | None
) -> None:
    """Raise the client's error for a cancelled ticket transaction, if it is one."""
    if attachments is not None:
        error = ctx.attachments.lost_claims(failed, attachments)
        if error is not None:
            raise error from failed
    if failed.failed(TICKET) or failed.conflict:
        raise ConflictError(
            "Le ticket vient d'être modifié par quelqu'un d'autre : rechargez-le.",
            headers={"Retry-After": "1"},
        ) from failed


def lifecycle_changes(
    ticket: TicketRecord, changes: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """What a change of status does to the lifecycle fields: since when the ticket is in
    its status, its reminder forgotten once it stops waiting, when it was resolved."""
    status = changes.get("status", ticket.status)
    if status == ticket.status:
        return changes
    lifecycle: dict[str, Any] = {"status_since": now, "reminded_at": None}
    if status == "resolved":
        lifecycle["resolved_at"] = now
    return {**lifecycle, **changes}


def apply_change(
    ctx: TicketContext,
    ticket: TicketRecord,
    changes: dict[str, Any],
    kind: EventKind,
    by: Actor,
    now: datetime,
    text: str | None = None,
    *,
    attachments: AttachmentClaim | None = None,
    stars: int | None = None,
    also: Callable[[Transaction], None] | None = None,
) -> TicketChange:
    """Store a change of `ticket`, its history event and the claims of the attachments it
    brings (409 if the ticket moved meanwhile; 422 if an attachment was claimed meanwhile).

    `also` adds other items to the same transaction (a rating's counters).
    """
    attachment_ids = claimed_ids(attachments)
    if attachments is not None:
        changes = {
            **changes,
            "attachment_ids": [*ticket.attachment_ids, *attachment_ids],
            "attachment_bytes": attachments.total_bytes,
        }
    changes = lifecycle_changes(ticket, changes, now)
    after = ticket.model_copy(update={**changes, "updated_at": now, "version": ticket.version + 1})
    # Back with its recipient (an answer, a reopening, a transfer): its wait starts again.
    after = restart_wait(ticket, after, now)
    recipient = after.recipient if kind == "transferred" else None
    event = new_event(
        after,
        kind,
        by,
        now,
        text=text,
        recipient=recipient,
        attachment_ids=attachment_ids,
        stars=stars,
    )
    tx = ctx.transaction()
    ctx.store.change_in(tx, ticket, after, event)
    if attachments is not None:
        ctx.attachments.claim_in(tx, attachments, now)
    if also is not None:
        also(tx)
    try:
        tx.commit()
    except TransactionFailed as failed:
        explain_failure(ctx, failed, attachments)
        raise
    return change_of(after, event)
