"""A ticket as its desk sees it: the emitter's view plus its age, the desk's internal notes
and, for a ticket that came from ClaudIA, the conversation's transcript.

The transcript is read through the assistant (a callable the edge hands in:
chalicelib/endpoints/wiring.py), *as the ticket's emitter*: the assistant's own
rule decides (the conversation's owner, or whoever holds the id of an anonymous
one), so a ticket naming someone else's conversation shows no transcript. It
lives as long as the conversation (30 days); the ticket's description keeps the
draft's copy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from chalicelib.auth import Identity
from chalicelib.shared.models import Model
from chalicelib.tickets.ageing import Ageing, TicketAge, age_of
from chalicelib.tickets.changes import not_found
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.desk import AgentScope
from chalicelib.tickets.followup import ticket_view
from chalicelib.tickets.notes import Note, NoteStore, ticket_desk
from chalicelib.tickets.views import TicketView


class TranscriptTurn(Model):
    """One turn of the ClaudIA conversation a ticket came from."""

    author: Literal["user", "assistant"]
    text: str


# (conversation id, the emitter's user id or None) -> its turns, None when unreadable.
Transcripts = Callable[[str, str | None], list[TranscriptTurn] | None]


class DeskTicketView(TicketView):
    """The emitter's view of the ticket, with what only its desk sees."""

    age: TicketAge
    notes: list[Note]
    conversation_id: str | None = None
    transcript: list[TranscriptTurn] | None = None


def desk_ticket(
    ctx: TicketContext,
    notes: NoteStore,
    ageing: Ageing,
    transcripts: Transcripts,
    caller: Identity,
    ticket_id: str,
    now: datetime,
) -> DeskTicketView:
    """One Query (ticket and history), one for the notes, the attachments' BatchGetItem when
    it has some, and the conversation's GetItem when it came from ClaudIA."""
    scope = AgentScope(caller, ctx)
    found = ctx.store.get_with_history(ticket_id)
    if found is None or not scope.can_see(found[0]):
        raise not_found()
    ticket = found[0]
    transcript = None
    if ticket.conversation_id:
        transcript = transcripts(ticket.conversation_id, ticket.emitter_user_id)
    return DeskTicketView(
        **ticket_view(ctx, *found, now).model_dump(),
        age=age_of(ageing, ticket, now),
        notes=notes.notes(ticket.ticket_id, ticket_desk(ticket)),
        conversation_id=ticket.conversation_id,
        transcript=transcript,
    )
