"""Closing time: chats still waiting when the LiveChat closes are closed with a ticket draft.

Each gets a system message holding a ticket draft (category, sub-category, title,
transcript) that the user can turn into a ticket; no ticket is created
automatically. Active chats with an advisor are left to finish.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.livechat.messages import PAGE_SIZE, Change, append
from chalicelib.livechat.models import (
    TRANSCRIPT_MAX_CHARS,
    ChatMessage,
    ChatSession,
    TicketDraft,
    category,
)
from chalicelib.livechat.push import Push
from chalicelib.livechat.sessions import closed_changes
from chalicelib.livechat.store import LiveChatStore
from chalicelib.shared.errors import ConflictError, NotFoundError

CLOSING_NOTICE = (
    "Le LiveChat est maintenant fermé et aucun conseiller n'a pu vous répondre. "
    "Vous pouvez transformer cette conversation en ticket : le brouillon ci-joint "
    "reprend votre demande."
)


def ticket_draft(session: ChatSession, messages: list[ChatMessage]) -> TicketDraft:
    """The ticket a chat unanswered at closing could become, pre-filled from its transcript."""
    found = category(session.category)
    label = found.label if found else session.category
    lines = [f"Demande LiveChat du {session.created_at:%d/%m/%Y} ({label})."]
    for line in session.transcript:
        lines.append(("Vous" if line.author == "user" else "ClaudIA") + " : " + line.text)
    lines.extend(f"Vous : {m.text}" for m in messages if m.author == "user")
    return TicketDraft(
        category=found.ticket_category if found else "AUTRE",
        subcategory=found.ticket_subcategory if found else "S90",
        title=f"Demande LiveChat : {label}",
        description="\n".join(lines)[:TRANSCRIPT_MAX_CHARS],
    )


def close_waiting_sessions(store: LiveChatStore, push: Push, now: datetime) -> int:
    """Close every chat still waiting, each with the closing notice and its ticket draft."""
    closed = 0
    for waiting in store.waiting_sessions():
        draft = ticket_draft(waiting, store.messages(waiting.session_id, 0, PAGE_SIZE))

        def decide(session: ChatSession, draft: TicketDraft = draft) -> Change:
            if session.status != "waiting":
                raise ConflictError("Conversation déjà prise en charge.")
            return Change(
                "system",
                CLOSING_NOTICE,
                ("waiting",),
                changes=closed_changes("system", "livechat_closed", now),
                ticket_draft=draft,
            )

        try:
            append(store, waiting.session_id, decide, push, now)
        except (ConflictError, NotFoundError):
            continue
        closed += 1
    return closed
