"""Routing on fakes: the stream dispatcher fills the queues, the consumers deliver once and mail."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.routing.consumers import UndeliverableError, deliver_ticket
from chalicelib.routing.dispatch import StreamRecord, TicketDispatch, dispatch_changes
from chalicelib.shared import dynamo
from chalicelib.tickets.desk import reply_ticket, transfer_ticket
from chalicelib.tickets.keys import event_item, ticket_item
from chalicelib.tickets.records import TicketRecord
from tests.fakes.context import Fakes
from tests.unit.given import INVOICE_REQUEST, MARC, NOW, SOPHIE, in_progress, submitted

LATER = NOW + timedelta(minutes=1)


def submitted_to_the_mairie(fakes: Fakes) -> TicketRecord:
    ticket_id = submitted(fakes.ticket_context(), INVOICE_REQUEST).ticket_id
    found = fakes.store.get(ticket_id)
    assert found is not None
    return found


def message(ticket: TicketRecord) -> str:
    return TicketDispatch(
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        recipient=ticket.recipient,
        dispatch_seq=ticket.dispatch_seq,
    ).model_dump_json()


def test_a_new_ticket_is_dispatched_to_its_recipients_queue_once(fakes: Fakes) -> None:
    ticket = submitted_to_the_mairie(fakes)
    image = dynamo.serialize(ticket_item(ticket))
    records = [
        StreamRecord(event_name="INSERT", new_image=image),
        # A later write that did not grow dispatch_seq (a comment) dispatches nothing.
        StreamRecord(event_name="MODIFY", new_image=image, old_image=image),
    ]

    sent = dispatch_changes(records, fakes.queues, fakes.mailer, fakes.settings)

    assert sent == 1
    assert [(m.ticket_id, m.dispatch_seq) for m in fakes.queues.on("business")] == [
        (ticket.ticket_id, 1)
    ]
    assert fakes.queues.on("support") == []


def test_a_reply_event_mails_the_emitter(fakes: Fakes) -> None:
    ctx = fakes.ticket_context()
    ticket_id = in_progress(ctx, SOPHIE)
    reply_ticket(ctx, SOPHIE, ticket_id, "Réinitialisez votre mot de passe.", "resolved", LATER)
    found = fakes.store.get_with_history(ticket_id)
    assert found is not None
    reply = found[1][-1]

    dispatch_changes(
        [StreamRecord(event_name="INSERT", new_image=dynamo.serialize(event_item(reply)))],
        fakes.queues,
        fakes.mailer,
        fakes.settings,
    )

    [mail] = fakes.mailer.sent
    assert (mail.to, mail.subject) == (
        "alice.martin@boulangerie-martin.example.fr",
        "[T-2026-000001] Réponse à votre ticket",
    )
    assert "Réinitialisez votre mot de passe." in mail.text


def test_a_delivery_mails_the_business_service_and_a_redelivery_does_nothing(
    fakes: Fakes,
) -> None:
    ticket = submitted_to_the_mairie(fakes)

    first = deliver_ticket(message(ticket), "business", fakes.delivery(), LATER)
    again = deliver_ticket(message(ticket), "business", fakes.delivery(), LATER)

    assert (first, again) == ("delivered", "duplicate")
    assert [(m.to, m.subject) for m in fakes.mailer.sent] == [
        (
            "factures@mairie-valbourg.example.fr",
            "[T-2026-000001] Nouveau ticket : Facture suspendue",
        )
    ]
    found = fakes.store.get_with_history(ticket.ticket_id)
    assert found is not None
    assert [e.kind for e in found[1]] == ["submitted", "delivered"]


def test_a_transferred_tickets_old_message_is_stale_and_the_new_one_goes_to_the_support(
    fakes: Fakes,
) -> None:
    ticket = submitted_to_the_mairie(fakes)
    transfer_ticket(fakes.ticket_context(), MARC, ticket.ticket_id, "Pour le support.", LATER)
    transferred = fakes.store.get(ticket.ticket_id)
    assert transferred is not None

    stale = deliver_ticket(message(ticket), "business", fakes.delivery(), LATER)
    fresh = deliver_ticket(message(transferred), "support", fakes.delivery(), LATER)

    assert (stale, fresh) == ("stale", "delivered")
    assert [m.to for m in fakes.mailer.sent] == ["equipe-support@guichet.example.fr"]


def test_a_message_on_the_wrong_queue_is_left_to_dead_letter(fakes: Fakes) -> None:
    ticket = submitted_to_the_mairie(fakes)

    with pytest.raises(UndeliverableError):
        deliver_ticket(message(ticket), "support", fakes.delivery(), LATER)

    assert fakes.mailer.sent == []
