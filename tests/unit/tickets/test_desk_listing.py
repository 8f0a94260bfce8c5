"""The desk's listing service on in-memory fakes: paths, filters, and pages thinned by them."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.livechat.calendar import OpeningRules, WorkingCalendar
from chalicelib.tickets import desk
from chalicelib.tickets.ageing import Ageing, Targets
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.desk_listing import DeskQuery, find_desk_tickets
from tests.fakes.context import Fakes
from tests.fakes.desk import FakeDeskIndex
from tests.unit.given import NOW, SOPHIE, submitted

AGEING = Ageing(WorkingCalendar(OpeningRules()), 10, Targets())


def listing(fakes: Fakes, ctx: TicketContext, query: DeskQuery, limit: int = 10) -> list[str]:
    page = find_desk_tickets(
        ctx, FakeDeskIndex(fakes.store), AGEING, SOPHIE, query, limit, None, NOW
    )
    return [t.title for t in page.items]


def test_a_filtered_page_is_completed_by_one_more_read(fakes: Fakes, ctx: TicketContext) -> None:
    # Ten tickets, every other one taken by sophie: a page of 2 "mine" needs several rows.
    for number in range(10):
        ticket = submitted(
            ctx, title=f"Connexion {number:02d}", now=NOW + timedelta(minutes=number)
        )
        if number % 2:
            desk.assign_ticket(ctx, SOPHIE, ticket.ticket_id, NOW)

    mine = find_desk_tickets(
        ctx,
        FakeDeskIndex(fakes.store),
        AGEING,
        SOPHIE,
        DeskQuery(assignee="me", sort="oldest"),
        2,
        None,
        NOW,
    )

    assert [t.title for t in mine.items] == ["Connexion 01", "Connexion 03"]
    assert mine.next_cursor is not None


def test_a_search_checks_every_word(fakes: Fakes, ctx: TicketContext) -> None:
    submitted(ctx, title="Connexion impossible au portail")
    submitted(ctx, title="Connexion lente")

    assert listing(fakes, ctx, DeskQuery(q="connexion portail")) == [
        "Connexion impossible au portail"
    ]
    assert sorted(listing(fakes, ctx, DeskQuery(q="CONNEXIONS"))) == [
        "Connexion impossible au portail",
        "Connexion lente",
    ]


def test_the_longest_wait_lists_only_tickets_waiting_for_the_desk(
    fakes: Fakes, ctx: TicketContext
) -> None:
    waiting = submitted(ctx, title="En attente")
    asked = submitted(ctx, title="Question posée")
    desk.assign_ticket(ctx, SOPHIE, asked.ticket_id, NOW)
    desk.reply_ticket(ctx, SOPHIE, asked.ticket_id, "Précisez.", "waiting_for_user", NOW)

    assert listing(fakes, ctx, DeskQuery(sort="ageing")) == [waiting.reference and "En attente"]
    assert listing(fakes, ctx, DeskQuery(sort="ageing", status="waiting_for_user")) == []
    assert listing(fakes, ctx, DeskQuery(status="waiting_for_user", sort="newest")) == [
        "Question posée"
    ]
