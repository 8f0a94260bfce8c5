"""Who may see a ticket: the one rule, for the emitter's routes, the desk and downloads.

A ticket is seen by its emitter and by the agents it is addressed to:
`support_agents` for a support ticket, `business_agents` of the recipient
organisation for a business ticket. Anyone else gets a 404, never a 403:
existence is not disclosed. The agent's organisations are asked for only when a
business ticket is at stake (they cost a directory Query).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from chalicelib.auth import BUSINESS_AGENTS, SUPPORT_AGENTS, Identity
from chalicelib.tickets.records import TicketRecord

Organisations = Callable[[], Collection[str]]


def addressed_to(agent: Identity, ticket: TicketRecord, organisations: Organisations) -> bool:
    """Whether the ticket is on this agent's desk (support, or one of their organisations)."""
    if ticket.recipient.type == "support":
        return agent.has_role(SUPPORT_AGENTS)
    return agent.has_role(BUSINESS_AGENTS) and (ticket.recipient.organisation_id in organisations())


def may_see(viewer: Identity, ticket: TicketRecord, organisations: Organisations) -> bool:
    """The emitter, and the agents the ticket is addressed to; nobody else."""
    if ticket.emitter_user_id is not None and viewer.user_id == ticket.emitter_user_id:
        return True
    return addressed_to(viewer, ticket, organisations)
