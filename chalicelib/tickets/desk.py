"""Ticket lifecycle, recipient side: the desk of tool-support and business agents.

Who sees what: `support_agents` see every support ticket; `business_agents`
see the business tickets addressed to one of their organisations (directory
memberships, read only when a business ticket is at stake). Anyone else gets a
404, as for another user's ticket.

A desk is one Query on gsi2 (see chalicelib/tickets/keys.py). A business
agent with several organisations names the one whose desk they open
(`organisation_id`); with one, it is implied.

Rules: an agent assigns a ticket to themselves (needed before replying; a
colleague may take over one in progress); the assignee replies with
`waiting_for_user` (information asked) or `resolved`; a business agent
transfers a ticket that is not theirs to answer to the tool support, which
changes its recipient and dispatches it again (dispatch_seq + 1). The e-mails
about these events are sent by the notifications consumer (chalicelib/routing/
notify.py), from the events the tickets table's stream carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from chalicelib.auth import BUSINESS_AGENTS, SUPPORT_AGENTS, Identity
from chalicelib.routing.recipients import support_recipient
from chalicelib.shared.errors import ConflictError, ForbiddenError, InvalidFieldsError
from chalicelib.shared.pagination import Page
from chalicelib.tickets.access import addressed_to
from chalicelib.tickets.changes import apply_change, not_found
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.followup import ticket_view
from chalicelib.tickets.keys import desk_partition
from chalicelib.tickets.records import Actor, RecipientType, TicketRecord, TicketStatus
from chalicelib.tickets.views import TicketChange, TicketSummary, TicketView, summary

REPLYABLE: frozenset[TicketStatus] = frozenset({"in_progress"})
ASSIGNABLE: frozenset[TicketStatus] = frozenset({"submitted", "in_progress"})
TRANSFERABLE: frozenset[TicketStatus] = frozenset({"submitted", "in_progress", "waiting_for_user"})


@dataclass(frozen=True)
class DeskFilter:
    """Which desk to open, and which of its tickets."""

    status: TicketStatus | None = None
    queue: RecipientType | None = None
    organisation_id: str | None = None


@dataclass
class AgentScope:
    """What an agent may see; business memberships are read on first need."""

    caller: Identity
    ctx: TicketContext
    _organisations: set[str] | None = field(default=None, init=False)
    _name: str | None = field(default=None, init=False)

    @property
    def support(self) -> bool:
        return self.caller.has_role(SUPPORT_AGENTS)

    @property
    def business(self) -> bool:
        return self.caller.has_role(BUSINESS_AGENTS)

    def organisations(self) -> set[str]:
        if self._organisations is None:
            user = self.ctx.directory.user(self.caller.user_id)
            self._organisations = {o.id for o in user.organisations} if user else set()
            self._name = user.name if user else None
        return self._organisations

    def can_see(self, ticket: TicketRecord) -> bool:
        return addressed_to(self.caller, ticket, self.organisations)

    def actor(self) -> Actor:
        name = self._name or self.caller.name or self.caller.user_id
        return Actor(user_id=self.caller.user_id, name=name, role="agent")


def visible_ticket(scope: AgentScope, ticket_id: str) -> TicketRecord:
    ticket = scope.ctx.store.get(ticket_id)
    if ticket is None or not scope.can_see(ticket):
        raise not_found()
    return ticket


def desk_partition_for(scope: AgentScope, query: DeskFilter) -> str:
    queue = query.queue or ("support" if scope.support else "business")
    if queue == "support":
        if not scope.support:
            raise ForbiddenError("Ce bureau est réservé au support outil.")
        return desk_partition("support", None)
    if not scope.business:
        raise ForbiddenError("Ce bureau est réservé aux agents des entités publiques.")
    organisations = scope.organisations()
    if query.organisation_id is not None:
        if query.organisation_id not in organisations:
            raise ForbiddenError("Vous n'êtes pas agent de cette entité publique.")
        return desk_partition("business", query.organisation_id)
    if len(organisations) != 1:
        raise InvalidFieldsError.single(
            "organisation_id",
            "Indiquez l'entité publique dont vous ouvrez le bureau."
            if organisations
            else "Vous n'êtes rattaché à aucune entité publique.",
        )
    return desk_partition("business", next(iter(organisations)))


def list_desk(
    ctx: TicketContext, caller: Identity, query: DeskFilter, limit: int, cursor: str | None
) -> Page[TicketSummary]:
    """An agent's desk: one Query (plus the memberships Query for business agents)."""
    partition = desk_partition_for(AgentScope(caller, ctx), query)
    page = ctx.store.list_desk(partition, query.status, limit, cursor)
    return Page[TicketSummary](items=[summary(t) for t in page.items], next_cursor=page.next_cursor)


def get_desk_ticket(
    ctx: TicketContext, caller: Identity, ticket_id: str, now: datetime
) -> TicketView:
    """A ticket of the agent's desk with its history and attachments (download URLs)."""
    scope = AgentScope(caller, ctx)
    found = ctx.store.get_with_history(ticket_id)
    if found is None or not scope.can_see(found[0]):
        raise not_found()
    return ticket_view(ctx, *found, now)


def assign_ticket(
    ctx: TicketContext, caller: Identity, ticket_id: str, now: datetime
) -> TicketChange:
    """The agent takes the ticket (or takes it over from a colleague)."""
    scope = AgentScope(caller, ctx)
    ticket = visible_ticket(scope, ticket_id)
    if ticket.status not in ASSIGNABLE:
        raise ConflictError("Ce ticket ne peut pas être pris en charge dans son état actuel.")
    if ticket.assignee is not None and ticket.assignee.user_id == caller.user_id:
        raise ConflictError("Vous avez déjà pris ce ticket en charge.")
    agent = scope.actor()
    changes = {"status": "in_progress", "assignee": agent}
    return apply_change(ctx, ticket, changes, "assigned", agent, now)


def reply_ticket(
    ctx: TicketContext,
    caller: Identity,
    ticket_id: str,
    text: str,
    status: Literal["waiting_for_user", "resolved"],
    now: datetime,
) -> TicketChange:
    """The assignee asks for information or answers with a solution; the emitter is e-mailed."""
    scope = AgentScope(caller, ctx)
    ticket = visible_ticket(scope, ticket_id)
    if ticket.status not in REPLYABLE:
        raise ConflictError("Prenez d'abord ce ticket en charge pour y répondre.")
    if ticket.assignee is None or ticket.assignee.user_id != caller.user_id:
        raise ConflictError("Ce ticket est pris en charge par un autre agent.")
    return apply_change(ctx, ticket, {"status": status}, "replied", scope.actor(), now, text)


def transfer_ticket(
    ctx: TicketContext, caller: Identity, ticket_id: str, text: str | None, now: datetime
) -> TicketChange:
    """Business service -> tool support: new recipient, dispatched again to the support queue."""
    scope = AgentScope(caller, ctx)
    ticket = visible_ticket(scope, ticket_id)
    if ticket.recipient.type != "business":
        raise ConflictError("Ce ticket est déjà adressé au support outil.")
    if ticket.status not in TRANSFERABLE:
        raise ConflictError("Un ticket résolu ou clos ne peut pas être transféré.")
    changes = {
        "recipient": support_recipient(ctx.settings),
        "status": "submitted",
        "assignee": None,
        "dispatch_seq": ticket.dispatch_seq + 1,
    }
    return apply_change(ctx, ticket, changes, "transferred", scope.actor(), now, text)
