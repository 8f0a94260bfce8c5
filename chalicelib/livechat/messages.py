"""A chat's messages: every change of a chat is one append, and the messages both ways.

Every change of a chat (message, accept, close, closing notice) is one append: the
session's `last_seq` moves from n to n+1 and message n+1 is written in the same
write (`LiveChatStore.write_event`); a race retries on a fresh read, after a short random
pause, for up to WRITE_ATTEMPTS tries (twenty messages posted at once to one chat
all get stored), then answers 409 with Retry-After. Users may
write while waiting (to describe their problem); advisors write once they
accepted. Each message appended is pushed to the chat's connected clients.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.livechat.access import Caller, load, participant, require_advisor_of
from chalicelib.livechat.models import (
    OPEN_STATUSES,
    Author,
    ChatMessage,
    ChatSession,
    SessionStatus,
    TicketDraft,
)
from chalicelib.livechat.push import Push
from chalicelib.livechat.store import ConcurrentChangeError, LiveChatStore
from chalicelib.shared.errors import ConflictError
from chalicelib.shared.models import Model

PAGE_SIZE = 100
# Each lost race costs a read and a write; with a pause of up to 2, 4... 32 ms
# between tries, 30 tries outlast dozens of writers on one chat.
WRITE_ATTEMPTS = 30
PAUSE_CAP_SECONDS = 0.032


def _pause(attempt: int) -> None:
    """A random pause before try `attempt + 1` (full jitter: racers spread out)."""
    time.sleep(random.uniform(0, min(PAUSE_CAP_SECONDS, 0.002 * 2**attempt)))


class MessagesPage(Model):
    """Messages after a cursor; poll again with `?after=<next_after>`."""

    status: SessionStatus
    messages: list[ChatMessage]
    next_after: int


@dataclass
class Change:
    """One append to a chat: its message, and the session fields it changes (JSON values)."""

    author: Author
    text: str
    allowed: tuple[SessionStatus, ...]
    author_name: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    ticket_draft: TicketDraft | None = None


def append(
    store: LiveChatStore,
    session_id: str,
    decide: Callable[[ChatSession], Change],
    push: Push,
    now: datetime,
) -> tuple[ChatSession, ChatMessage]:
    """Apply `decide`'s change to a fresh read of the chat, retrying on a concurrent write."""
    for attempt in range(WRITE_ATTEMPTS):
        session = load(store, session_id)
        change = decide(session)
        message = ChatMessage(
            seq=session.last_seq + 1,
            message_id=f"{session.session_id}:{session.last_seq + 1}",
            author=change.author,
            author_name=change.author_name,
            text=change.text,
            sent_at=now,
            ticket_draft=change.ticket_draft,
        )
        try:
            store.write_event(session, message, allowed=change.allowed, changes=change.changes)
        except ConcurrentChangeError:
            _pause(attempt)
            continue
        updated = ChatSession.model_validate(
            {**session.model_dump(), **change.changes, "last_seq": message.seq}
        )
        push.message_posted(updated, message)
        if session.status == "waiting" and updated.status != "waiting":
            # Accepted or closed while waiting: it leaves the advisors' queue.
            push.queue_changed()
        return updated, message
    raise ConflictError(
        "La conversation vient de changer : réessayez.", headers={"Retry-After": "1"}
    )


def post_message(
    store: LiveChatStore, session_id: str, caller: Caller, text: str, push: Push, now: datetime
) -> ChatMessage:
    """A message from the chat's user, or from the advisor who accepted it."""

    def decide(session: ChatSession) -> Change:
        role = participant(session, caller)
        if session.status == "closed":
            raise ConflictError("Cette conversation est close.")
        if role == "user":
            return Change("user", text, OPEN_STATUSES, author_name=session.display_name)
        if session.status != "active":
            raise ConflictError("Prenez d'abord la conversation en charge.")
        advisor = require_advisor_of(session, caller.identity)
        return Change("advisor", text, ("active",), author_name=advisor.name)

    return append(store, session_id, decide, push, now)[1]


def read_messages(
    store: LiveChatStore, session_id: str, caller: Caller, after: int
) -> MessagesPage:
    """The messages after seq `after`, for a participant."""
    session = load(store, session_id)
    participant(session, caller)
    messages = store.messages(session_id, after, PAGE_SIZE)
    next_after = messages[-1].seq if messages else after
    return MessagesPage(status=session.status, messages=messages, next_after=next_after)
