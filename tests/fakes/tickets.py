"""An in-memory `TicketStore`: the tickets table's items, kept as DynamoDB would keep them.

Tickets and events are stored as the items chalicelib/tickets/keys.py lays out
(`ticket_item`, `event_item`: the same index keys), so the listings read them the
way the indexes do: an emitter's tickets by gsi1 (or gsi3 with a status), newest
first; a desk by gsi2, in status rank then oldest first, `begins_with` the
status. Pages end where DynamoDB's do: a page that reaches `limit` carries a
cursor (the encoded LastEvaluatedKey, with the same attributes as DynamoDB's),
even when nothing follows; the page after it is then empty, without a cursor.

Writes follow the adapter's conditions: "ticket" fails on creation when the
ticket exists, on a change unless the stored version is the one read; a change
never touches `delivered_seq` / `notified_seq`, which only `mark_delivered` and
`mark_notified` write, each once per dispatch.
"""

from __future__ import annotations

from typing import Any

from chalicelib.shared.dynamo import Transaction, TransactionFailed
from chalicelib.shared.pagination import Page, decode_cursor, encode_cursor
from chalicelib.tickets.keys import (
    CONSUMER_ATTRIBUTES,
    desk_status_prefix,
    emitter_partition,
    emitter_status_partition,
    event_item,
    strip_keys,
    ticket_item,
)
from chalicelib.tickets.records import TicketEvent, TicketRecord, TicketStatus
from chalicelib.tickets.store import EVENT, TICKET
from tests.fakes.transaction import STATE_LOCK, FakeTransaction, always, fake_transaction

Item = dict[str, Any]


class FakeTicketStore:
    """Tickets, their history and the reference counters, in memory."""

    def __init__(self) -> None:
        self._tickets: dict[str, Item] = {}
        # ticket id -> event sort key -> event item
        self._events: dict[str, dict[str, Item]] = {}
        self._counters: dict[int, int] = {}

    # Writes

    def next_reference_number(self, year: int) -> int:
        with STATE_LOCK:
            self._counters[year] = self._counters.get(year, 0) + 1
            return self._counters[year]

    def create_in(self, tx: Transaction, ticket: TicketRecord, event: TicketEvent) -> None:
        item = ticket_item(ticket)
        fake_transaction(tx).add(
            TICKET,
            lambda: ticket.ticket_id not in self._tickets,
            lambda: self._tickets.__setitem__(ticket.ticket_id, item),
        )
        self._add_event(fake_transaction(tx), event)

    def change_in(
        self, tx: Transaction, before: TicketRecord, after: TicketRecord, event: TicketEvent
    ) -> None:
        ticket_id = before.ticket_id

        def unchanged_since_read() -> bool:
            stored = self._tickets.get(ticket_id)
            return stored is not None and stored["version"] == before.version

        def write() -> None:
            stored = self._tickets[ticket_id]
            item = ticket_item(after.model_copy(update={"version": before.version + 1}))
            for name in CONSUMER_ATTRIBUTES:
                item[name] = stored[name]
            self._tickets[ticket_id] = item

        fake_transaction(tx).add(TICKET, unchanged_since_read, write)
        self._add_event(fake_transaction(tx), event)

    def _add_event(self, tx: FakeTransaction, event: TicketEvent) -> None:
        item = event_item(event)

        def write() -> None:
            # Same sort key, same item: DynamoDB's Put overwrites it too.
            self._events.setdefault(event.ticket_id, {})[str(item["sk"])] = item

        tx.add(EVENT, always, write)

    def mark_delivered(self, ticket_id: str, dispatch_seq: int, event: TicketEvent) -> bool:
        def due() -> bool:
            stored = self._tickets.get(ticket_id)
            return (
                stored is not None
                and stored["dispatch_seq"] == dispatch_seq
                and stored["delivered_seq"] < dispatch_seq
            )

        tx = FakeTransaction()
        tx.add(TICKET, due, lambda: self._tickets[ticket_id].update(delivered_seq=dispatch_seq))
        self._add_event(tx, event)
        try:
            tx.commit()
        except TransactionFailed as failed:
            if failed.failed(TICKET):
                return False
            raise
        return True

    def mark_notified(self, ticket_id: str, dispatch_seq: int) -> bool:
        with STATE_LOCK:
            stored = self._tickets.get(ticket_id)
            if stored is None or stored["notified_seq"] >= dispatch_seq:
                return False
            stored["notified_seq"] = dispatch_seq
            return True

    # Reads

    def get(self, ticket_id: str) -> TicketRecord | None:
        with STATE_LOCK:
            item = self._tickets.get(ticket_id)
            return TicketRecord.model_validate(strip_keys(item)) if item else None

    def get_with_history(self, ticket_id: str) -> tuple[TicketRecord, list[TicketEvent]] | None:
        with STATE_LOCK:
            item = self._tickets.get(ticket_id)
            if item is None:
                return None
            history = self._events.get(ticket_id, {})
            # The partition's sort order (EVENT#{at}#{id}), then by time as the adapter sorts.
            events = [TicketEvent.model_validate(strip_keys(history[sk])) for sk in sorted(history)]
            events.sort(key=lambda event: event.at)
            return TicketRecord.model_validate(strip_keys(item)), events

    def list_by_emitter(
        self, user_id: str, status: TicketStatus | None, limit: int, cursor: str | None
    ) -> Page[TicketRecord]:
        if status is None:
            return self._query("gsi1", emitter_partition(user_id), None, limit, cursor, True)
        partition = emitter_status_partition(user_id, status)
        return self._query("gsi3", partition, None, limit, cursor, True)

    def list_desk(
        self, partition: str, status: TicketStatus | None, limit: int, cursor: str | None
    ) -> Page[TicketRecord]:
        prefix = desk_status_prefix(status) if status else None
        return self._query("gsi2", partition, prefix, limit, cursor, False)

    def _query(
        self,
        index: str,
        partition: str,
        sort_prefix: str | None,
        limit: int,
        cursor: str | None,
        newest_first: bool,
    ) -> Page[TicketRecord]:
        """A Query on an index, as DynamoDB pages it (see the module's docstring)."""
        if limit < 1:
            raise ValueError("Limit must be at least 1")
        partition_name, sort_name = f"{index}pk", f"{index}sk"
        start = decode_cursor(cursor, {partition_name: partition}, (sort_name, "pk", "sk"))

        def position(item: Item) -> tuple[str, str, str]:
            return (str(item[sort_name]), str(item["pk"]), str(item["sk"]))

        with STATE_LOCK:
            rows = [
                item
                for item in self._tickets.values()
                if item.get(partition_name) == partition
                and str(item[sort_name]).startswith(sort_prefix or "")
            ]
            rows.sort(key=position, reverse=newest_first)
            if start is not None:
                after = tuple(str(start.get(name, "")) for name in (sort_name, "pk", "sk"))
                rows = [
                    item
                    for item in rows
                    if (position(item) < after if newest_first else position(item) > after)
                ]
            page = rows[:limit]
            items = [TicketRecord.model_validate(strip_keys(item)) for item in page]
        last_key = None
        if len(page) == limit:
            last = page[-1]
            last_key = {name: last[name] for name in (partition_name, sort_name, "pk", "sk")}
        return Page[TicketRecord](items=items, next_cursor=encode_cursor(last_key))

    # For tests

    def all_tickets(self) -> list[TicketRecord]:
        """Every ticket stored, in no particular order."""
        with STATE_LOCK:
            return [TicketRecord.model_validate(strip_keys(i)) for i in self._tickets.values()]
