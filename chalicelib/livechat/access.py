"""Who may act on a chat: the one rule HTTP routes and WebSocket subscriptions share.

A chat's user is recognised by their token's user id or, for people who cannot log
in, by the session token returned at creation (only its SHA-256 is stored); support
agents may read any chat and act on the ones they accepted. Anyone else gets a 404,
as if the chat did not exist.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from chalicelib.auth import SUPPORT_AGENTS, Identity
from chalicelib.livechat.models import ChatSession
from chalicelib.livechat.store import LiveChatStore
from chalicelib.shared.errors import ForbiddenError, NotFoundError

Role = Literal["user", "advisor"]


@dataclass(frozen=True)
class Caller:
    """Who acts on a chat: a token's user, and/or the holder of a session token."""

    identity: Identity | None
    session_token: str | None = None


def hash_token(token: str) -> str:
    """What is stored of an anonymous chat's session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def participant(session: ChatSession, caller: Caller) -> Role:
    """The caller's part in the chat; NotFoundError when they have none."""
    if caller.session_token and session.token_hash:
        if hmac.compare_digest(hash_token(caller.session_token), session.token_hash):
            return "user"
    identity = caller.identity
    if identity is not None and session.user_id is not None and identity.user_id == session.user_id:
        return "user"
    if identity is not None and identity.has_role(SUPPORT_AGENTS):
        return "advisor"
    raise NotFoundError("Conversation introuvable.")


def load(store: LiveChatStore, session_id: str) -> ChatSession:
    """The chat, or the 404 of one that does not exist."""
    session = store.session(session_id)
    if session is None:
        raise NotFoundError("Conversation introuvable.")
    return session


def require_advisor_of(session: ChatSession, identity: Identity | None) -> Identity:
    """The advisor who accepted the chat; ForbiddenError for any other."""
    if identity is None or session.advisor_id != identity.user_id:
        raise ForbiddenError("Cette conversation est suivie par un autre conseiller.")
    return identity
