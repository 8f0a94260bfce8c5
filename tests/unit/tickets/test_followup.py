"""Following a ticket, emitter side, on fakes: listing, reading, comments, reopening, closing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.shared.errors import ConflictError, InvalidFieldsError, NotFoundError
from chalicelib.tickets import followup
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.desk import assign_ticket
from chalicelib.tickets.records import TicketRecord
from tests.fakes.context import Fakes
from tests.fakes.transaction import FakeTransaction
from tests.unit.given import (
    ALICE,
    CLAIRE,
    MARC,
    NOW,
    SOPHIE,
    answered,
    in_progress,
    ready_upload,
    submitted,
)

LATER = NOW + timedelta(hours=1)


def stored(fakes: Fakes, ticket_id: str) -> TicketRecord:
    found = fakes.store.get(ticket_id)
    assert found is not None
    return found


def test_my_tickets_are_listed_newest_first(ctx: TicketContext) -> None:
    for hour in (9, 11, 10):
        submitted(ctx, now=NOW.replace(hour=hour), title=f"Question de {hour} h")

    page = followup.list_my_tickets(ctx, ALICE, None, 20, None)

    assert [t.title for t in page.items] == [
        "Question de 11 h",
        "Question de 10 h",
        "Question de 9 h",
    ]
    assert followup.list_my_tickets(ctx, CLAIRE, None, 20, None).items == []


def test_the_assistant_gets_the_latest_three_tickets(ctx: TicketContext, fakes: Fakes) -> None:
    for hour in (9, 10, 11, 12):
        submitted(ctx, now=NOW.replace(hour=hour), title=f"Question de {hour} h")

    latest = followup.latest_tickets(fakes.store, "alice")

    assert [t.title for t in latest] == ["Question de 12 h", "Question de 11 h", "Question de 10 h"]


def test_a_comment_on_a_submitted_ticket_keeps_its_status(ctx: TicketContext, fakes: Fakes) -> None:
    ticket_id = submitted(ctx).ticket_id

    change = followup.comment_ticket(
        ctx, ALICE, ticket_id, "Précision : depuis Firefox.", [], LATER
    )

    assert (change.status, change.entry.event, change.entry.text) == (
        "submitted",
        "commented",
        "Précision : depuis Firefox.",
    )
    assert (stored(fakes, ticket_id).version, stored(fakes, ticket_id).updated_at) == (2, LATER)


def test_a_comment_on_a_ticket_waiting_for_the_user_goes_back_to_its_agent(
    ctx: TicketContext,
) -> None:
    ticket_id = answered(ctx, "waiting_for_user")

    change = followup.comment_ticket(ctx, ALICE, ticket_id, "Voici le document demandé.", [], LATER)

    assert change.status == "in_progress"


def test_a_comment_on_a_resolved_ticket_asks_to_reopen_it(ctx: TicketContext) -> None:
    ticket_id = answered(ctx, "resolved")

    with pytest.raises(ConflictError) as refused:
        followup.comment_ticket(ctx, ALICE, ticket_id, "Ce n'est pas réglé.", [], LATER)

    assert refused.value.detail == "Ce ticket est résolu : rouvrez-le pour compléter votre demande."


def test_a_comment_on_a_closed_ticket_is_a_409(ctx: TicketContext) -> None:
    ticket_id = submitted(ctx).ticket_id
    followup.close_ticket(ctx, ALICE, ticket_id, NOW)

    with pytest.raises(ConflictError) as refused:
        followup.comment_ticket(ctx, ALICE, ticket_id, "Encore une chose.", [], LATER)

    assert refused.value.detail == "Ce ticket est clos."


def test_reopening_a_resolved_ticket_gives_it_back_to_its_agent(
    ctx: TicketContext, fakes: Fakes
) -> None:
    ticket_id = answered(ctx, "resolved")

    change = followup.reopen_ticket(ctx, ALICE, ticket_id, "Toujours bloqué.", LATER)

    assert (change.status, change.entry.event) == ("in_progress", "reopened")
    assignee = stored(fakes, ticket_id).assignee
    assert assignee is not None and assignee.user_id == "sophie"


def test_only_a_resolved_ticket_can_be_reopened(ctx: TicketContext) -> None:
    ticket_id = in_progress(ctx)

    with pytest.raises(ConflictError):
        followup.reopen_ticket(ctx, ALICE, ticket_id, "Rouvrez.", LATER)


def test_the_emitter_closes_at_any_time_but_once(ctx: TicketContext) -> None:
    ticket_id = in_progress(ctx)

    closed = followup.close_ticket(ctx, ALICE, ticket_id, LATER)

    assert closed.status == "closed"
    with pytest.raises(ConflictError):
        followup.close_ticket(ctx, ALICE, ticket_id, LATER)


def test_another_users_ticket_is_not_found_whatever_the_action(ctx: TicketContext) -> None:
    ticket_id = submitted(ctx).ticket_id

    for action in (
        lambda: followup.get_ticket(ctx, CLAIRE, ticket_id, LATER),
        lambda: followup.comment_ticket(ctx, CLAIRE, ticket_id, "Je commente.", [], LATER),
        lambda: followup.reopen_ticket(ctx, CLAIRE, ticket_id, "Je rouvre.", LATER),
        lambda: followup.close_ticket(ctx, CLAIRE, ticket_id, LATER),
    ):
        with pytest.raises(NotFoundError):
            action()


def test_the_agents_a_ticket_is_addressed_to_may_read_it_and_no_other(
    ctx: TicketContext,
) -> None:
    ticket_id = submitted(ctx).ticket_id

    view = followup.get_ticket(ctx, SOPHIE, ticket_id, LATER)

    assert view.reference == "T-2026-000001"
    with pytest.raises(NotFoundError):
        followup.get_ticket(ctx, MARC, ticket_id, LATER)


def test_the_emitter_reads_the_history_and_a_download_link_for_each_attachment(
    ctx: TicketContext, fakes: Fakes
) -> None:
    ready_upload(fakes, "a1")
    ticket_id = submitted(ctx, attachment_ids=["a1"]).ticket_id
    followup.comment_ticket(ctx, ALICE, ticket_id, "Et la suite.", [], LATER)

    view = followup.get_ticket(ctx, ALICE, ticket_id, LATER)

    assert [(h.event, h.status) for h in view.history] == [
        ("submitted", "submitted"),
        ("commented", "submitted"),
    ]
    assert [c.text for c in view.comments] == ["Et la suite."]
    assert [(a.attachment_id, a.filename, a.size) for a in view.attachments] == [
        ("a1", "capture.png", 800)
    ]
    assert view.attachments[0].download_url.startswith(
        "https://uploads.fake.invalid/uploads/alice/a1/file.png?"
    )
    assert view.attachments[0].expires_at == LATER + timedelta(minutes=5)


def test_a_comment_brings_its_attachments_and_counts_their_bytes(
    ctx: TicketContext, fakes: Fakes
) -> None:
    ready_upload(fakes, "a1", size=800)
    ready_upload(fakes, "a2", size=300)
    ticket_id = submitted(ctx, attachment_ids=["a1"]).ticket_id

    change = followup.comment_ticket(ctx, ALICE, ticket_id, "La capture suivante.", ["a2"], LATER)

    after = stored(fakes, ticket_id)
    assert (after.attachment_ids, after.attachment_bytes) == (["a1", "a2"], 1100)
    assert change.entry.event == "commented"
    with pytest.raises(InvalidFieldsError) as refused:
        followup.comment_ticket(ctx, ALICE, ticket_id, "Encore elle.", ["a1"], LATER)
    assert [e.field for e in refused.value.errors] == ["attachment_ids.0"]


def test_a_ticket_changed_meanwhile_is_a_409_to_reload(fakes: Fakes) -> None:
    plain = fakes.ticket_context()
    ticket_id = submitted(plain).ticket_id

    def agent_takes_it() -> None:
        assign_ticket(plain, SOPHIE, ticket_id, NOW)

    racing = fakes.ticket_context(lambda: FakeTransaction(before_commit=agent_takes_it))

    with pytest.raises(ConflictError) as refused:
        followup.comment_ticket(racing, ALICE, ticket_id, "Précision.", [], LATER)

    assert refused.value.headers == {"Retry-After": "1"}
    assert (stored(fakes, ticket_id).status, stored(fakes, ticket_id).version) == ("in_progress", 2)
