"""The TicketStore contract: one suite, run on the in-memory fake and on DynamoDB (moto).

What a service may count on from any ticket store: creating and changing are
conditional on the labelled "ticket" item, a change never touches the delivery
counters, listings come in the orders chalicelib/tickets/keys.py promises and
page through opaque cursors, deliveries and notifications are recorded once per
dispatch, history comes oldest first.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from chalicelib.endpoints import wiring
from chalicelib.shared.dynamo import Transaction, TransactionFailed
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.pagination import Page
from chalicelib.tickets.keys import desk_partition
from chalicelib.tickets.records import (
    SYSTEM,
    Actor,
    EventKind,
    TicketEvent,
    TicketRecord,
)
from chalicelib.tickets.store import TicketStore
from tests.fakes.tickets import FakeTicketStore
from tests.fakes.transaction import FakeTransaction
from tests.records import MAIRIE, MAIRIE_ID, SUPPORT, at, event, ticket

FAILED = "ConditionalCheckFailed"
SUPPORT_DESK = desk_partition("support", None)
MAIRIE_DESK = desk_partition("business", MAIRIE_ID)
SOPHIE = Actor(user_id="sophie", name="Sophie Bernard", role="agent")


@dataclass
class Tickets:
    """A ticket store and the transactions it writes with, as a service uses them."""

    store: TicketStore
    transaction: Callable[[], Transaction]

    def create(self, record: TicketRecord, first: TicketEvent | None = None) -> None:
        tx = self.transaction()
        event_id = f"e-{record.ticket_id}"
        self.store.create_in(
            tx, record, first or event(record.ticket_id, event_id, record.created_at)
        )
        tx.commit()

    def change(
        self,
        before: TicketRecord,
        when: datetime,
        event_id: str,
        kind: EventKind = "commented",
        **changes: Any,
    ) -> TicketRecord:
        after = before.model_copy(
            update={**changes, "updated_at": when, "version": before.version + 1}
        )
        tx = self.transaction()
        note = event(before.ticket_id, event_id, when, kind=kind, status=after.status)
        self.store.change_in(tx, before, after, note)
        tx.commit()
        return after

    def stored(self, ticket_id: str) -> TicketRecord:
        found = self.store.get(ticket_id)
        assert found is not None
        return found

    def history(self, ticket_id: str) -> list[str]:
        found = self.store.get_with_history(ticket_id)
        assert found is not None
        return [e.event_id for e in found[1]]


def delivered(ticket_id: str, event_id: str) -> TicketEvent:
    """The history event of a delivery, as the queue consumer writes it."""
    return event(ticket_id, event_id, at(9, 5), kind="delivered", by=SYSTEM, recipient=SUPPORT)


ALICE = "EMITTER#alice"


def _forged(**key: str) -> str:
    """A cursor made by hand, as an attacker would."""
    text = json.dumps(key, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def all_pages(read: Callable[[str | None], Page[TicketRecord]]) -> list[list[str]]:
    """The ticket ids of each page, following cursors until there is none."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while len(pages) < 20:
        page = read(cursor)
        pages.append([t.ticket_id for t in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor
    raise AssertionError("the cursors never end")


class TicketStoreContract:
    """The tests; a subclass gives `tickets` on its backend."""

    @pytest.fixture
    def tickets(self) -> Tickets:
        raise NotImplementedError

    # Creating

    def test_a_created_ticket_reads_back_with_its_first_event(self, tickets: Tickets) -> None:
        record = ticket("t1")
        first = event("t1", "e1", at(9))

        tickets.create(record, first)

        assert tickets.store.get("t1") == record
        assert tickets.store.get_with_history("t1") == (record, [first])

    def test_an_unknown_ticket_reads_as_none(self, tickets: Tickets) -> None:
        assert tickets.store.get("nope") is None
        assert tickets.store.get_with_history("nope") is None

    def test_creating_a_ticket_twice_fails_on_label_ticket_and_writes_nothing(
        self, tickets: Tickets
    ) -> None:
        tickets.create(ticket("t1"), event("t1", "e1", at(9)))

        with pytest.raises(TransactionFailed) as failed:
            tickets.create(ticket("t1", title="Un autre ticket"), event("t1", "e2", at(10)))

        assert failed.value.reasons == {"ticket": FAILED}
        assert tickets.stored("t1").title == "Ticket t1"
        assert tickets.history("t1") == ["e1"]

    def test_reference_numbers_increase_per_year(self, tickets: Tickets) -> None:
        numbers = [tickets.store.next_reference_number(year) for year in (2026, 2026, 2027, 2026)]

        assert numbers == [1, 2, 1, 3]

    # Changing

    def test_a_change_over_the_version_read_bumps_it_and_adds_its_event(
        self, tickets: Tickets
    ) -> None:
        before = ticket("t1")
        tickets.create(before, event("t1", "e1", at(9)))

        tickets.change(before, at(10), "e2", "assigned", status="in_progress", assignee=SOPHIE)

        stored = tickets.stored("t1")
        assert (stored.version, stored.status, stored.assignee) == (2, "in_progress", SOPHIE)
        assert stored.updated_at == at(10)
        assert tickets.history("t1") == ["e1", "e2"]

    def test_a_change_over_a_stale_version_fails_on_label_ticket_and_writes_nothing(
        self, tickets: Tickets
    ) -> None:
        before = ticket("t1")
        tickets.create(before, event("t1", "e1", at(9)))
        tickets.change(before, at(10), "e2", status="closed")

        with pytest.raises(TransactionFailed) as failed:
            tickets.change(before, at(11), "e3", status="resolved")

        assert failed.value.reasons == {"ticket": FAILED}
        assert (tickets.stored("t1").status, tickets.stored("t1").version) == ("closed", 2)
        assert tickets.history("t1") == ["e1", "e2"]

    def test_changing_a_ticket_that_does_not_exist_fails_on_label_ticket(
        self, tickets: Tickets
    ) -> None:
        with pytest.raises(TransactionFailed) as failed:
            tickets.change(ticket("ghost"), at(10), "e2", status="closed")

        assert failed.value.reasons == {"ticket": FAILED}
        assert tickets.store.get("ghost") is None

    def test_a_change_never_touches_the_delivery_counters(self, tickets: Tickets) -> None:
        before = ticket("t1")
        tickets.create(before)
        assert tickets.store.mark_delivered("t1", 1, delivered("t1", "delivered-1"))
        assert tickets.store.mark_notified("t1", 1)

        # `before` was read before the delivery: its counters say 0, its version still holds.
        tickets.change(before, at(10), "e2", status="closed")

        stored = tickets.stored("t1")
        assert (stored.status, stored.delivered_seq, stored.notified_seq) == ("closed", 1, 1)

    def test_a_change_removes_what_it_sets_to_none(self, tickets: Tickets) -> None:
        before = ticket("t1", recipient=MAIRIE, status="in_progress", assignee=SOPHIE)
        tickets.create(before)

        tickets.change(
            before,
            at(10),
            "e2",
            "transferred",
            recipient=SUPPORT,
            status="submitted",
            assignee=None,
            dispatch_seq=2,
        )

        stored = tickets.stored("t1")
        assert stored.assignee is None
        assert (stored.recipient, stored.dispatch_seq) == (SUPPORT, 2)

    # Listing

    def test_an_emitters_tickets_come_newest_first_a_page_at_a_time(self, tickets: Tickets) -> None:
        for number, hour in enumerate((9, 10, 11, 12, 13), start=1):
            tickets.create(ticket(f"t{number}", created_at=at(hour)))
        tickets.create(ticket("c1", emitter_user_id="claire", created_at=at(11, 30)))
        tickets.create(ticket("h1", emitter_user_id=None, channel="help_request"))

        pages = all_pages(lambda cursor: tickets.store.list_by_emitter("alice", None, 2, cursor))

        assert pages == [["t5", "t4"], ["t3", "t2"], ["t1"]]

    def test_an_emitters_tickets_by_status_are_those_of_that_status(self, tickets: Tickets) -> None:
        tickets.create(ticket("t1", created_at=at(9)))
        tickets.create(ticket("t2", created_at=at(10), status="resolved"))
        tickets.create(ticket("t3", created_at=at(11), status="resolved"))

        def ids(status: Any) -> list[list[str]]:
            return all_pages(lambda c: tickets.store.list_by_emitter("alice", status, 10, c))

        assert ids("resolved") == [["t3", "t2"]]
        assert ids("submitted") == [["t1"]]
        assert ids("closed") == [[]]

    def test_a_desk_lists_by_status_rank_then_oldest_first(self, tickets: Tickets) -> None:
        tickets.create(ticket("a", status="in_progress", created_at=at(9)))
        tickets.create(ticket("b", created_at=at(11)))
        tickets.create(ticket("c", created_at=at(10)))
        tickets.create(ticket("d", status="waiting_for_user", created_at=at(8)))
        tickets.create(ticket("e", status="closed", created_at=at(7)))
        tickets.create(ticket("f", status="resolved", created_at=at(12)))
        tickets.create(ticket("g", recipient=MAIRIE, created_at=at(6)))

        support = all_pages(lambda c: tickets.store.list_desk(SUPPORT_DESK, None, 4, c))
        mairie = all_pages(lambda c: tickets.store.list_desk(MAIRIE_DESK, None, 4, c))
        waiting = all_pages(lambda c: tickets.store.list_desk(SUPPORT_DESK, "submitted", 4, c))

        assert support == [["c", "b", "a", "d"], ["f", "e"]]
        assert mairie == [["g"]]
        assert waiting == [["c", "b"]]

    def test_listings_follow_a_status_change(self, tickets: Tickets) -> None:
        before = ticket("t1")
        tickets.create(before)
        tickets.create(ticket("t2", created_at=at(10)))

        tickets.change(before, at(11), "e2", "assigned", status="in_progress", assignee=SOPHIE)

        assert tickets.store.list_by_emitter("alice", "submitted", 10, None).items == [
            tickets.stored("t2")
        ]
        assert [
            t.ticket_id
            for t in tickets.store.list_by_emitter("alice", "in_progress", 10, None).items
        ] == ["t1"]
        assert all_pages(lambda c: tickets.store.list_desk(SUPPORT_DESK, None, 10, c)) == [
            ["t2", "t1"]
        ]

    def test_a_full_last_page_ends_at_once_or_with_an_empty_page(self, tickets: Tickets) -> None:
        tickets.create(ticket("t1", created_at=at(9)))
        tickets.create(ticket("t2", created_at=at(10)))

        pages = all_pages(lambda cursor: tickets.store.list_by_emitter("alice", None, 2, cursor))

        # DynamoDB may stop at the limit without knowing that nothing follows.
        assert pages in ([["t2", "t1"]], [["t2", "t1"], []])

    def test_a_cursor_only_pages_the_listing_it_came_from(self, tickets: Tickets) -> None:
        tickets.create(ticket("t1", created_at=at(9)))
        tickets.create(ticket("t2", created_at=at(10)))
        cursor = tickets.store.list_by_emitter("alice", None, 1, None).next_cursor
        assert cursor is not None

        for misused in (
            lambda: tickets.store.list_by_emitter("claire", None, 1, cursor),
            lambda: tickets.store.list_desk(SUPPORT_DESK, None, 1, cursor),
            lambda: tickets.store.list_by_emitter("alice", None, 1, "not-a-cursor"),
            # The partition alone, or with an attribute of another index: forged.
            lambda: tickets.store.list_by_emitter("alice", None, 1, _forged(gsi1pk=ALICE)),
            lambda: tickets.store.list_by_emitter(
                "alice", None, 1, _forged(gsi1pk=ALICE, gsi1sk="x", pk="x", sk="x", gsi2pk="x")
            ),
            lambda: tickets.store.list_by_emitter(
                "alice", None, 1, _forged(gsi1pk=ALICE, gsi1sk="", pk="x", sk="x")
            ),
        ):
            with pytest.raises(InvalidFieldsError) as refused:
                misused()
            assert [e.field for e in refused.value.errors] == ["cursor"]

    def test_a_well_formed_cursor_pages_on(self, tickets: Tickets) -> None:
        tickets.create(ticket("t1", created_at=at(9)))
        tickets.create(ticket("t2", created_at=at(10)))
        first = tickets.store.list_by_emitter("alice", None, 1, None)
        assert first.next_cursor is not None
        decoded = json.loads(base64.urlsafe_b64decode(first.next_cursor + "=="))

        again = tickets.store.list_by_emitter("alice", None, 1, _forged(**decoded))

        assert [t.ticket_id for t in again.items] == ["t1"]

    # Deliveries and notifications

    def test_a_delivery_is_recorded_once_per_dispatch(self, tickets: Tickets) -> None:
        tickets.create(ticket("t1"), event("t1", "e1", at(9)))

        first = tickets.store.mark_delivered("t1", 1, delivered("t1", "delivered-1"))
        again = tickets.store.mark_delivered("t1", 1, delivered("t1", "delivered-1-again"))

        assert (first, again) == (True, False)
        assert tickets.stored("t1").delivered_seq == 1
        assert tickets.history("t1") == ["e1", "delivered-1"]

    def test_a_delivery_of_another_dispatch_is_refused(self, tickets: Tickets) -> None:
        before = ticket("t1")
        tickets.create(before)

        assert not tickets.store.mark_delivered("t1", 2, delivered("t1", "delivered-2"))
        tickets.change(before, at(10), "e2", "transferred", recipient=MAIRIE, dispatch_seq=2)
        assert not tickets.store.mark_delivered("t1", 1, delivered("t1", "delivered-1"))
        assert tickets.store.mark_delivered("t1", 2, delivered("t1", "delivered-2"))
        assert not tickets.store.mark_delivered("ghost", 1, delivered("ghost", "delivered-1"))

    def test_a_notification_is_recorded_once_per_dispatch(self, tickets: Tickets) -> None:
        tickets.create(ticket("t1"))

        marks = [tickets.store.mark_notified("t1", seq) for seq in (1, 1, 2, 1)]

        assert marks == [True, False, True, False]
        assert tickets.stored("t1").notified_seq == 2
        assert tickets.store.mark_notified("ghost", 1) is False

    # History

    def test_history_is_oldest_first_whatever_the_order_it_was_written_in(
        self, tickets: Tickets
    ) -> None:
        first = ticket("t1")
        tickets.create(first, event("t1", "e1", at(9)))
        second = tickets.change(first, at(11), "e3")
        tickets.change(second, at(10), "e2")
        # At the same instant as the submission: event ids break the tie.
        tickets.store.mark_delivered("t1", 1, event("t1", "d1", at(9), kind="delivered"))

        assert tickets.history("t1") == ["d1", "e1", "e2", "e3"]


class TestFakeTicketStore(TicketStoreContract):
    @pytest.fixture
    def tickets(self) -> Tickets:
        return Tickets(FakeTicketStore(), FakeTransaction)


class TestDynamoTicketStore(TicketStoreContract):
    @pytest.fixture
    def tickets(self, aws_env: dict[str, str]) -> Tickets:
        return Tickets(wiring.ticket_store(), wiring.transaction)
