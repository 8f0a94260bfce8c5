"""Demo tickets for the local stack (optional; the directory seed stays in infra/demo.py).

Two tickets of alice, already under way, so the desk and the follow-up pages
have something to show:
- an M21 ticket contesting the rejection of FA-2026-0002, which marc has taken
  and on which he asked for information (waiting_for_user);
- an S90 question to the tool support, which sophie answered (resolved).
Written through the ticket store (one transaction each), so the stream
dispatches them like any other ticket.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from chalicelib.endpoints import wiring
from chalicelib.tickets.keys import event_item
from chalicelib.tickets.records import (
    Actor,
    EmitterOrganisation,
    Recipient,
    TicketEvent,
    TicketRecord,
    TicketStatus,
)
from chalicelib.tickets.store import DynamoTicketStore
from chalicelib.tickets.submission import next_reference
from infra.demo import BOULANGERIE, MAIRIE

ALICE = Actor(user_id="alice", name="Alice Martin", role="emitter")
MARC = Actor(user_id="marc", name="Marc Petit", role="agent")
SOPHIE = Actor(user_id="sophie", name="Sophie Bernard", role="agent")
STEP = timedelta(hours=3)


def _event(
    ticket_id: str,
    kind: str,
    by: Actor,
    status: TicketStatus,
    at: datetime,
    text: str | None = None,
) -> TicketEvent:
    return TicketEvent.model_validate(
        {
            "event_id": uuid.uuid4().hex[:12],
            "ticket_id": ticket_id,
            "kind": kind,
            "at": at,
            "by": by,
            "status": status,
            "text": text,
        }
    )


def _write(store: DynamoTicketStore, ticket: TicketRecord, events: list[TicketEvent]) -> None:
    """The ticket and its whole history in one transaction, as the service writes them."""
    tx = wiring.transaction()
    store.create_in(tx, ticket, events[0])
    for index, event in enumerate(events[1:]):
        tx.put(f"event:{index}", store.table_name, event_item(event))
    tx.commit()


def seed_tickets(store: DynamoTicketStore, now: datetime) -> list[str]:
    """Write the demo tickets (created a few days before `now`); returns their references."""
    start = now - timedelta(days=3)
    organisation = EmitterOrganisation(id=BOULANGERIE.id, designation=BOULANGERIE.designation)

    contest = TicketRecord(
        ticket_id=uuid.uuid4().hex,
        reference=next_reference(store, start),
        status="waiting_for_user",
        emitter_user_id="alice",
        emitter_name=ALICE.name,
        organisation=organisation,
        category="FACTURE",
        subcategory="M21",
        object_number="FA-2026-0002",
        title="Contestation du rejet de la facture FA-2026-0002",
        description="Le numéro d'engagement figurait bien sur le bon de commande joint.",
        contact_email="alice.martin@boulangerie-martin.example.fr",
        recipient=Recipient(
            type="business", organisation_id=MAIRIE.id, designation=MAIRIE.designation
        ),
        assignee=MARC,
        created_at=start,
        updated_at=start + 2 * STEP,
    )
    _write(
        store,
        contest,
        [
            _event(contest.ticket_id, "submitted", ALICE, "submitted", start),
            _event(contest.ticket_id, "assigned", MARC, "in_progress", start + STEP),
            _event(
                contest.ticket_id,
                "replied",
                MARC,
                "waiting_for_user",
                start + 2 * STEP,
                "Pouvez-vous nous indiquer le numéro d'engagement juridique attendu ?",
            ),
        ],
    )

    question = TicketRecord(
        ticket_id=uuid.uuid4().hex,
        reference=next_reference(store, start + STEP),
        status="resolved",
        emitter_user_id="alice",
        emitter_name=ALICE.name,
        organisation=organisation,
        category="AUTRE",
        subcategory="S90",
        title="Où télécharger l'accusé de dépôt ?",
        description="Je ne trouve pas l'accusé de dépôt de mes factures sur le portail.",
        contact_email="alice.martin@boulangerie-martin.example.fr",
        recipient=Recipient(type="support", designation="Support Chorus Pro"),
        assignee=SOPHIE,
        created_at=start + STEP,
        updated_at=start + 3 * STEP,
    )
    _write(
        store,
        question,
        [
            _event(question.ticket_id, "submitted", ALICE, "submitted", start + STEP),
            _event(question.ticket_id, "assigned", SOPHIE, "in_progress", start + 2 * STEP),
            _event(
                question.ticket_id,
                "replied",
                SOPHIE,
                "resolved",
                start + 3 * STEP,
                "Ouvrez la facture puis l'onglet « Historique » : l'accusé s'y télécharge.",
            ),
        ],
    )
    return [contest.reference, question.reference]
