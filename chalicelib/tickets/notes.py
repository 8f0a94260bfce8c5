"""Internal notes: what agents of a desk write on a ticket for each other, never for the emitter.

A note is its own item, in a partition of its own that names the desk it was
written on (`NOTES#{ticket}#{desk}` / `{at}#{note id}`): the emitter's reads
(`GET /tickets/{id}`, the ticket's history Query on `TICKET#{id}`) never reach
it, no history event is written (the e-mails come from history events), and
after a transfer the new desk does not read the old desk's notes. Writing a note
is one PutItem; the desk's view of a ticket reads them with one Query.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from chalicelib.auth import Identity
from chalicelib.shared.models import Model
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.desk import AgentScope, visible_ticket
from chalicelib.tickets.keys import desk_partition, sort_instant
from chalicelib.tickets.records import Actor, TicketRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

MAX_NOTES = 200


class Note(Model):
    """An internal note of a desk on a ticket."""

    note_id: str
    ticket_id: str
    desk: str
    text: str
    by: Actor
    at: datetime


class NoteStore(Protocol):
    """Internal notes (DynamoDB, or an in-memory fake)."""

    def add(self, note: Note) -> None:
        """Keep a note."""
        ...

    def notes(self, ticket_id: str, desk: str) -> list[Note]:
        """The notes of one desk on a ticket, oldest first."""
        ...


def notes_partition(ticket_id: str, desk: str) -> str:
    return f"NOTES#{ticket_id}#{desk}"


class DynamoNoteStore:
    """Notes in the tickets table."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def add(self, note: Note) -> None:
        self._table.put_item(
            Item={
                "pk": notes_partition(note.ticket_id, note.desk),
                "sk": f"{sort_instant(note.at)}#{note.note_id}",
                "item_type": "note",
                **note.model_dump(mode="json", exclude_none=True),
            }
        )

    def notes(self, ticket_id: str, desk: str) -> list[Note]:
        """One Query (the latest MAX_NOTES)."""
        response = self._table.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": notes_partition(ticket_id, desk)},
            ScanIndexForward=False,
            Limit=MAX_NOTES,
        )
        notes = [
            Note.model_validate(
                {k: v for k, v in item.items() if k not in ("pk", "sk", "item_type")}
            )
            for item in response.get("Items", [])
        ]
        return list(reversed(notes))


def ticket_desk(ticket: TicketRecord) -> str:
    return desk_partition(ticket.recipient.type, ticket.recipient.organisation_id)


def add_note(
    ctx: TicketContext,
    notes: NoteStore,
    caller: Identity,
    ticket_id: str,
    text: str,
    now: datetime,
) -> Note:
    """An agent of the ticket's desk writes a note (404 for anyone else)."""
    scope = AgentScope(caller, ctx)
    ticket = visible_ticket(scope, ticket_id)
    note = Note(
        note_id=uuid.uuid4().hex[:12],
        ticket_id=ticket.ticket_id,
        desk=ticket_desk(ticket),
        text=text,
        by=scope.actor(),
        at=now,
    )
    notes.add(note)
    return note
