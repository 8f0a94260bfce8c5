"""Following a ticket, emitter side: list, read, comment, reopen, close.

Statuses: submitted -> in_progress (an agent assigns) -> waiting_for_user |
resolved (the agent replies); a comment on a ticket waiting for the user and a
reopened resolved ticket go back to the recipient (in_progress when someone
holds it, submitted otherwise); the emitter closes at any time. Anything else
is a 409. Every change is one history event (who, when).

Another user's ticket is a 404, never a 403. `GET /tickets/{id}` is for whoever
may see the ticket (chalicelib/tickets/access.py): its emitter, and the agents
it is addressed to. Reading a ticket fetches its attachments by key
(BatchGetItem, strongly consistent, unlike a GSI Query right after the write)
and signs a 5-minute download URL for each.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.auth import Identity
from chalicelib.shared.errors import ConflictError
from chalicelib.shared.pagination import Page
from chalicelib.tickets.access import may_see
from chalicelib.tickets.changes import (
    apply_change,
    back_to_recipient,
    check_attachments,
    emitter,
    not_found,
)
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.records import (
    TicketDigest,
    TicketEvent,
    TicketRecord,
    TicketStatus,
    digest,
)
from chalicelib.tickets.store import TicketStore
from chalicelib.tickets.views import TicketChange, TicketSummary, TicketView, summary, view

OPEN_FOR_COMMENTS: frozenset[TicketStatus] = frozenset(
    {"submitted", "in_progress", "waiting_for_user"}
)


def list_my_tickets(
    ctx: TicketContext,
    caller: Identity,
    status: TicketStatus | None,
    limit: int,
    cursor: str | None,
) -> Page[TicketSummary]:
    """The caller's tickets, newest first: one Query."""
    page = ctx.store.list_by_emitter(caller.user_id, status, limit, cursor)
    return Page[TicketSummary](items=[summary(t) for t in page.items], next_cursor=page.next_cursor)


def latest_tickets(store: TicketStore, user_id: str, count: int = 3) -> list[TicketDigest]:
    """The user's latest `count` tickets (for the assistant): one Query."""
    return [digest(ticket) for ticket in store.list_by_emitter(user_id, None, count, None).items]


def memberships(ctx: TicketContext, caller: Identity) -> set[str]:
    """The organisations of the caller (one directory Query)."""
    user = ctx.directory.user(caller.user_id)
    return {organisation.id for organisation in user.organisations} if user else set()


def get_ticket(ctx: TicketContext, caller: Identity, ticket_id: str, now: datetime) -> TicketView:
    """A ticket the caller may see, with its history and attachments.

    The emitter: one Query, plus one BatchGetItem when it has attachments. An
    agent it is addressed to: the same (plus the memberships Query for a
    business agent). Anyone else: 404.
    """
    found = ctx.store.get_with_history(ticket_id)
    if found is None or not may_see(caller, found[0], lambda: memberships(ctx, caller)):
        raise not_found()
    return ticket_view(ctx, *found, now)


def ticket_view(
    ctx: TicketContext, ticket: TicketRecord, events: list[TicketEvent], now: datetime
) -> TicketView:
    """The view of a ticket for a caller allowed to see it, download links included.

    The attachments are read by key (1 BatchGetItem, none without attachments);
    signing their URLs makes no call.
    """
    links = ctx.attachments.links(ticket.ticket_id, ticket.attachment_ids, now)
    return view(ctx.catalogue, ticket, events, links)


def own_ticket(ctx: TicketContext, caller: Identity, ticket_id: str) -> TicketRecord:
    ticket = ctx.store.get(ticket_id)
    if ticket is None or ticket.emitter_user_id != caller.user_id:
        raise not_found()
    return ticket


def comment_ticket(
    ctx: TicketContext,
    caller: Identity,
    ticket_id: str,
    text: str,
    attachment_ids: list[str],
    now: datetime,
) -> TicketChange:
    """The emitter adds information (and attachments); a ticket waiting for them goes back
    to its recipient."""
    ticket = own_ticket(ctx, caller, ticket_id)
    return comment_on(ctx, ticket, caller.user_id, text, attachment_ids, now)


def comment_on(
    ctx: TicketContext,
    ticket: TicketRecord,
    owner: str | None,
    text: str,
    attachment_ids: list[str],
    now: datetime,
) -> TicketChange:
    """The emitter's comment on their ticket (`owner`: whose uploads it may attach)."""
    if ticket.status not in OPEN_FOR_COMMENTS:
        raise ConflictError(
            "Ce ticket est résolu : rouvrez-le pour compléter votre demande."
            if ticket.status == "resolved"
            else "Ce ticket est clos."
        )
    attachments = check_attachments(ctx, owner, attachment_ids, ticket, now)
    status = back_to_recipient(ticket) if ticket.status == "waiting_for_user" else ticket.status
    return apply_change(
        ctx,
        ticket,
        {"status": status},
        "commented",
        emitter(ticket),
        now,
        text,
        attachments=attachments,
    )


def reopen_ticket(
    ctx: TicketContext, caller: Identity, ticket_id: str, text: str, now: datetime
) -> TicketChange:
    """A resolved ticket goes back to its recipient: the answer did not solve it."""
    return reopen(ctx, own_ticket(ctx, caller, ticket_id), text, now)


def reopen(ctx: TicketContext, ticket: TicketRecord, text: str, now: datetime) -> TicketChange:
    if ticket.status != "resolved":
        raise ConflictError("Seul un ticket résolu peut être rouvert.")
    changes = {"status": back_to_recipient(ticket)}
    return apply_change(ctx, ticket, changes, "reopened", emitter(ticket), now, text)


def close_ticket(
    ctx: TicketContext, caller: Identity, ticket_id: str, now: datetime
) -> TicketChange:
    return close(ctx, own_ticket(ctx, caller, ticket_id), now)


def close(ctx: TicketContext, ticket: TicketRecord, now: datetime) -> TicketChange:
    """The emitter closes their ticket, whatever its state but closed."""
    if ticket.status == "closed":
        raise ConflictError("Ce ticket est déjà clos.")
    return apply_change(ctx, ticket, {"status": "closed"}, "closed", emitter(ticket), now)
