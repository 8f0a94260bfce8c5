"""Satisfaction: once a ticket is resolved, its emitter rates the answer, once; the reports
average the ratings per desk and per category.

Who rates: the emitter signed in (`PUT /tickets/{id}/satisfaction`) or the holder of a
help request's follow-up link (`PUT /help/requests/{reference}/satisfaction`). When:
the ticket is resolved, or closed after a resolution (a resolved ticket is closed
after 7 days: its emitter may still say what they thought of the answer); not
before, and not twice (409).

A rating is a change of the ticket (a `rated` history event by the emitter, the
rating on the ticket) and, in the same transaction, an UpdateItem ADD on the
counters of the ticket's desk and category (count, sum of stars, count per star).
The report is one Query on those counters, whatever the number of tickets: no
Scan, no aggregation at read time. Support agents see every desk; business agents
the desks of their organisations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from pydantic import Field

from chalicelib.auth import SUPPORT_AGENTS, Identity
from chalicelib.shared.errors import ConflictError
from chalicelib.shared.models import Model
from chalicelib.tickets.changes import apply_change, emitter
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.followup import memberships, own_ticket
from chalicelib.tickets.keys import desk_partition
from chalicelib.tickets.records import (
    Satisfaction,
    SatisfactionCount,
    TicketRecord,
    rateable,
)
from chalicelib.tickets.views import SatisfactionOut


class NewRating(Model):
    """What a rating says: 1 to 5 stars, and a comment if the person wants."""

    stars: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)


def rate_ticket(
    ctx: TicketContext, caller: Identity, ticket_id: str, rating: NewRating, now: datetime
) -> SatisfactionOut:
    """The emitter rates the answer to their ticket."""
    return rate(ctx, own_ticket(ctx, caller, ticket_id), rating, now)


def rate(
    ctx: TicketContext, ticket: TicketRecord, rating: NewRating, now: datetime
) -> SatisfactionOut:
    """Record the emitter's rating of `ticket` with the counters of the reports (409 when
    the ticket is not resolved, or was rated already)."""
    if ticket.satisfaction is not None:
        raise ConflictError("Vous avez déjà donné votre avis sur ce ticket.")
    if not rateable(ticket):
        raise ConflictError("Vous pourrez donner votre avis une fois le ticket résolu.")
    comment = rating.comment or None
    satisfaction = Satisfaction(stars=rating.stars, comment=comment, at=now)
    apply_change(
        ctx,
        ticket,
        {"satisfaction": satisfaction},
        "rated",
        emitter(ticket),
        now,
        stars=rating.stars,
        also=lambda tx: ctx.store.count_rating_in(tx, ticket, rating.stars),
    )
    return SatisfactionOut(**satisfaction.model_dump())


# The report


class Average(Model):
    """Ratings counted together: how many, their average, how many gave each star."""

    count: int
    average: float | None
    per_stars: dict[str, int]


class DeskAverage(Average):
    desk: str
    designation: str


class CategoryAverage(Average):
    category: str
    label: str | None


class DeskCategoryAverage(Average):
    desk: str
    designation: str
    category: str
    label: str | None


class SatisfactionReport(Model):
    """The ratings of the tickets the caller's desks handled, averaged."""

    overall: Average
    by_desk: list[DeskAverage]
    by_category: list[CategoryAverage]
    by_desk_and_category: list[DeskCategoryAverage]


def average(counts: Iterable[SatisfactionCount]) -> Average:
    count, total, per_stars = 0, 0, defaultdict[str, int](int)
    for item in counts:
        count += item.count
        total += item.stars_total
        for stars, number in item.per_stars.items():
            per_stars[stars] += number
    return Average(
        count=count,
        average=round(total / count, 2) if count else None,
        per_stars={stars: per_stars.get(stars, 0) for stars in ("1", "2", "3", "4", "5")},
    )


def satisfaction_report(ctx: TicketContext, caller: Identity) -> SatisfactionReport:
    """Averages per desk, per category and per both: one Query on the counters (plus the
    memberships Query for a business agent)."""
    counts = ctx.store.satisfaction_counts()
    if not caller.has_role(SUPPORT_AGENTS):
        desks = {desk_partition("business", org) for org in memberships(ctx, caller)}
        counts = [item for item in counts if item.desk in desks]
    by_desk: dict[str, list[SatisfactionCount]] = defaultdict(list)
    by_category: dict[str, list[SatisfactionCount]] = defaultdict(list)
    for item in counts:
        by_desk[item.desk].append(item)
        by_category[item.category].append(item)
    label = ctx.catalogue.category_label
    return SatisfactionReport(
        overall=average(counts),
        by_desk=[
            DeskAverage(desk=desk, designation=items[0].designation, **average(items).model_dump())
            for desk, items in sorted(by_desk.items())
        ],
        by_category=[
            CategoryAverage(category=code, label=label(code), **average(items).model_dump())
            for code, items in sorted(by_category.items())
        ],
        by_desk_and_category=[
            DeskCategoryAverage(
                desk=item.desk,
                designation=item.designation,
                category=item.category,
                label=label(item.category),
                **average([item]).model_dump(),
            )
            for item in counts
        ],
    )
