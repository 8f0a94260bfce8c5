"""In-memory fakes of the desk's adapters: its index reads, internal notes, canned answers.

`FakeDeskIndex` reads the items `FakeTicketStore` keeps (tickets with their index
keys, search postings), ordered and paged as DynamoDB's Queries on the same keys
(gsi2, gsi4, gsi5, the SEARCH# partitions): each row's cursor is the encoded key
of that row, as the adapter's. Held to the adapter's contract by
tests/functional/contracts/test_desk_contract.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from chalicelib.shared.pagination import Page, decode_cursor, encode_cursor
from chalicelib.tickets.answers import CannedAnswer, StaleAnswerError
from chalicelib.tickets.desk_index import Posting, Row, row_cursor
from chalicelib.tickets.keys import desk_status_prefix, sort_instant, strip_keys
from chalicelib.tickets.notes import Note
from chalicelib.tickets.records import TicketRecord, TicketStatus
from chalicelib.tickets.search import search_partition
from tests.fakes.tickets import FakeTicketStore
from tests.fakes.transaction import STATE_LOCK

Item = dict[str, Any]
SortTest = Callable[[str], bool]


def _page(
    items: list[Item],
    names: tuple[str, str, str, str],
    partition: str,
    keep: SortTest,
    newest_first: bool,
    limit: int,
    cursor: str | None,
) -> tuple[list[Item], str | None]:
    """A Query: the partition's items whose sort key passes `keep`, in order, after the cursor."""
    pk_name, sk_name, *_ = names
    others = ("sk",) if pk_name == "pk" else (sk_name, "pk", "sk")
    start = decode_cursor(cursor, {pk_name: partition}, others)

    def position(item: Item) -> tuple[str, ...]:
        return tuple(str(item[name]) for name in (sk_name, "pk", "sk"))

    rows = [i for i in items if i.get(pk_name) == partition and keep(str(i[sk_name]))]
    rows.sort(key=position, reverse=newest_first)
    if start is not None:
        after = tuple(str(start.get(name, "")) for name in (sk_name, "pk", "sk"))
        rows = [i for i in rows if (position(i) < after if newest_first else position(i) > after)]
    page = rows[:limit]
    last = (
        encode_cursor({n: page[-1][n] for n in names if n in page[-1]})
        if len(page) == limit
        else None
    )
    return page, last


class FakeDeskIndex:
    def __init__(self, store: FakeTicketStore) -> None:
        self._store = store

    def postings(
        self, desk: str, term: str, newest_first: bool, limit: int, cursor: str | None
    ) -> Page[Posting]:
        names = ("pk", "sk", "pk", "sk")
        partition = search_partition(desk, term)
        items, last = _page(
            self._store.search_items(),
            names,
            partition,
            lambda _: True,
            newest_first,
            limit,
            cursor,
        )
        return Page[Posting](
            items=[
                Posting(
                    ticket_id=str(i["ticket_id"]),
                    terms=list(i["terms"]),
                    cursor=row_cursor(i, ("pk", "sk")),
                )
                for i in items
            ],
            next_cursor=last,
        )

    def tickets(self, ticket_ids: Sequence[str]) -> dict[str, TicketRecord]:
        found = {}
        for ticket_id in ticket_ids:
            ticket = self._store.get(ticket_id)
            if ticket is not None:
                found[ticket_id] = ticket
        return found

    def by_date(self, desk: str, newest_first: bool, limit: int, cursor: str | None) -> Page[Row]:
        return self._rows("gsi4", desk, lambda _: True, newest_first, limit, cursor)

    def by_status(
        self,
        desk: str,
        status: TicketStatus | None,
        newest_first: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Row]:
        prefix = desk_status_prefix(status) if status else ""
        return self._rows(
            "gsi2",
            desk,
            lambda sk: sk.startswith(prefix),
            newest_first and bool(status),
            limit,
            cursor,
        )

    def by_wait(
        self, desk: str, waiting_before: datetime | None, limit: int, cursor: str | None
    ) -> Page[Row]:
        bound = sort_instant(waiting_before) if waiting_before else None
        return self._rows(
            "gsi5", desk, lambda sk: bound is None or sk < bound, False, limit, cursor
        )

    def created_between(self, desk: str, start: datetime, end: datetime) -> list[TicketRecord]:
        low, high = sort_instant(start), sort_instant(end)
        page = self._rows("gsi4", desk, lambda sk: low <= sk <= high, False, 10**6, None)
        return [row.ticket for row in page.items]

    def _rows(
        self,
        index: str,
        desk: str,
        keep: SortTest,
        newest_first: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Row]:
        names = (f"{index}pk", f"{index}sk", "pk", "sk")
        items, last = _page(
            self._store.ticket_items(), names, desk, keep, newest_first, limit, cursor
        )
        return Page[Row](
            items=[
                Row(ticket=TicketRecord.model_validate(strip_keys(i)), cursor=row_cursor(i, names))
                for i in items
            ],
            next_cursor=last,
        )


class FakeNoteStore:
    def __init__(self) -> None:
        self._notes: list[Note] = []

    def add(self, note: Note) -> None:
        with STATE_LOCK:
            self._notes.append(note)

    def notes(self, ticket_id: str, desk: str) -> list[Note]:
        with STATE_LOCK:
            found = [n for n in self._notes if n.ticket_id == ticket_id and n.desk == desk]
        return sorted(found, key=lambda note: (note.at, note.note_id))


class FakeAnswerStore:
    def __init__(self) -> None:
        self._answers: dict[tuple[str, str], CannedAnswer] = {}

    def list(self, desk: str, limit: int, cursor: str | None) -> Page[CannedAnswer]:
        partition = f"ANSWERS#{desk}"
        start = decode_cursor(cursor, {"pk": partition}, ("sk",))
        with STATE_LOCK:
            rows = sorted(
                (a for (d, _), a in self._answers.items() if d == desk), key=lambda a: a.answer_id
            )
        if start is not None:
            rows = [a for a in rows if f"ANSWER#{a.answer_id}" > str(start["sk"])]
        page = rows[:limit]
        last = None
        if len(page) == limit:
            last = encode_cursor({"pk": partition, "sk": f"ANSWER#{page[-1].answer_id}"})
        return Page[CannedAnswer](items=page, next_cursor=last)

    def get(self, desk: str, answer_id: str) -> CannedAnswer | None:
        with STATE_LOCK:
            return self._answers.get((desk, answer_id))

    def save(self, answer: CannedAnswer, expected_version: int | None) -> None:
        key = (answer.desk, answer.answer_id)
        with STATE_LOCK:
            stored = self._answers.get(key)
            if expected_version is None and stored is not None:
                raise StaleAnswerError(answer.answer_id)
            if expected_version is not None and (
                stored is None or stored.version != expected_version
            ):
                raise StaleAnswerError(answer.answer_id)
            self._answers[key] = answer

    def delete(self, desk: str, answer_id: str) -> bool:
        with STATE_LOCK:
            return self._answers.pop((desk, answer_id), None) is not None
