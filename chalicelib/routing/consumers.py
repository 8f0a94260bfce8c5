"""Queue consumers: deliver a dispatched ticket to its recipient, exactly once in effect.

One consumer per recipient queue (Chalice `on_sqs_message`; each message of a
batch is handled on its own and reported when it fails, so a message that keeps
failing goes to the dead-letter queue alone, after 5 receives, without dragging
the others with it).

Delivering is two effects, each recorded on the ticket so that a redelivered
message has the effect of one: the `delivered` history event (conditional on
`delivered_seq`, in the same transaction as the event) and the e-mail to the
recipient team (then `notified_seq`). A crash between the e-mail and its mark
can send the e-mail twice; nothing else repeats. A message for an older
dispatch (the ticket was transferred since) is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from chalicelib.directory import Organisation
from chalicelib.routing.dispatch import TicketDispatch
from chalicelib.routing.mail import Mailer
from chalicelib.shared.config import Settings
from chalicelib.shared.logs import get_logger
from chalicelib.tickets.records import (
    SYSTEM,
    Recipient,
    RecipientType,
    TicketEvent,
    TicketRecord,
)
from chalicelib.tickets.store import TicketStore

Outcome = Literal["delivered", "duplicate", "stale"]


class Organisations(Protocol):
    """Where a public body's service e-mail is found."""

    def organisation(self, organisation_id: str) -> Organisation | None: ...


@dataclass(frozen=True)
class Delivery:
    """What delivering a ticket to its recipient needs."""

    store: TicketStore
    organisations: Organisations
    mailer: Mailer
    settings: Settings


class UndeliverableError(Exception):
    """The message cannot be delivered now; raised so the queue retries, then dead-letters it."""


def recipient_team_email(
    recipient: Recipient, organisations: Organisations, settings: Settings
) -> str:
    """The address of the team that handles tickets for `recipient`."""
    if recipient.type == "support":
        return settings.support_team_email
    organisation = organisations.organisation(recipient.organisation_id or "")
    if organisation is None or not organisation.service_email:
        raise UndeliverableError(f"no service e-mail for {recipient.organisation_id}")
    return organisation.service_email


def deliver_ticket(body: str, queue: RecipientType, delivery: Delivery, now: datetime) -> Outcome:
    """Deliver one queue message (raises on anything that must be retried)."""
    store, settings = delivery.store, delivery.settings
    message = TicketDispatch.model_validate_json(body)
    if message.recipient.type != queue:
        raise UndeliverableError(f"{message.recipient.type} ticket on the {queue} queue")
    ticket = store.get(message.ticket_id)
    if ticket is None:
        raise UndeliverableError(f"unknown ticket {message.ticket_id}")
    seq = message.dispatch_seq
    if ticket.dispatch_seq != seq:
        get_logger().info("stale dispatch dropped", extra={"ticket_id": ticket.ticket_id})
        return "stale"
    if ticket.notified_seq >= seq:
        return "duplicate"
    team_email = recipient_team_email(ticket.recipient, delivery.organisations, settings)
    if ticket.delivered_seq < seq:
        event = TicketEvent(
            event_id=f"delivered-{seq}",
            ticket_id=ticket.ticket_id,
            kind="delivered",
            at=now,
            by=SYSTEM,
            status=ticket.status,
            recipient=ticket.recipient,
        )
        if not store.mark_delivered(ticket.ticket_id, seq, event):
            # Someone recorded it meanwhile, or the ticket was transferred: look again.
            current = store.get(ticket.ticket_id)
            if current is None or current.dispatch_seq != seq:
                return "stale"
    delivery.mailer.send(
        team_email,
        f"[{ticket.reference}] Nouveau ticket : {ticket.title}",
        team_mail_text(ticket, settings),
    )
    store.mark_notified(ticket.ticket_id, seq)
    get_logger().info("ticket delivered", extra={"ticket_id": ticket.ticket_id, "queue": queue})
    return "delivered"


def team_mail_text(ticket: TicketRecord, settings: Settings) -> str:
    emitter = ticket.organisation.designation if ticket.organisation else ticket.emitter_name
    lines = [
        "Bonjour,",
        "",
        f"Un nouveau ticket vous est adressé ({ticket.recipient.designation}).",
        "",
        f"Référence : {ticket.reference}",
        f"Émetteur : {emitter}",
        f"Catégorie : {ticket.category} / {ticket.subcategory}",
    ]
    if ticket.object_number:
        lines.append(f"Objet : {ticket.object_number}")
    lines += ["", ticket.title, "", f"Traitez-le depuis votre bureau : {settings.portal_origin}"]
    return "\n".join(lines) + "\n"
