"""The desk's listing: search, filters and orders, each served by one key or index.

`GET /desk/tickets?q=&status=&category=&assignee=&overdue=&sort=` reads one of:
- `q`: the search index (tickets/search.py): the postings of the longest term,
  then the tickets found (1 Query + 1 BatchGetItem);
- `sort=ageing` or `overdue=true`: gsi5, the tickets waiting for their recipient,
  longest wait first (overdue: only those waiting since before the loosest
  category threshold, then each checked against its own category's target);
- `sort=newest|oldest`: gsi4 (the whole desk by date) or, with a status, gsi2;
- no sort: gsi2 in workflow order, as the desk always listed.
Filters the key does not hold (category, assignee, a status beside the key,
another search word, overdue per category) are checked on the page read; a page
thinned by them is completed by at most one more Query, so a listing costs at most
2 Queries whatever the table's size (plus the memberships Query of a business
agent, and one BatchGetItem per search Query). A page may then hold fewer than
`limit` tickets while `next_cursor` says more may follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from chalicelib.auth import Identity
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.pagination import Page
from chalicelib.tickets.ageing import Ageing, TicketAge, age_of, awaiting_since, overdue_threshold
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.desk import AgentScope, DeskFilter, desk_partition_for
from chalicelib.tickets.desk_index import DeskIndex
from chalicelib.tickets.keys import RECIPIENT_COURT
from chalicelib.tickets.records import Actor, EmitterOrganisation, RecipientType, TicketRecord
from chalicelib.tickets.records import TicketStatus as Status
from chalicelib.tickets.search import query_terms
from chalicelib.tickets.views import TicketSummary, summary

DeskSort = Literal["ageing", "newest", "oldest"]
Assignee = Literal["me", "none"]
MAX_ROUNDS = 2
MAX_FETCH = 100
# A filtered page reads this many rows per wanted ticket (at most MAX_FETCH).
FETCH_FACTOR = 3

# A source of rows: (cursor, how many) -> ([(ticket or None, cursor after it)], next cursor).
Rows = list[tuple[TicketRecord | None, str]]
Source = Callable[[str | None, int], tuple[Rows, str | None]]


@dataclass(frozen=True)
class DeskQuery:
    """What an agent asks of their desk."""

    q: str | None = None
    status: Status | None = None
    category: str | None = None
    assignee: Assignee | None = None
    overdue: bool = False
    sort: DeskSort | None = None
    queue: RecipientType | None = None
    organisation_id: str | None = None


class DeskTicketSummary(TicketSummary):
    """A ticket as the desk lists it: who sent it, who holds it, how long it has waited."""

    emitter_name: str
    organisation: EmitterOrganisation | None
    contact_email: str
    assignee: Actor | None
    age: TicketAge


def desk_summary(ticket: TicketRecord, ageing: Ageing, now: datetime) -> DeskTicketSummary:
    return DeskTicketSummary(
        **summary(ticket).model_dump(),
        emitter_name=ticket.emitter_name,
        organisation=ticket.organisation,
        contact_email=ticket.contact_email,
        assignee=ticket.assignee,
        age=age_of(ageing, ticket, now),
    )


@dataclass
class Checks:
    """The filters a page is checked against once read."""

    query: DeskQuery
    caller: Identity
    ageing: Ageing
    now: datetime
    terms: list[str]
    status_in_key: bool
    _thresholds: dict[str, datetime] | None = None

    def threshold(self, category: str) -> datetime:
        if self._thresholds is None:
            self._thresholds = {}
        if category not in self._thresholds:
            self._thresholds[category] = overdue_threshold(self.ageing, category, self.now)
        return self._thresholds[category]

    @property
    def active(self) -> bool:
        q = self.query
        return bool(
            (q.status and not self.status_in_key)
            or q.category
            or q.assignee
            or q.overdue
            or len(self.terms) > 1
        )

    def keep(self, ticket: TicketRecord) -> bool:
        q = self.query
        if q.status and ticket.status != q.status:
            return False
        if q.category and ticket.category != q.category:
            return False
        holder = ticket.assignee.user_id if ticket.assignee else None
        if q.assignee == "me" and holder != self.caller.user_id:
            return False
        if q.assignee == "none" and holder is not None:
            return False
        if q.overdue:
            waiting = ticket.status in RECIPIENT_COURT
            return waiting and awaiting_since(ticket) < self.threshold(ticket.category)
        return True


def collect(
    source: Source, checks: Checks, limit: int, cursor: str | None
) -> tuple[list[TicketRecord], str | None]:
    """Up to `limit` tickets passing the checks, in at most MAX_ROUNDS reads."""
    kept: list[TicketRecord] = []
    fetch = min(MAX_FETCH, limit * FETCH_FACTOR) if checks.active else limit
    for _ in range(MAX_ROUNDS):
        rows, end = source(cursor, fetch)
        for position, (ticket, after) in enumerate(rows):
            if ticket is not None and checks.keep(ticket):
                kept.append(ticket)
            if len(kept) == limit:
                last = position == len(rows) - 1
                return kept, (end if last else after)
        cursor = end
        if end is None or not checks.active:
            break
    return kept, cursor


def search_source(index: DeskIndex, desk: str, terms: list[str], newest_first: bool) -> Source:
    lead = max(terms, key=len)

    def read(cursor: str | None, fetch: int) -> tuple[Rows, str | None]:
        page = index.postings(desk, lead, newest_first, fetch, cursor)
        hits = [p for p in page.items if all(term in p.terms for term in terms)]
        found = index.tickets([hit.ticket_id for hit in hits]) if hits else {}
        # A ticket missing the other terms stays out (found has only the hits).
        rows: Rows = [(found.get(p.ticket_id), p.cursor) for p in page.items]
        return rows, page.next_cursor

    return read


def listing_source(index: DeskIndex, desk: str, query: DeskQuery, checks: Checks) -> Source:
    def rows_of(read: Callable[[str | None, int], Page]) -> Source:
        def source(cursor: str | None, fetch: int) -> tuple[Rows, str | None]:
            page = read(cursor, fetch)
            return [(row.ticket, row.cursor) for row in page.items], page.next_cursor

        return source

    if query.overdue or query.sort == "ageing":
        before = None
        if query.overdue:
            # The loosest threshold: the latest instant any category's ticket could start.
            before = max(checks.threshold(c) for c in checks.ageing.categories())
        return rows_of(lambda cursor, fetch: index.by_wait(desk, before, fetch, cursor))
    newest = query.sort == "newest"
    if query.sort is not None and query.status is None:
        return rows_of(lambda cursor, fetch: index.by_date(desk, newest, fetch, cursor))
    return rows_of(lambda cursor, fetch: index.by_status(desk, query.status, newest, fetch, cursor))


def find_desk_tickets(
    ctx: TicketContext,
    index: DeskIndex,
    ageing: Ageing,
    caller: Identity,
    query: DeskQuery,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> Page[DeskTicketSummary]:
    """The agent's desk, searched, filtered and ordered (see the module's docstring)."""
    scope = AgentScope(caller, ctx)
    desk = desk_partition_for(
        scope, DeskFilter(queue=query.queue, organisation_id=query.organisation_id)
    )
    terms = query_terms(query.q) if query.q else []
    if query.q and not terms:
        raise InvalidFieldsError.single("q", "Tapez une référence, un numéro ou des mots du titre.")
    by_wait = not terms and (query.overdue or query.sort == "ageing")
    if by_wait and query.status is not None and query.status not in RECIPIENT_COURT:
        # Only tickets waiting for their recipient age: none of this status.
        return Page[DeskTicketSummary](items=[], next_cursor=None)
    status_in_key = not terms and not by_wait and query.status is not None
    checks = Checks(query, caller, ageing, now, terms, status_in_key)
    if terms:
        source = search_source(index, desk, terms, newest_first=query.sort != "oldest")
    else:
        source = listing_source(index, desk, query, checks)
    tickets, next_cursor = collect(source, checks, limit, cursor)
    return Page[DeskTicketSummary](
        items=[desk_summary(ticket, ageing, now) for ticket in tickets], next_cursor=next_cursor
    )
