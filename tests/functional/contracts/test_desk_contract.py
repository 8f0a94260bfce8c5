"""The desk's adapters' contract: one suite, on the in-memory fakes and on DynamoDB (moto).

What the desk's services count on: the search postings of a desk follow its
tickets (written at creation, moved by a transfer, none for a status change), the
desk's listings come in the orders chalicelib/tickets/keys.py promises, each row's
cursor resumes right after it, notes are read per ticket and desk, and canned
answers are kept per desk, changed only over the version read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.endpoints import wiring
from chalicelib.shared.dynamo import Transaction
from chalicelib.tickets.answers import AnswerStore, CannedAnswer, StaleAnswerError
from chalicelib.tickets.desk_index import DeskIndex
from chalicelib.tickets.keys import desk_partition
from chalicelib.tickets.notes import Note, NoteStore
from chalicelib.tickets.records import Actor, TicketRecord
from chalicelib.tickets.store import TicketStore
from tests.fakes.desk import FakeAnswerStore, FakeDeskIndex, FakeNoteStore
from tests.fakes.tickets import FakeTicketStore
from tests.fakes.transaction import FakeTransaction
from tests.records import MAIRIE, MAIRIE_ID, SUPPORT, at, event, ticket

SUPPORT_DESK = desk_partition("support", None)
MAIRIE_DESK = desk_partition("business", MAIRIE_ID)
MARC = Actor(user_id="marc", name="Marc Petit", role="agent")


@dataclass
class Desk:
    store: TicketStore
    transaction: Callable[[], Transaction]
    index: DeskIndex
    notes: NoteStore
    answers: AnswerStore

    def create(self, record: TicketRecord) -> TicketRecord:
        tx = self.transaction()
        self.store.create_in(tx, record, event(record.ticket_id, f"e-{record.ticket_id}", at(9)))
        tx.commit()
        return record

    def change(self, before: TicketRecord, **changes: Any) -> TicketRecord:
        after = before.model_copy(update={**changes, "version": before.version + 1})
        tx = self.transaction()
        self.store.change_in(tx, before, after, event(before.ticket_id, "e2", at(10)))
        tx.commit()
        return after


def ids(page: Any) -> list[str]:
    return [getattr(row, "ticket_id", None) or row.ticket.ticket_id for row in page.items]


def answer(answer_id: str, desk: str = SUPPORT_DESK, **fields: Any) -> CannedAnswer:
    when = datetime(2026, 12, 4, 9, tzinfo=UTC)
    data: dict[str, Any] = {
        "answer_id": answer_id,
        "desk": desk,
        "title": f"Réponse {answer_id}",
        "text": "Bonjour, voici la marche à suivre.",
        "created_by": "sophie",
        "updated_by": "sophie",
        "created_at": when,
        "updated_at": when,
    }
    data.update(fields)
    return CannedAnswer.model_validate(data)


class DeskContract:
    @pytest.fixture
    def desk(self) -> Desk:
        raise NotImplementedError

    # Search postings

    def test_postings_are_written_with_the_ticket_newest_first(self, desk: Desk) -> None:
        desk.create(ticket("t1", title="Facture rejetée", created_at=at(9)))
        desk.create(ticket("t2", title="Facture suspendue", created_at=at(10)))
        desk.create(ticket("m1", title="Facture", recipient=MAIRIE))

        newest = desk.index.postings(SUPPORT_DESK, "factur", True, 10, None)
        oldest = desk.index.postings(SUPPORT_DESK, "factur", False, 10, None)

        assert ids(newest) == ["t2", "t1"]
        assert ids(oldest) == ["t1", "t2"]
        assert "suspendu" in newest.items[0].terms
        assert ids(desk.index.postings(SUPPORT_DESK, "t-2026-t1", True, 10, None)) == ["t1"]

    def test_a_posting_cursor_resumes_after_its_row(self, desk: Desk) -> None:
        for number in range(3):
            desk.create(ticket(f"t{number}", title="Facture", created_at=at(9 + number)))

        first = desk.index.postings(SUPPORT_DESK, "factur", True, 3, None)
        after_first = desk.index.postings(SUPPORT_DESK, "factur", True, 3, first.items[0].cursor)

        assert ids(first) == ["t2", "t1", "t0"]
        assert ids(after_first) == ["t1", "t0"]

    def test_a_transfer_moves_the_postings_a_status_change_does_not(self, desk: Desk) -> None:
        record = desk.create(ticket("t1", title="Facture", recipient=MAIRIE))

        taken = desk.change(record, status="in_progress", assignee=MARC)
        assert ids(desk.index.postings(MAIRIE_DESK, "factur", True, 10, None)) == ["t1"]
        desk.change(taken, recipient=SUPPORT, status="submitted", assignee=None)

        assert ids(desk.index.postings(MAIRIE_DESK, "factur", True, 10, None)) == []
        assert ids(desk.index.postings(SUPPORT_DESK, "factur", True, 10, None)) == ["t1"]

    def test_tickets_by_id_leave_unknown_ones_out(self, desk: Desk) -> None:
        desk.create(ticket("t1"))

        found = desk.index.tickets(["t1", "ghost", "t1"])

        assert list(found) == ["t1"]
        assert found["t1"].reference == "T-2026-t1"

    # Listings

    def test_a_desk_by_date_and_by_status(self, desk: Desk) -> None:
        desk.create(ticket("a", created_at=at(9)))
        desk.create(ticket("b", status="resolved", created_at=at(10)))
        desk.create(ticket("c", created_at=at(11)))

        assert ids(desk.index.by_date(SUPPORT_DESK, True, 10, None)) == ["c", "b", "a"]
        assert ids(desk.index.by_date(SUPPORT_DESK, False, 10, None)) == ["a", "b", "c"]
        assert ids(desk.index.by_status(SUPPORT_DESK, "submitted", True, 10, None)) == ["c", "a"]
        assert ids(desk.index.by_status(SUPPORT_DESK, None, True, 10, None)) == ["a", "c", "b"]

    def test_by_wait_holds_only_tickets_waiting_for_their_recipient(self, desk: Desk) -> None:
        desk.create(ticket("new", created_at=at(11)))
        desk.create(ticket("old", created_at=at(9)))
        desk.create(ticket("asked", status="waiting_for_user", created_at=at(8)))
        desk.create(ticket("back", status="in_progress", created_at=at(7), awaiting_since=at(10)))

        every = desk.index.by_wait(SUPPORT_DESK, None, 10, None)
        before_ten = desk.index.by_wait(SUPPORT_DESK, at(10), 10, None)
        paged = desk.index.by_wait(SUPPORT_DESK, None, 2, None)
        rest = desk.index.by_wait(SUPPORT_DESK, None, 2, paged.next_cursor)

        assert ids(every) == ["old", "back", "new"]
        assert ids(before_ten) == ["old"]
        assert ids(paged) + ids(rest) == ["old", "back", "new"]

    def test_created_between_reads_a_period(self, desk: Desk) -> None:
        for hour in (8, 9, 10, 11):
            desk.create(ticket(f"t{hour}", created_at=at(hour)))

        found = desk.index.created_between(SUPPORT_DESK, at(9), at(11))

        assert sorted(t.ticket_id for t in found) == ["t10", "t9"]

    # Notes

    def test_notes_are_read_per_ticket_and_desk_oldest_first(self, desk: Desk) -> None:
        def note(note_id: str, ticket_id: str, desk_name: str, hour: int) -> Note:
            return Note(
                note_id=note_id,
                ticket_id=ticket_id,
                desk=desk_name,
                text=f"Note {note_id}",
                by=MARC,
                at=at(hour),
            )

        desk.notes.add(note("n2", "t1", MAIRIE_DESK, 11))
        desk.notes.add(note("n1", "t1", MAIRIE_DESK, 10))
        desk.notes.add(note("n3", "t1", SUPPORT_DESK, 12))
        desk.notes.add(note("n4", "t2", MAIRIE_DESK, 12))

        assert [n.note_id for n in desk.notes.notes("t1", MAIRIE_DESK)] == ["n1", "n2"]
        assert [n.note_id for n in desk.notes.notes("t1", SUPPORT_DESK)] == ["n3"]

    # Canned answers

    def test_answers_are_kept_per_desk(self, desk: Desk) -> None:
        desk.answers.save(answer("a1"), None)
        desk.answers.save(answer("a2"), None)
        desk.answers.save(answer("m1", MAIRIE_DESK), None)

        first = desk.answers.list(SUPPORT_DESK, 1, None)
        rest = desk.answers.list(SUPPORT_DESK, 5, first.next_cursor)

        assert [a.answer_id for a in first.items + rest.items] == ["a1", "a2"]
        assert desk.answers.get(MAIRIE_DESK, "a1") is None
        assert desk.answers.delete(MAIRIE_DESK, "a1") is False
        assert desk.answers.delete(SUPPORT_DESK, "a1") is True
        assert desk.answers.get(SUPPORT_DESK, "a1") is None

    def test_an_answer_changes_only_over_the_version_read(self, desk: Desk) -> None:
        desk.answers.save(answer("a1"), None)

        desk.answers.save(answer("a1", text="Nouveau texte.", version=2), 1)
        with pytest.raises(StaleAnswerError):
            desk.answers.save(answer("a1", text="Perdu.", version=2), 1)
        with pytest.raises(StaleAnswerError):
            desk.answers.save(answer("a1"), None)

        stored = desk.answers.get(SUPPORT_DESK, "a1")
        assert stored is not None and (stored.text, stored.version) == ("Nouveau texte.", 2)


class TestFakeDesk(DeskContract):
    @pytest.fixture
    def desk(self) -> Desk:
        store = FakeTicketStore()
        return Desk(
            store, FakeTransaction, FakeDeskIndex(store), FakeNoteStore(), FakeAnswerStore()
        )


class TestDynamoDesk(DeskContract):
    @pytest.fixture
    def desk(self, aws_env: dict[str, str]) -> Desk:
        return Desk(
            wiring.ticket_store(),
            wiring.transaction,
            wiring.desk_index(),
            wiring.note_store(),
            wiring.answer_store(),
        )
