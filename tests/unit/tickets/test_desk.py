"""The desk, recipient side, on fakes: who sees which tickets, assigning, replying, transferring."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.auth import Identity
from chalicelib.shared.errors import (
    ConflictError,
    ForbiddenError,
    InvalidFieldsError,
    NotFoundError,
)
from chalicelib.tickets import desk
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.desk import DeskFilter
from chalicelib.tickets.followup import close_ticket
from infra.demo import HOPITAL, MAIRIE, USERS
from tests.fakes.context import Fakes
from tests.unit.given import (
    ALICE,
    BRUNO,
    HOPITAL_ID,
    INVOICE_REQUEST,
    MAIRIE_ID,
    MARC,
    NOW,
    PAUL,
    SOPHIE,
    in_progress,
    submitted,
)

LATER = NOW + timedelta(hours=1)


def titles(ctx: TicketContext, agent: Identity, query: DeskFilter | None = None) -> list[str]:
    """The titles on the agent's desk, in its order."""
    page = desk.list_desk(ctx, agent, query or DeskFilter(), 20, None)
    return [t.title for t in page.items]


def mairie_ticket(ctx: TicketContext, title: str = "Facture suspendue", hour: int = 9) -> str:
    return submitted(ctx, INVOICE_REQUEST, title=title, now=NOW.replace(hour=hour)).ticket_id


def hopital_ticket(ctx: TicketContext) -> str:
    return submitted(
        ctx,
        INVOICE_REQUEST,
        subcategory="M23",
        object_number=None,
        recipient_organisation_id=HOPITAL_ID,
        title="Question à l'hôpital",
    ).ticket_id


# Who sees what


def test_the_support_desk_lists_in_workflow_order_then_oldest_first(ctx: TicketContext) -> None:
    submitted(ctx, title="Arrivé à 10 h", now=NOW.replace(hour=10))
    in_progress(ctx, title="Pris en charge")
    submitted(ctx, title="Arrivé à 8 h", now=NOW.replace(hour=8))
    mairie_ticket(ctx, "Pour la mairie")

    assert titles(ctx, SOPHIE) == ["Arrivé à 8 h", "Arrivé à 10 h", "Pris en charge"]
    assert titles(ctx, SOPHIE, DeskFilter(status="in_progress")) == ["Pris en charge"]


def test_a_business_agent_sees_only_the_desk_of_their_organisation(ctx: TicketContext) -> None:
    mairie_ticket(ctx, "Pour la mairie")
    hopital = hopital_ticket(ctx)
    submitted(ctx, title="Pour le support")

    assert titles(ctx, MARC) == ["Pour la mairie"]
    with pytest.raises(NotFoundError):
        desk.get_desk_ticket(ctx, MARC, hopital, LATER)
    with pytest.raises(ForbiddenError):
        titles(ctx, MARC, DeskFilter(queue="support"))


def test_a_support_agent_cannot_open_a_business_desk(ctx: TicketContext) -> None:
    with pytest.raises(ForbiddenError):
        titles(ctx, SOPHIE, DeskFilter(queue="business"))


def test_an_agent_of_several_bodies_names_the_desk_they_open(
    ctx: TicketContext, fakes: Fakes
) -> None:
    marc = next(user for user, _ in USERS if user.user_id == "marc")
    fakes.directory.put_user(marc, [MAIRIE, HOPITAL])
    mairie_ticket(ctx, "Pour la mairie")
    hopital_ticket(ctx)

    with pytest.raises(InvalidFieldsError) as refused:
        titles(ctx, MARC)

    assert [e.field for e in refused.value.errors] == ["organisation_id"]
    assert titles(ctx, MARC, DeskFilter(organisation_id=HOPITAL_ID)) == ["Question à l'hôpital"]
    with pytest.raises(ForbiddenError):
        titles(ctx, MARC, DeskFilter(organisation_id="org-tj-valbourg"))


def test_an_agent_who_left_the_organisation_no_longer_sees_its_tickets(
    ctx: TicketContext, fakes: Fakes
) -> None:
    ticket_id = mairie_ticket(ctx)
    fakes.directory.remove_membership("marc", MAIRIE_ID)

    with pytest.raises(NotFoundError):
        desk.assign_ticket(ctx, MARC, ticket_id, LATER)


def test_a_user_without_an_agent_role_gets_404_not_403(ctx: TicketContext) -> None:
    ticket_id = mairie_ticket(ctx)

    with pytest.raises(NotFoundError):
        desk.assign_ticket(ctx, BRUNO, ticket_id, LATER)


# Assigning and replying


def test_assigning_takes_the_ticket_in_the_agents_name(ctx: TicketContext, fakes: Fakes) -> None:
    ticket_id = submitted(ctx).ticket_id

    change = desk.assign_ticket(ctx, SOPHIE, ticket_id, LATER)

    assert (change.status, change.entry.event, change.entry.by.user_id) == (
        "in_progress",
        "assigned",
        "sophie",
    )
    stored = fakes.store.get(ticket_id)
    assert stored is not None and stored.assignee == change.entry.by


def test_a_support_agent_is_named_by_their_token_a_business_agent_by_the_directory(
    ctx: TicketContext,
) -> None:
    support_ticket, mairie = submitted(ctx).ticket_id, mairie_ticket(ctx)

    by_token = desk.assign_ticket(ctx, SOPHIE, support_ticket, LATER).entry.by.name
    # The memberships a business ticket needs are read with the name: no extra call.
    by_directory = desk.assign_ticket(ctx, MARC, mairie, LATER).entry.by.name

    assert (by_token, by_directory) == ("Sophie", "Marc Petit")


def test_assigning_twice_is_a_409_but_a_colleague_may_take_over(ctx: TicketContext) -> None:
    ticket_id = in_progress(ctx, SOPHIE)

    with pytest.raises(ConflictError):
        desk.assign_ticket(ctx, SOPHIE, ticket_id, LATER)
    change = desk.assign_ticket(ctx, PAUL, ticket_id, LATER)

    assert (change.entry.by.user_id, change.entry.by.name) == ("paul", "Paul Support")


def test_replying_needs_the_ticket_taken_first(ctx: TicketContext) -> None:
    ticket_id = submitted(ctx).ticket_id

    with pytest.raises(ConflictError) as refused:
        desk.reply_ticket(ctx, SOPHIE, ticket_id, "Réponse.", "resolved", LATER)

    assert refused.value.detail == "Prenez d'abord ce ticket en charge pour y répondre."


def test_only_the_assignee_replies(ctx: TicketContext) -> None:
    ticket_id = in_progress(ctx, SOPHIE)

    with pytest.raises(ConflictError) as refused:
        desk.reply_ticket(ctx, PAUL, ticket_id, "Réponse.", "resolved", LATER)

    assert refused.value.detail == "Ce ticket est pris en charge par un autre agent."


def test_a_reply_is_one_history_event_by_the_agent(ctx: TicketContext, fakes: Fakes) -> None:
    ticket_id = in_progress(ctx, SOPHIE)

    change = desk.reply_ticket(
        ctx, SOPHIE, ticket_id, "Pouvez-vous préciser ?", "waiting_for_user", LATER
    )

    assert change.status == "waiting_for_user"
    found = fakes.store.get_with_history(ticket_id)
    assert found is not None
    reply = found[1][-1]
    assert (reply.kind, reply.by.user_id, reply.text) == (
        "replied",
        "sophie",
        "Pouvez-vous préciser ?",
    )
    assert found[0].status_since == LATER


def test_a_business_agent_transfers_to_the_support_which_gets_it_again(
    ctx: TicketContext, fakes: Fakes
) -> None:
    ticket_id = mairie_ticket(ctx)
    desk.assign_ticket(ctx, MARC, ticket_id, NOW)

    change = desk.transfer_ticket(ctx, MARC, ticket_id, "Question technique.", LATER)

    assert change.entry.recipient is not None
    assert (change.status, change.entry.recipient.type) == ("submitted", "support")
    stored = fakes.store.get(ticket_id)
    assert stored is not None
    assert (stored.assignee, stored.dispatch_seq) == (None, 2)
    assert titles(ctx, SOPHIE) == ["Facture suspendue"]
    with pytest.raises(NotFoundError):
        desk.get_desk_ticket(ctx, MARC, ticket_id, LATER)


def test_a_support_ticket_cannot_be_transferred(ctx: TicketContext) -> None:
    ticket_id = submitted(ctx).ticket_id

    with pytest.raises(ConflictError) as refused:
        desk.transfer_ticket(ctx, SOPHIE, ticket_id, None, LATER)

    assert refused.value.detail == "Ce ticket est déjà adressé au support outil."


def test_a_closed_ticket_cannot_be_transferred(ctx: TicketContext) -> None:
    ticket_id = mairie_ticket(ctx)
    close_ticket(ctx, ALICE, ticket_id, NOW)

    with pytest.raises(ConflictError):
        desk.transfer_ticket(ctx, MARC, ticket_id, None, LATER)
