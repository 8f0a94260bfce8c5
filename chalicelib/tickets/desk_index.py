"""The desk's reads: search postings, a desk by date, by status, by waiting time, reports.

`DeskIndex` is what the desk's listing, search and reports read through; the
DynamoDB implementation reads the tickets table (keys: chalicelib/tickets/keys.py
and search.py), an in-memory fake in tests/fakes/ the same items. Every read is
one Query (or one BatchGetItem), paged by an opaque cursor; each row carries
the cursor that resumes *after it*, so a service that keeps only part of a page
(filters) still pages exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.shared.models import Model
from chalicelib.shared.pagination import Page, decode_cursor, encode_cursor
from chalicelib.tickets.keys import desk_status_prefix, sort_instant, strip_keys, ticket_pk
from chalicelib.tickets.records import TicketRecord, TicketStatus
from chalicelib.tickets.search import search_partition

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# BatchGetItem reads at most 100 keys a call.
BATCH_LIMIT = 100


class Posting(Model):
    """A search hit: the ticket, its terms, and the cursor that resumes after it."""

    ticket_id: str
    terms: list[str]
    cursor: str


class Row(Model):
    """A ticket of a desk listing, and the cursor that resumes after it."""

    ticket: TicketRecord
    cursor: str


class DeskIndex(Protocol):
    """The desk's reads (DynamoDB, or an in-memory fake)."""

    def postings(
        self, desk: str, term: str, newest_first: bool, limit: int, cursor: str | None
    ) -> Page[Posting]:
        """The tickets of a desk having `term`, by creation date."""
        ...

    def tickets(self, ticket_ids: Sequence[str]) -> dict[str, TicketRecord]:
        """Tickets by id (strongly consistent; unknown ids left out)."""
        ...

    def by_date(self, desk: str, newest_first: bool, limit: int, cursor: str | None) -> Page[Row]:
        """A whole desk by creation date (gsi4)."""
        ...

    def by_status(
        self,
        desk: str,
        status: TicketStatus | None,
        newest_first: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Row]:
        """A desk's tickets of one status by creation date; without, workflow order (gsi2)."""
        ...

    def by_wait(
        self, desk: str, waiting_before: datetime | None, limit: int, cursor: str | None
    ) -> Page[Row]:
        """The tickets waiting for their recipient, longest wait first (gsi5); with
        `waiting_before`, only those waiting since before that instant."""
        ...

    def created_between(self, desk: str, start: datetime, end: datetime) -> list[TicketRecord]:
        """Every ticket of a desk created in [start, end) (gsi4, paged through: reports)."""
        ...


def row_cursor(item: dict[str, Any], names: Sequence[str]) -> str:
    cursor = encode_cursor({name: item[name] for name in names})
    assert cursor is not None
    return cursor


class DynamoDeskIndex:
    """The desk's reads on the tickets table."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def postings(
        self, desk: str, term: str, newest_first: bool, limit: int, cursor: str | None
    ) -> Page[Posting]:
        """One Query on the term's partition."""
        partition = search_partition(desk, term)
        items, last = self._query(None, ("pk", partition), None, newest_first, limit, cursor)
        return Page[Posting](
            items=[
                Posting(
                    ticket_id=str(item["ticket_id"]),
                    terms=[str(t) for t in item.get("terms", [])],
                    cursor=row_cursor(item, ("pk", "sk")),
                )
                for item in items
            ],
            next_cursor=last,
        )

    def tickets(self, ticket_ids: Sequence[str]) -> dict[str, TicketRecord]:
        """One BatchGetItem per 100 ids (unprocessed keys asked again)."""
        found: dict[str, TicketRecord] = {}
        unique = list(dict.fromkeys(ticket_ids))
        for start in range(0, len(unique), BATCH_LIMIT):
            keys = [
                {"pk": ticket_pk(i), "sk": "TICKET"} for i in unique[start : start + BATCH_LIMIT]
            ]
            request: dict[str, Any] = {self._table.name: {"Keys": keys, "ConsistentRead": True}}
            for _ in range(5):
                response = self._table.meta.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table.name, []):
                    record = TicketRecord.model_validate(strip_keys(item))
                    found[record.ticket_id] = record
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
        return found

    def by_date(self, desk: str, newest_first: bool, limit: int, cursor: str | None) -> Page[Row]:
        return self._rows("gsi4", desk, None, newest_first, limit, cursor)

    def by_status(
        self,
        desk: str,
        status: TicketStatus | None,
        newest_first: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Row]:
        prefix = ("begins", desk_status_prefix(status)) if status else None
        return self._rows("gsi2", desk, prefix, newest_first and bool(status), limit, cursor)

    def by_wait(
        self, desk: str, waiting_before: datetime | None, limit: int, cursor: str | None
    ) -> Page[Row]:
        bound = ("below", sort_instant(waiting_before)) if waiting_before else None
        return self._rows("gsi5", desk, bound, False, limit, cursor)

    def created_between(self, desk: str, start: datetime, end: datetime) -> list[TicketRecord]:
        bound = ("between", sort_instant(start), sort_instant(end))
        records: list[TicketRecord] = []
        cursor: str | None = None
        while True:
            page = self._rows("gsi4", desk, bound, False, 1000, cursor)
            records.extend(row.ticket for row in page.items)
            if page.next_cursor is None:
                return records
            cursor = page.next_cursor

    def _rows(
        self,
        index: str,
        desk: str,
        sort: tuple[str, ...] | None,
        newest_first: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Row]:
        names = (f"{index}pk", f"{index}sk", "pk", "sk")
        items, last = self._query(index, (names[0], desk), sort, newest_first, limit, cursor)
        rows = [
            Row(
                ticket=TicketRecord.model_validate(strip_keys(item)), cursor=row_cursor(item, names)
            )
            for item in items
        ]
        return Page[Row](items=rows, next_cursor=last)

    def _query(
        self,
        index: str | None,
        partition: tuple[str, str],
        sort: tuple[str, ...] | None,
        newest_first: bool,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        name, value = partition
        sort_name = name[:-2] + "sk"
        condition = f"{name} = :pk"
        values: dict[str, Any] = {":pk": value}
        if sort is not None:
            kind, *bounds = sort
            if kind == "begins":
                condition += f" AND begins_with({sort_name}, :a)"
            elif kind == "below":
                condition += f" AND {sort_name} < :a"
            else:
                condition += f" AND {sort_name} BETWEEN :a AND :b"
            values.update({f":{key}": bound for key, bound in zip("ab", bounds, strict=False)})
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": not newest_first,
            "Limit": limit,
        }
        if index is not None:
            kwargs["IndexName"] = index
        # A base-table page ends on (pk, sk); an index page on its keys and the table's.
        others = ("sk",) if index is None else (sort_name, "pk", "sk")
        start = decode_cursor(cursor, {name: value}, others)
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        response = self._table.query(**kwargs)
        return list(response.get("Items", [])), encode_cursor(response.get("LastEvaluatedKey"))
