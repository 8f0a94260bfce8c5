"""Satisfaction on fakes: rated once after the resolution; averages per desk and category."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.auth import Identity
from chalicelib.shared.errors import ConflictError, NotFoundError
from chalicelib.tickets import desk, followup
from chalicelib.tickets.followup import get_ticket
from chalicelib.tickets.satisfaction import NewRating, rate_ticket, satisfaction_report
from tests.fakes.context import Fakes
from tests.unit.given import (
    ALICE,
    CLAIRE,
    INVOICE_REQUEST,
    MARC,
    NOW,
    SOPHIE,
    SUPPORT_REQUEST,
    submitted,
)

LATER = NOW + timedelta(hours=1)


def resolved(fakes: Fakes, base: dict[str, Any] = SUPPORT_REQUEST, agent: Identity = SOPHIE) -> str:
    ctx = fakes.ticket_context()
    ticket_id = submitted(ctx, base).ticket_id
    desk.assign_ticket(ctx, agent, ticket_id, NOW)
    desk.reply_ticket(ctx, agent, ticket_id, "Voici la solution.", "resolved", NOW)
    return ticket_id


def rate(fakes: Fakes, ticket_id: str, stars: int, comment: str | None = None) -> None:
    rate_ticket(
        fakes.ticket_context(), ALICE, ticket_id, NewRating(stars=stars, comment=comment), LATER
    )


def test_the_emitter_rates_a_resolved_ticket_once(fakes: Fakes) -> None:
    ticket_id = resolved(fakes)

    rating = rate_ticket(
        fakes.ticket_context(), ALICE, ticket_id, NewRating(stars=5, comment="Parfait."), LATER
    )
    with pytest.raises(ConflictError):
        rate(fakes, ticket_id, 1)

    assert (rating.stars, rating.comment, rating.at) == (5, "Parfait.", LATER)
    view = get_ticket(fakes.ticket_context(), ALICE, ticket_id, LATER)
    assert view.satisfaction == rating and view.rateable is False
    assert (view.history[-1].event, view.history[-1].stars) == ("rated", 5)
    assert "rated" not in [comment.event for comment in view.comments]


def test_a_ticket_not_resolved_cannot_be_rated(fakes: Fakes) -> None:
    ticket_id = submitted(fakes.ticket_context()).ticket_id

    with pytest.raises(ConflictError):
        rate(fakes, ticket_id, 4)

    assert get_ticket(fakes.ticket_context(), ALICE, ticket_id, LATER).rateable is False


def test_a_ticket_closed_after_its_resolution_may_still_be_rated(fakes: Fakes) -> None:
    ticket_id = resolved(fakes)
    followup.close_ticket(fakes.ticket_context(), ALICE, ticket_id, LATER)

    assert get_ticket(fakes.ticket_context(), ALICE, ticket_id, LATER).rateable is True
    rate(fakes, ticket_id, 3)


def test_only_the_emitter_rates(fakes: Fakes) -> None:
    ticket_id = resolved(fakes)

    with pytest.raises(NotFoundError):
        rate_ticket(fakes.ticket_context(), CLAIRE, ticket_id, NewRating(stars=1), LATER)


def test_the_report_averages_per_desk_and_category_for_the_agents_desks(fakes: Fakes) -> None:
    rate(fakes, resolved(fakes), 5)
    rate(fakes, resolved(fakes), 2)
    rate(fakes, resolved(fakes, INVOICE_REQUEST, agent=MARC), 4)

    support = satisfaction_report(fakes.ticket_context(), SOPHIE)
    business = satisfaction_report(fakes.ticket_context(), MARC)

    assert (support.overall.count, support.overall.average) == (3, 3.67)
    assert support.overall.per_stars == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert [(d.designation, d.count, d.average) for d in support.by_desk] == [
        ("Mairie de Valbourg", 1, 4.0),
        ("Support Chorus Pro", 2, 3.5),
    ]
    assert [(c.category, c.label, c.average) for c in support.by_category] == [
        ("CONNEXION", "Connexion et compte utilisateur", 3.5),
        ("FACTURE", "Factures", 4.0),
    ]
    assert [(r.designation, r.category, r.count) for r in business.by_desk_and_category] == [
        ("Mairie de Valbourg", "FACTURE", 1)
    ]
    assert business.overall.average == 4.0
