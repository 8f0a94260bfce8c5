"""The LiveChat's domain types: sessions, messages, ratings, connections, categories."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field

from chalicelib.shared.models import Model

SessionStatus = Literal["waiting", "active", "closed"]
Author = Literal["user", "advisor", "system"]
OPEN_STATUSES: tuple[SessionStatus, ...] = ("waiting", "active")
# What a chat keeps of an assistant transcript, and the longest ticket draft it offers.
TRANSCRIPT_MAX_CHARS = 20_000
CATEGORIES_FILE = Path(__file__).resolve().parent.parent / "data" / "livechat.yaml"


class Category(Model):
    """A LiveChat category, and the ticket it becomes when nobody could answer."""

    model_config = ConfigDict(frozen=True)

    code: str
    label: str
    ticket_category: str
    ticket_subcategory: str


@cache
def categories() -> tuple[Category, ...]:
    """The categories of chalicelib/data/livechat.yaml, read once."""
    # Lazy: PyYAML costs ~38 ms at import (median of 7 fresh processes after `import app`,
    # 2026-11), paid by the first request that needs the categories, not by every cold start.
    import yaml

    data = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))
    return tuple(Category.model_validate(item) for item in data["categories"])


def category(code: str) -> Category | None:
    return next((item for item in categories() if item.code == code), None)


class TranscriptLine(Model):
    """One message of the assistant conversation a chat comes from."""

    author: Literal["user", "assistant"]
    text: str


class TicketDraft(Model):
    """A pre-filled ticket offered when the LiveChat closed before an advisor answered."""

    category: str
    subcategory: str
    title: str
    description: str


class ChatMessage(Model):
    """One message of a chat; `seq` orders them and is the polling cursor."""

    seq: int
    message_id: str
    author: Author
    author_name: str | None = None
    text: str
    sent_at: datetime
    ticket_draft: TicketDraft | None = None


class Rating(Model):
    """The user's stars for a closed chat."""

    stars: int = Field(ge=1, le=5)
    comment: str | None = None
    rated_at: datetime


class ChatSession(Model):
    """A chat between a user (possibly not logged in) and an advisor."""

    session_id: str
    status: SessionStatus
    category: str
    created_at: datetime
    # The logged-in user, or None for a person who cannot log in.
    user_id: str | None = None
    # What the advisor sees to identify the person: the login e-mail.
    login_identifier: str | None = None
    display_name: str | None = None
    # SHA-256 of the anonymous session token (the token itself is never stored).
    token_hash: str | None = None
    conversation_id: str | None = None
    transcript: list[TranscriptLine] = []
    advisor_id: str | None = None
    advisor_name: str | None = None
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: Author | None = None
    closed_reason: str | None = None
    last_seq: int = 0
    # WebSocket connections subscribed to this chat (deployed stages).
    connections: set[str] = set()
    rating: Rating | None = None


class RatingRecord(Model):
    """A rating as support agents list it."""

    session_id: str
    category: str
    # Stored without its empty fields (a rating without comment has none): default None.
    advisor_id: str | None = None
    advisor_name: str | None = None
    stars: int
    comment: str | None = None
    rated_at: datetime


class RatingStat(Model):
    """Count and average of the ratings of one category or advisor."""

    key: str
    count: int
    average: float


class Connection(Model):
    """A WebSocket connection, who opened it and the chat it follows."""

    connection_id: str
    user_id: str | None = None
    roles: list[str] = []
    session_id: str | None = None
    connected_at: datetime
