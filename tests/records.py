"""Builders of stored records for tests: a ticket, a history event, an attachment.

Every value is explicit and written down here, so a test changes only what its
behaviour is about (`ticket("t2", created_at=at(9), status="resolved")`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.attachments.models import Attachment
from chalicelib.tickets.records import Actor, Recipient, TicketEvent, TicketRecord

MAIRIE_ID = "org-mairie-valbourg"
SUPPORT = Recipient(type="support", designation="Support Chorus Pro")
MAIRIE = Recipient(type="business", organisation_id=MAIRIE_ID, designation="Mairie de Valbourg")
ALICE = Actor(user_id="alice", name="Alice Martin", role="emitter")


def at(hour: int, minute: int = 0, second: int = 0, day: int = 4) -> datetime:
    """An instant of December 2026 (UTC)."""
    return datetime(2026, 12, day, hour, minute, second, tzinfo=UTC)


def ticket(ticket_id: str, **fields: Any) -> TicketRecord:
    """A submitted support ticket of alice's, created at 09:00, unless `fields` say otherwise."""
    created = fields.pop("created_at", at(9))
    data: dict[str, Any] = {
        "ticket_id": ticket_id,
        "reference": f"T-2026-{ticket_id}",
        "status": "submitted",
        "emitter_user_id": "alice",
        "emitter_name": "Alice Martin",
        "category": "CONNEXION",
        "subcategory": "S02",
        "title": f"Ticket {ticket_id}",
        "description": "Je ne parviens plus à me connecter.",
        "contact_email": "alice.martin@boulangerie-martin.example.fr",
        "recipient": SUPPORT,
        "created_at": created,
        "updated_at": fields.pop("updated_at", created),
    }
    data.update(fields)
    return TicketRecord.model_validate(data)


def event(ticket_id: str, event_id: str, when: datetime, **fields: Any) -> TicketEvent:
    """A history event of the ticket (alice submitting it, unless `fields` say otherwise)."""
    data: dict[str, Any] = {
        "event_id": event_id,
        "ticket_id": ticket_id,
        "kind": "submitted",
        "at": when,
        "by": ALICE,
        "status": "submitted",
    }
    data.update(fields)
    return TicketEvent.model_validate(data)


def attachment(attachment_id: str, **fields: Any) -> Attachment:
    """A pending PNG of alice's, declared 1000 bytes, uploaded at 09:00, live for an hour."""
    created = fields.pop("created_at", at(9))
    data: dict[str, Any] = {
        "attachment_id": attachment_id,
        "owner": "alice",
        "key": f"uploads/alice/{attachment_id}/file.png",
        "filename": "capture.png",
        "content_type": "image/png",
        "declared_size": 1000,
        "created_at": created,
        "expires_at": int(created.timestamp()) + 3600,
    }
    data.update(fields)
    return Attachment.model_validate(data)
