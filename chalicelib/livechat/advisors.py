"""The advisors' side: the queue of waiting chats, their own active chats, taking a chat."""

from __future__ import annotations

from datetime import datetime

from chalicelib.auth import Identity
from chalicelib.livechat.messages import Change, append
from chalicelib.livechat.models import ChatSession, categories
from chalicelib.livechat.push import Push
from chalicelib.livechat.sessions import SessionView, view
from chalicelib.livechat.store import LiveChatStore
from chalicelib.shared.errors import ConflictError
from chalicelib.shared.models import Model


class QueueEntry(Model):
    session_id: str
    category: str
    created_at: datetime
    login_identifier: str | None
    display_name: str | None
    has_transcript: bool
    messages: int
    advisor_name: str | None = None


class QueueGroup(Model):
    code: str
    label: str
    sessions: list[QueueEntry]


def _entry(session: ChatSession) -> QueueEntry:
    return QueueEntry(
        session_id=session.session_id,
        category=session.category,
        created_at=session.created_at,
        login_identifier=session.login_identifier,
        display_name=session.display_name,
        has_transcript=bool(session.transcript),
        messages=session.last_seq,
        advisor_name=session.advisor_name,
    )


def advisor_queue(store: LiveChatStore) -> list[QueueGroup]:
    """Waiting chats by category, oldest first (every category listed, even empty)."""
    waiting = store.waiting_sessions()
    groups = []
    for item in categories():
        entries = [_entry(s) for s in waiting if s.category == item.code and s.status == "waiting"]
        entries.sort(key=lambda entry: entry.created_at)
        groups.append(QueueGroup(code=item.code, label=item.label, sessions=entries))
    return groups


def advisor_sessions(store: LiveChatStore, advisor: Identity) -> list[QueueEntry]:
    """The advisor's active chats."""
    return [_entry(s) for s in store.advisor_sessions(advisor.user_id) if s.status == "active"]


def accept_session(
    store: LiveChatStore, session_id: str, advisor: Identity, push: Push, now: datetime
) -> SessionView:
    """The advisor takes a waiting chat; a chat has one advisor (a second accept is 409)."""
    name = advisor.name or "Votre conseiller"

    def decide(session: ChatSession) -> Change:
        if session.status != "waiting":
            raise ConflictError("Cette conversation a déjà été prise en charge ou close.")
        return Change(
            "system",
            f"{name} a rejoint la conversation.",
            ("waiting",),
            changes={
                "status": "active",
                "advisor_id": advisor.user_id,
                "advisor_name": name,
                "accepted_at": now.isoformat(),
            },
        )

    return view(append(store, session_id, decide, push, now)[0])
