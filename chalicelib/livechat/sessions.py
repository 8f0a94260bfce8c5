"""A chat as its participants see it: read it, close it.

Who may act on a chat is chalicelib/livechat/access.py; opening one, creation.py;
its messages, messages.py; the advisors' side, advisors.py; ratings, ratings.py;
what closing time does to waiting chats, closing.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.livechat.access import Caller, load, participant, require_advisor_of
from chalicelib.livechat.messages import Change, append
from chalicelib.livechat.models import (
    OPEN_STATUSES,
    Author,
    ChatSession,
    Rating,
    SessionStatus,
    TranscriptLine,
    category,
)
from chalicelib.livechat.push import Push
from chalicelib.livechat.store import LiveChatStore
from chalicelib.shared.errors import ConflictError
from chalicelib.shared.models import Model


class SessionView(Model):
    """A chat as its participants see it (the transcript is there for the advisor)."""

    session_id: str
    status: SessionStatus
    category: str
    category_label: str
    created_at: datetime
    login_identifier: str | None
    display_name: str | None
    conversation_id: str | None
    transcript: list[TranscriptLine]
    advisor_name: str | None
    accepted_at: datetime | None
    closed_at: datetime | None
    closed_by: Author | None
    closed_reason: str | None
    last_seq: int
    rating: Rating | None


def view(session: ChatSession) -> SessionView:
    """The chat as its participants see it."""
    found = category(session.category)
    return SessionView(
        session_id=session.session_id,
        status=session.status,
        category=session.category,
        category_label=found.label if found else session.category,
        created_at=session.created_at,
        login_identifier=session.login_identifier,
        display_name=session.display_name,
        conversation_id=session.conversation_id,
        transcript=session.transcript,
        advisor_name=session.advisor_name,
        accepted_at=session.accepted_at,
        closed_at=session.closed_at,
        closed_by=session.closed_by,
        closed_reason=session.closed_reason,
        last_seq=session.last_seq,
        rating=session.rating,
    )


def read_session(store: LiveChatStore, session_id: str, caller: Caller) -> SessionView:
    """The chat, for a participant."""
    session = load(store, session_id)
    participant(session, caller)
    return view(session)


def closed_changes(by: Author, reason: str, now: datetime) -> dict[str, Any]:
    """What closing changes on a chat (the store frees its user's lock with it)."""
    return {
        "status": "closed",
        "closed_at": now.isoformat(),
        "closed_by": by,
        "closed_reason": reason,
    }


def close_session(
    store: LiveChatStore, session_id: str, caller: Caller, push: Push, now: datetime
) -> SessionView:
    """The user, or the advisor who accepted it, closes the chat."""

    def decide(session: ChatSession) -> Change:
        role = participant(session, caller)
        if session.status == "closed":
            raise ConflictError("Cette conversation est déjà close.")
        if role == "advisor" and session.status == "active":
            require_advisor_of(session, caller.identity)
        text = (
            "Le conseiller a clos la conversation."
            if role == "advisor"
            else ("Vous avez clos la conversation.")
        )
        return Change(
            "system",
            text,
            OPEN_STATUSES,
            changes=closed_changes(role, f"closed_by_{role}", now),
        )

    return view(append(store, session_id, decide, push, now)[0])
