"""A ticket made from a LiveChat by its advisor: the transcript becomes the description.

The LiveChat hands over what the chat says (`ChatHandover`, built at the edge
from the LiveChat's own reading of the chat: the areas import nothing of each
other). The ticket is addressed to the tool support, in the sub-category the
chat's category maps to (chalicelib/data/livechat.yaml). A signed-in user is its
emitter and finds it in Mes tickets; a person without an account becomes the
emitter of a help request (channel `help_request`, contact: the login e-mail),
whose reference the chat tells them. One ticket per chat: the chat's id is the
idempotency key, so pressing twice gives back the first ticket.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.routing.recipients import support_recipient
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.idempotency import claim_key, first_response
from chalicelib.shared.models import Model
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.records import TicketRecord
from chalicelib.tickets.submission import create_ticket, new_ticket_id, next_reference

DESCRIPTION_MAX = 10_000


class ChatHandover(Model):
    """What a chat says, for the ticket it becomes."""

    session_id: str
    user_id: str | None
    display_name: str | None
    login_identifier: str | None
    category: str
    subcategory: str
    title: str
    description: str
    conversation_id: str | None = None


class ChatTicket(Model):
    """The ticket made from a chat."""

    ticket_id: str
    reference: str
    status: str
    channel: str
    # Who finds it in Mes tickets (None: a person without an account, told its reference).
    emitter_user_id: str | None


def ticket_from_chat(ctx: TicketContext, chat: ChatHandover, now: datetime) -> ChatTicket:
    """The chat's ticket: made once, in one transaction with its idempotency record."""
    claim = claim_key("chat_ticket", chat.session_id, chat.session_id, {"chat": chat.session_id})
    first = first_response(ctx.idempotency, claim, now)
    if first is not None:
        return ChatTicket.model_validate(first)
    user = ctx.directory.user(chat.user_id) if chat.user_id else None
    contact = user.email if user else chat.login_identifier
    if not contact:
        raise InvalidFieldsError.single("session_id", "Cette discussion n'a pas d'adresse e-mail.")
    ticket = TicketRecord(
        ticket_id=new_ticket_id(),
        reference=next_reference(ctx.store, now),
        channel="portal" if chat.user_id else "help_request",
        status="submitted",
        emitter_user_id=chat.user_id,
        emitter_name=chat.display_name or contact,
        category=chat.category,
        subcategory=chat.subcategory,
        title=chat.title[:120],
        description=chat.description[:DESCRIPTION_MAX],
        contact_email=contact,
        recipient=support_recipient(ctx.settings),
        conversation_id=chat.conversation_id,
        created_at=now,
        updated_at=now,
    )
    response = ChatTicket(
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        status=ticket.status,
        channel=ticket.channel,
        emitter_user_id=ticket.emitter_user_id,
    )
    return ChatTicket.model_validate(create_ticket(ctx, ticket, response, claim, now))
