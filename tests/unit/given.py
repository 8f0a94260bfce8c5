"""The demo users as the services see them, and the steps that put a ticket in a state.

Steps go through the services themselves (submit, assign, reply), so a test
starts from a state the product can reach.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.attachments.models import Attachment
from chalicelib.auth import BUSINESS_AGENTS, SUPPORT_AGENTS, Identity
from chalicelib.tickets import desk
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.submission import NewTicket, submit_ticket
from chalicelib.tickets.views import SubmittedTicket
from tests.fakes.context import Fakes
from tests.records import attachment

ALICE = Identity(user_id="alice", email="alice@example.fr", name="Alice")
CLAIRE = Identity(user_id="claire", name="Claire Dupont")
BRUNO = Identity(user_id="bruno", name="Bruno Leroy")
SOPHIE = Identity(user_id="sophie", name="Sophie", roles=frozenset({SUPPORT_AGENTS}))
PAUL = Identity(user_id="paul", name="Paul Support", roles=frozenset({SUPPORT_AGENTS}))
MARC = Identity(user_id="marc", name="Marc", roles=frozenset({BUSINESS_AGENTS}))

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
MAIRIE_ID = "org-mairie-valbourg"
HOPITAL_ID = "org-ch-valbourg"

SUPPORT_REQUEST: dict[str, Any] = {
    "organisation_id": "org-boulangerie-martin",
    "category": "CONNEXION",
    "subcategory": "S02",
    "title": "Connexion impossible",
    "description": "Je ne parviens plus à me connecter depuis hier soir.",
}
INVOICE_REQUEST: dict[str, Any] = {
    "organisation_id": "org-boulangerie-martin",
    "category": "FACTURE",
    "subcategory": "M20",
    "object_number": "FA-2026-0003",
    "title": "Facture suspendue",
    "description": "Ma facture FA-2026-0003 est suspendue depuis un mois : que manque-t-il ?",
}


def request(base: dict[str, Any] = SUPPORT_REQUEST, **changes: Any) -> NewTicket:
    return NewTicket.model_validate({**base, **changes})


def submitted(
    ctx: TicketContext,
    base: dict[str, Any] = SUPPORT_REQUEST,
    caller: Identity = ALICE,
    now: datetime = NOW,
    **changes: Any,
) -> SubmittedTicket:
    """A ticket alice (or `caller`) submitted."""
    return submit_ticket(ctx, caller, request(base, **changes), None, now)


def in_progress(ctx: TicketContext, agent: Identity = SOPHIE, **changes: Any) -> str:
    """A support ticket the agent took; returns its id."""
    ticket_id = submitted(ctx, **changes).ticket_id
    desk.assign_ticket(ctx, agent, ticket_id, NOW)
    return ticket_id


def answered(ctx: TicketContext, status: Any, agent: Identity = SOPHIE) -> str:
    """A support ticket the agent answered (`waiting_for_user` or `resolved`)."""
    ticket_id = in_progress(ctx, agent)
    desk.reply_ticket(ctx, agent, ticket_id, "Voici la réponse.", status, NOW)
    return ticket_id


def ready_upload(
    fakes: Fakes, attachment_id: str, owner: str = "alice", size: int = 800
) -> Attachment:
    """An attachment checked and ready, as `check_upload` leaves it."""
    fakes.attachments.add(
        attachment(attachment_id, owner=owner, key=f"uploads/{owner}/{attachment_id}/file.png")
    )
    fakes.attachments.mark_ready(attachment_id, size, int(NOW.timestamp()) + 86_400)
    found = fakes.attachments.get(attachment_id)
    assert found is not None
    return found
