"""Opening a chat: checked, one per user, rate limited without an account, created once.

Decisions:
- One waiting or active chat per logged-in user, enforced by a lock item
  written in the creating transaction; a second create returns the existing
  chat (the route answers 201 with `resumed`). Anonymous creates cannot be
  locked on an unverified e-mail (anyone could block anyone), so they are rate
  limited per client address instead.
- A chat opened from an assistant conversation carries its transcript, read
  through `TranscriptSource`, a callable the edge builds from the assistant
  (the LiveChat imports nothing of it); the latest lines that fit are kept.
- With an `Idempotency-Key`, the chat and the first response are written in
  one transaction (`create_once`): a retry gets the first response.
- A chat without an account is the holder's of a secret. The client brings its
  own in `X-Session-Token` (32 to 128 characters of base64url, as an upload
  token) and only its SHA-256 is stored: the response carries no secret, so
  replaying the creation with the same Idempotency-Key reveals nothing (the
  secret's hash is part of the request's fingerprint: a replay with another
  secret is the 422 of a reused key). A client that brings none gets one made
  for it, in the response to its first call only: the response kept for the
  key has no `session_token`.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from chalicelib.auth import Identity
from chalicelib.livechat.access import Caller, hash_token, load
from chalicelib.livechat.models import (
    TRANSCRIPT_MAX_CHARS,
    ChatSession,
    SessionStatus,
    TranscriptLine,
    categories,
    category,
)
from chalicelib.livechat.store import LOCK, LiveChatStore
from chalicelib.shared.dynamo import TransactionFailed
from chalicelib.shared.errors import ConflictError, InvalidFieldsError
from chalicelib.shared.idempotency import Idempotency, claim_key, create_once, first_response
from chalicelib.shared.models import Model

if TYPE_CHECKING:
    from chalicelib.livechat.calendar import WorkingCalendar
    from chalicelib.shared.dynamo import Transaction
    from chalicelib.shared.ratelimit import RateLimiter

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
ANONYMOUS_CREATES_PER_HOUR = 20
SESSION_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")

# "The transcript of this assistant conversation, if this caller may read it": from the edge.
TranscriptSource = Callable[[str, "Identity | None"], "list[TranscriptLine] | None"]


class NewSession(Model):
    """What opening a chat says: its category, where it comes from, who asks."""

    category: str = Field(min_length=1, max_length=40)
    conversation_id: str | None = Field(None, min_length=1, max_length=128)
    login_identifier: str | None = Field(None, max_length=254, pattern=EMAIL_PATTERN)


class SessionCreated(Model):
    session_id: str
    status: SessionStatus
    position: int | None
    category: str
    created_at: datetime
    session_token: str | None = None
    # True when the caller already had a waiting or active chat, returned as is.
    resumed: bool = False


@dataclass(frozen=True)
class CreationContext:
    """What creating a chat needs besides the store and the request."""

    calendar: WorkingCalendar
    transcripts: TranscriptSource
    limiter: RateLimiter
    idempotency: Idempotency
    transaction: Callable[[], Transaction]
    now: datetime
    client_ip: str = "unknown"
    idempotency_key: str | None = None


def _check_request(request: NewSession, identity: Identity | None) -> None:
    if category(request.category) is None:
        codes = ", ".join(item.code for item in categories())
        raise InvalidFieldsError.single("category", f"Catégorie inconnue ; au choix : {codes}.")
    if identity is None and not request.login_identifier:
        raise InvalidFieldsError.single(
            "login_identifier", "Indiquez l'adresse e-mail avec laquelle vous vous connectez."
        )


def require_open(calendar: WorkingCalendar, now: datetime) -> None:
    """ConflictError carrying `next_opening` when the LiveChat is closed."""
    if calendar.is_open_at(now):
        return
    next_opening = calendar.next_opening(now)
    raise ConflictError(
        "Le LiveChat est fermé. Il est ouvert " + calendar.hours_text + ".",
        extra={"next_opening": next_opening.isoformat() if next_opening else None},
    )


def existing_session(store: LiveChatStore, session_id: str) -> SessionCreated:
    """A chat already open, as a create returns it."""
    session = load(store, session_id)
    position = store.queue_position(session) if session.status == "waiting" else None
    return SessionCreated(
        session_id=session.session_id,
        status=session.status,
        position=position,
        category=session.category,
        created_at=session.created_at,
    )


def create_session(
    store: LiveChatStore, request: NewSession, caller: Caller, context: CreationContext
) -> tuple[SessionCreated, bool]:
    """A new waiting chat (True), or the user's open one (False); 409 when closed."""
    identity, now = caller.identity, context.now
    _check_request(request, identity)
    require_open(context.calendar, now)
    owner = identity.user_id if identity else f"anonymous:{request.login_identifier}".lower()
    secret = _client_secret(caller) if identity is None else None
    fingerprinted = {**request.model_dump(mode="json"), "secret": secret and hash_token(secret)}
    claim = claim_key("livechat-session", owner, context.idempotency_key, fingerprinted)
    first = first_response(context.idempotency, claim, now)
    if first is not None:
        return SessionCreated.model_validate(first), True
    if identity is not None:
        open_id = store.open_session_id(identity.user_id)
        if open_id is not None:
            return existing_session(store, open_id), False
    else:
        context.limiter.hit(
            "livechat-anonymous",
            context.client_ip,
            limit=ANONYMOUS_CREATES_PER_HOUR,
            window_seconds=3600,
            now=now,
        )
    session, made_token = _new_session(request, identity, secret, context)
    # Counted before the write (it counts strictly earlier chats), so that the
    # response stored for the Idempotency-Key already has it. It has no secret.
    response = SessionCreated(
        session_id=session.session_id,
        status="waiting",
        position=store.queue_position(session),
        category=session.category,
        created_at=now,
    )
    tx = context.transaction()
    store.create_in(tx, session)
    try:
        body = create_once(context.idempotency, claim, tx, response, now)
    except TransactionFailed as failed:
        if identity is not None and failed.failed(LOCK):
            open_id = store.open_session_id(identity.user_id)
            if open_id is not None:
                return existing_session(store, open_id), False
        raise ConflictError(
            "Une autre demande identique est en cours : réessayez.",
            headers={"Retry-After": "1"},
        ) from failed
    created = SessionCreated.model_validate(body)
    if made_token is not None and created.session_id == session.session_id:
        created.session_token = made_token  # this call's own chat: its first response
    return created, True


def _client_secret(caller: Caller) -> str | None:
    """The secret an anonymous client brought (X-Session-Token), checked."""
    secret = caller.session_token
    if secret is not None and not SESSION_SECRET_PATTERN.match(secret):
        raise InvalidFieldsError.single(
            "X-Session-Token", "32 à 128 caractères parmi lettres, chiffres, - et _."
        )
    return secret


def _new_session(
    request: NewSession, identity: Identity | None, secret: str | None, context: CreationContext
) -> tuple[ChatSession, str | None]:
    """The chat, and the secret made for an anonymous client that brought none."""
    transcript: list[TranscriptLine] = []
    if request.conversation_id:
        transcript = _capped(context.transcripts(request.conversation_id, identity) or [])
    made = None if identity is not None or secret else secrets.token_urlsafe(32)
    token = secret or made
    session = ChatSession(
        session_id=str(uuid.uuid4()),
        status="waiting",
        category=request.category,
        created_at=context.now,
        user_id=identity.user_id if identity else None,
        login_identifier=request.login_identifier or (identity.email if identity else None),
        display_name=identity.name if identity else None,
        token_hash=hash_token(token) if token else None,
        conversation_id=request.conversation_id if transcript else None,
        transcript=transcript,
    )
    return session, made


def _capped(lines: list[TranscriptLine]) -> list[TranscriptLine]:
    """The latest lines of a transcript that fit in TRANSCRIPT_MAX_CHARS."""
    kept: list[TranscriptLine] = []
    size = 0
    for line in reversed(lines):
        size += len(line.text)
        if size > TRANSCRIPT_MAX_CHARS:
            break
        kept.append(line)
    return list(reversed(kept))
