"""A chat handed over to the tickets: its advisor turns it into a ticket, the chat says so.

The LiveChat reads what the ticket needs (who, the category's ticket sub-category,
the whole transcript: ClaudIA's conversation before the chat, then the chat),
and once the ticket exists, tells the user its reference in the chat. The edge
hands the ticket's creation in between (chalicelib/endpoints/desk.py): the
LiveChat imports nothing of the tickets area.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.livechat.access import Caller, load, participant, require_advisor_of
from chalicelib.livechat.messages import PAGE_SIZE, Change, append
from chalicelib.livechat.models import TRANSCRIPT_MAX_CHARS, ChatMessage, ChatSession, category
from chalicelib.livechat.push import Push
from chalicelib.livechat.store import LiveChatStore
from chalicelib.shared.errors import ConflictError, ForbiddenError
from chalicelib.shared.models import Model

AUTHORS = {"user": "Usager", "advisor": "Conseiller", "system": "Guichet"}


class Handover(Model):
    """What a chat says, for the ticket its advisor makes of it."""

    session_id: str
    user_id: str | None
    display_name: str | None
    login_identifier: str | None
    ticket_category: str
    ticket_subcategory: str
    title: str
    description: str
    conversation_id: str | None


def all_messages(store: LiveChatStore, session_id: str) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    while True:
        page = store.messages(session_id, messages[-1].seq if messages else 0, PAGE_SIZE)
        messages.extend(page)
        if len(page) < PAGE_SIZE:
            return messages


def transcript_text(session: ChatSession, messages: list[ChatMessage]) -> str:
    found = category(session.category)
    label = found.label if found else session.category
    who = session.login_identifier or session.display_name or "usager sans compte"
    lines = [f"Ticket créé depuis le LiveChat du {session.created_at:%d/%m/%Y} ({label}), {who}."]
    if session.transcript:
        lines.append("")
        lines.append("Conversation avec ClaudIA avant le LiveChat :")
        lines.extend(
            ("Usager" if line.author == "user" else "ClaudIA") + " : " + line.text
            for line in session.transcript
        )
    lines.append("")
    lines.append("Discussion avec le conseiller :")
    for message in messages:
        name = message.author_name or AUTHORS[message.author]
        lines.append(f"{name} : {message.text}")
    text = "\n".join(lines)
    # The latest part matters most when the chat was long.
    return text if len(text) <= TRANSCRIPT_MAX_CHARS else "[…]\n" + text[-TRANSCRIPT_MAX_CHARS:]


def handover(store: LiveChatStore, session_id: str, caller: Caller) -> Handover:
    """The chat as a ticket would carry it; only the advisor who accepted it may ask."""
    session = load(store, session_id)
    if participant(session, caller) != "advisor":
        raise ForbiddenError("Seul le conseiller de la discussion peut en faire un ticket.")
    if session.advisor_id is None:
        raise ConflictError("Acceptez d'abord la discussion.")
    require_advisor_of(session, caller.identity)
    found = category(session.category)
    label = found.label if found else session.category
    return Handover(
        session_id=session.session_id,
        user_id=session.user_id,
        display_name=session.display_name,
        login_identifier=session.login_identifier,
        ticket_category=found.ticket_category if found else "AUTRE",
        ticket_subcategory=found.ticket_subcategory if found else "S90",
        title=f"Demande LiveChat : {label}",
        description=transcript_text(session, all_messages(store, session_id)),
        conversation_id=session.conversation_id,
    )


def tell_ticket(
    store: LiveChatStore,
    session_id: str,
    reference: str,
    with_account: bool,
    push: Push,
    now: datetime,
) -> ChatMessage:
    """The chat tells the user the ticket's reference (even once closed)."""
    where = (
        "Vous le retrouvez dans « Mes tickets »."
        if with_account
        else "Conservez cette référence : le support vous répondra par e-mail."
    )
    text = f"Votre demande a été enregistrée dans le ticket {reference}. {where}"

    def decide(session: ChatSession) -> Change:
        return Change("system", text, ("waiting", "active", "closed"))

    return append(store, session_id, decide, push, now)[1]
