"""The notifications consumer on fakes: whom each event concerns, one e-mail each whatever
the redeliveries, a failed send retried, links where each person acts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib.routing.dispatch import StreamRecord, TicketNotice, dispatch_changes
from chalicelib.routing.notify import NoticeBusyError, send_notices
from chalicelib.shared import dynamo
from chalicelib.tickets import desk, followup
from chalicelib.tickets.keys import event_item
from tests.fakes.context import Fakes
from tests.unit.given import ALICE, INVOICE_REQUEST, MARC, NOW, SOPHIE, submitted

LATER = NOW + timedelta(hours=5)


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


ALICE_EMAIL = "alice.martin@boulangerie-martin.example.fr"
SOPHIE_EMAIL = "sophie.bernard@support.guichet.example.fr"
SUPPORT_TEAM = "equipe-support@guichet.example.fr"


def notices_of(fakes: Fakes, ticket_id: str) -> list[str]:
    """Every history event of the ticket through the stream dispatcher, as queue bodies."""
    found = fakes.store.get_with_history(ticket_id)
    assert found is not None
    records = [
        StreamRecord(event_name="INSERT", new_image=dynamo.serialize(event_item(event)))
        for event in found[1]
    ]
    fakes.queues.notices.clear()
    dispatch_changes(records, fakes.queues)
    return [notice.model_dump_json() for notice in fakes.queues.notices]


def deliver_all(fakes: Fakes, ticket_id: str) -> None:
    for body in notices_of(fakes, ticket_id):
        send_notices(body, fakes.notifying(), LATER)


def sent(fakes: Fakes) -> list[tuple[str, str]]:
    return [(mail.to, mail.subject.split("] ", 1)[1]) for mail in fakes.mailer.sent]


def test_a_tickets_life_mails_each_person_it_concerns(fakes: Fakes) -> None:
    ctx = fakes.ticket_context()
    ticket_id = submitted(ctx).ticket_id
    desk.assign_ticket(ctx, SOPHIE, ticket_id, at(1))
    desk.reply_ticket(ctx, SOPHIE, ticket_id, "Votre SIRET ?", "waiting_for_user", at(2))
    followup.comment_ticket(ctx, ALICE, ticket_id, "41287395000015", [], at(3))
    desk.reply_ticket(ctx, SOPHIE, ticket_id, "C'est réglé.", "resolved", at(4))
    followup.reopen_ticket(ctx, ALICE, ticket_id, "Pas tout à fait.", at(5))
    followup.close_ticket(ctx, ALICE, ticket_id, at(6))

    deliver_all(fakes, ticket_id)

    assert sent(fakes) == [
        (ALICE_EMAIL, "Votre ticket a bien été reçu"),
        (ALICE_EMAIL, "Des informations vous sont demandées"),
        (SOPHIE_EMAIL, "Nouvelle réponse du demandeur : Connexion impossible"),
        (ALICE_EMAIL, "Une réponse a été apportée à votre demande"),
        (SOPHIE_EMAIL, "Ticket rouvert : Connexion impossible"),
        (ALICE_EMAIL, "Votre demande est clôturée"),
        (SOPHIE_EMAIL, "Ticket clôturé par le demandeur : Connexion impossible"),
    ]
    assert all(
        f"/support/mes-tickets/{ticket_id}" in mail.text
        for mail in fakes.mailer.to(ALICE_EMAIL)[:-1]
    )
    assert all(f"/agent/tickets/{ticket_id}" in m.text for m in fakes.mailer.to(SOPHIE_EMAIL))


def test_a_comment_nobody_took_yet_goes_to_the_recipients_team(fakes: Fakes) -> None:
    ctx = fakes.ticket_context()
    ticket_id = submitted(ctx, INVOICE_REQUEST).ticket_id
    followup.comment_ticket(ctx, ALICE, ticket_id, "Un détail oublié.", [], at(1))

    deliver_all(fakes, ticket_id)

    assert [to for to, _ in sent(fakes)] == [ALICE_EMAIL, "factures@mairie-valbourg.example.fr"]


def test_a_transfer_tells_the_emitter(fakes: Fakes) -> None:
    ctx = fakes.ticket_context()
    ticket_id = submitted(ctx, INVOICE_REQUEST).ticket_id
    desk.transfer_ticket(ctx, MARC, ticket_id, "Question sur le portail.", at(1))

    deliver_all(fakes, ticket_id)

    assert sent(fakes)[-1] == (ALICE_EMAIL, "Votre demande a été transférée au support")
    assert "Question sur le portail." in fakes.mailer.sent[-1].text


def test_a_closing_after_the_resolution_does_not_bother_the_agent(fakes: Fakes) -> None:
    ctx = fakes.ticket_context()
    ticket_id = submitted(ctx).ticket_id
    desk.assign_ticket(ctx, SOPHIE, ticket_id, at(1))
    desk.reply_ticket(ctx, SOPHIE, ticket_id, "C'est réglé.", "resolved", at(2))
    followup.close_ticket(ctx, ALICE, ticket_id, at(3))

    deliver_all(fakes, ticket_id)

    assert SOPHIE_EMAIL not in [to for to, _ in sent(fakes)]


def test_a_redelivered_event_is_mailed_once(fakes: Fakes) -> None:
    ticket_id = submitted(fakes.ticket_context()).ticket_id
    [body] = notices_of(fakes, ticket_id)

    first = send_notices(body, fakes.notifying(), LATER)
    again = [send_notices(body, fakes.notifying(), LATER + timedelta(hours=h)) for h in (0, 1, 9)]

    assert first == ["emitter"]
    assert again == [[], [], []]
    assert len(fakes.mailer.sent) == 1


def test_a_failed_send_is_retried_and_then_sent_once(fakes: Fakes) -> None:
    ticket_id = submitted(fakes.ticket_context()).ticket_id
    [body] = notices_of(fakes, ticket_id)
    fakes.mailer.failing = True

    with pytest.raises(ConnectionError):
        send_notices(body, fakes.notifying(), LATER)
    fakes.mailer.failing = False
    retried = send_notices(body, fakes.notifying(), LATER)
    redelivered = send_notices(body, fakes.notifying(), LATER)

    assert (retried, redelivered) == (["emitter"], [])
    assert len(fakes.mailer.sent) == 1


def test_a_notice_another_delivery_is_sending_is_retried_later(fakes: Fakes) -> None:
    ticket_id = submitted(fakes.ticket_context()).ticket_id
    [body] = notices_of(fakes, ticket_id)
    notice = TicketNotice.model_validate_json(body)
    fakes.ledger.claim(f"{ticket_id}#{notice.event_id}#emitter", LATER)

    with pytest.raises(NoticeBusyError):
        send_notices(body, fakes.notifying(), LATER + timedelta(seconds=30))
    # The other delivery died without sending: after its lease, this one sends.
    assert send_notices(body, fakes.notifying(), LATER + timedelta(minutes=6)) == ["emitter"]
    assert len(fakes.mailer.sent) == 1
