"""The desk's figures for the reports: tickets received per category over a period, and
those waiting for their recipient now, overdue or not.

Read from the desk's indexes, never a Scan: the period's tickets by creation date
(gsi4, one Query per 1,000 tickets of the period) and the tickets waiting now
(gsi5, one Query per 1,000 waiting): a report costs what the desk's activity
costs, not what the table holds. A business agent's figures are their
organisation's desk only; a support agent's, the support's.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from chalicelib.auth import Identity
from chalicelib.shared.clock import PARIS
from chalicelib.shared.models import Model
from chalicelib.tickets.ageing import Ageing, age_of
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.desk import AgentScope, DeskFilter, desk_partition_for
from chalicelib.tickets.desk_index import DeskIndex
from chalicelib.tickets.records import TicketRecord

PAGE = 1000


class CategoryFigures(Model):
    category: str
    label: str
    received: int
    waiting: int
    overdue: int


class TicketFigures(Model):
    desk: str
    start: date
    end: date
    categories: list[CategoryFigures]


def waiting_now(index: DeskIndex, desk: str) -> list[TicketRecord]:
    tickets: list[TicketRecord] = []
    cursor: str | None = None
    while True:
        page = index.by_wait(desk, None, PAGE, cursor)
        tickets.extend(row.ticket for row in page.items)
        if page.next_cursor is None:
            return tickets
        cursor = page.next_cursor


def ticket_figures(
    ctx: TicketContext,
    index: DeskIndex,
    ageing: Ageing,
    caller: Identity,
    which: DeskFilter,
    start: date,
    end: date,
    now: datetime,
) -> TicketFigures:
    """Per category: received in [start, end] (Paris days), waiting and overdue now."""
    desk = desk_partition_for(AgentScope(caller, ctx), which)
    first = datetime.combine(start, time(), tzinfo=PARIS)
    after_last = datetime.combine(end + timedelta(days=1), time(), tzinfo=PARIS)
    received: dict[str, int] = {}
    for ticket in index.created_between(desk, first, after_last):
        received[ticket.category] = received.get(ticket.category, 0) + 1
    waiting: dict[str, int] = {}
    overdue: dict[str, int] = {}
    for ticket in waiting_now(index, desk):
        waiting[ticket.category] = waiting.get(ticket.category, 0) + 1
        if age_of(ageing, ticket, now).overdue:
            overdue[ticket.category] = overdue.get(ticket.category, 0) + 1
    codes = sorted(set(received) | set(waiting))
    labels = {category.code: category.label for category in ctx.catalogue.categories}
    return TicketFigures(
        desk=desk,
        start=start,
        end=end,
        categories=[
            CategoryFigures(
                category=code,
                label=labels.get(code, code),
                received=received.get(code, 0),
                waiting=waiting.get(code, 0),
                overdue=overdue.get(code, 0),
            )
            for code in codes
        ],
    )
