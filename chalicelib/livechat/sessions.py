"""Chat sessions: create, queue, accept, messages both ways, close, rate.

Who may act on a chat (`participant`): its user, recognised by their token's
user id or, for people who cannot log in, by the session token returned at
creation (only its SHA-256 is stored); and support agents, who may read any
chat and act on the ones they accepted. Anyone else gets a 404, as if the chat
did not exist.

Decisions:
- One waiting or active chat per logged-in user, enforced by a lock item
  written in the creating transaction; a second create returns the existing
  chat with 200 (201 only when a chat is created). Anonymous creates cannot be
  locked on an unverified e-mail (anyone could block anyone), so they are rate
  limited per client address instead.
- Every change of a chat (message, accept, close, closing notice) is one
  append: the session's `last_seq` moves from n to n+1 and message n+1 is
  written in the same transaction; a race retries on a fresh read.
- Users may write while waiting (to describe their problem); advisors write
  once they accepted. A rating needs a closed chat that had an advisor.
- When the LiveChat closes, waiting chats are closed with a system message
  holding a ticket draft (category, sub-category, title, transcript); no
  ticket is created automatically.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from chalicelib.auth import SUPPORT_AGENTS, Identity
from chalicelib.endpoints.api import RequestModel
from chalicelib.livechat.models import (
    OPEN_STATUSES,
    Author,
    ChatMessage,
    ChatSession,
    Rating,
    RatingRecord,
    RatingStat,
    SessionStatus,
    TicketDraft,
    TranscriptLine,
    categories,
    category,
)
from chalicelib.livechat.store import ConcurrentChangeError, LiveChatStore, advisor_keys
from chalicelib.shared.dynamo import TransactionFailed
from chalicelib.shared.errors import (
    ConflictError,
    ForbiddenError,
    InvalidFieldsError,
    NotFoundError,
)
from chalicelib.shared.idempotency import Idempotency, claim_key, create_once, first_response
from chalicelib.shared.models import Model

if TYPE_CHECKING:
    from chalicelib.livechat.calendar import WorkingCalendar
    from chalicelib.livechat.push import Push
    from chalicelib.shared.dynamo import Transaction
    from chalicelib.shared.ratelimit import RateLimiter

Role = Literal["user", "advisor"]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PAGE_SIZE = 100
WRITE_ATTEMPTS = 3
ANONYMOUS_CREATES_PER_HOUR = 20
TRANSCRIPT_MAX_CHARS = 20_000

TranscriptSource = Callable[[str, "Identity | None"], "list[TranscriptLine] | None"]


class SessionRequest(RequestModel):
    """`POST /livechat/sessions`."""

    category: str = Field(min_length=1, max_length=40)
    conversation_id: str | None = Field(None, min_length=1, max_length=128)
    login_identifier: str | None = Field(None, max_length=254, pattern=EMAIL_PATTERN)


class MessageRequest(RequestModel):
    text: str = Field(min_length=1, max_length=4000)


class RatingRequest(RequestModel):
    stars: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)


class SessionCreated(Model):
    session_id: str
    status: SessionStatus
    position: int | None
    category: str
    created_at: datetime
    session_token: str | None = None
    # True when the caller already had a waiting or active chat, returned as is.
    resumed: bool = False


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


class MessagesPage(Model):
    """Messages after a cursor; poll again with `?after=<next_after>`."""

    status: SessionStatus
    messages: list[ChatMessage]
    next_after: int


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


class RatingsReport(Model):
    items: list[RatingRecord]
    next_cursor: str | None
    by_category: list[RatingStat]
    by_advisor: list[RatingStat]


@dataclass(frozen=True)
class Caller:
    """Who acts on a chat: a token's user, and/or the holder of a session token."""

    identity: Identity | None
    session_token: str | None = None


@dataclass
class Change:
    """One append to a chat: its message and what else changes on the session."""

    author: Author
    text: str
    allowed: tuple[SessionStatus, ...]
    author_name: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    removals: tuple[str, ...] = ()
    extra: list[dict[str, Any]] = field(default_factory=list)
    ticket_draft: TicketDraft | None = None


def hash_token(token: str) -> str:
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
    session = store.session(session_id)
    if session is None:
        raise NotFoundError("Conversation introuvable.")
    return session


def view(session: ChatSession) -> SessionView:
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


# Creating ---------------------------------------------------------------------


def _check_request(request: SessionRequest, identity: Identity | None) -> None:
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
    session = load(store, session_id)
    position = store.queue_position(session) if session.status == "waiting" else None
    return SessionCreated(
        session_id=session.session_id,
        status=session.status,
        position=position,
        category=session.category,
        created_at=session.created_at,
    )


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


def create_session(
    store: LiveChatStore, request: SessionRequest, caller: Caller, context: CreationContext
) -> tuple[SessionCreated, bool]:
    """A new waiting chat (True), or the user's open one (False); 409 when closed."""
    identity, now = caller.identity, context.now
    _check_request(request, identity)
    require_open(context.calendar, now)
    owner = identity.user_id if identity else f"anonymous:{request.login_identifier}".lower()
    claim = claim_key("livechat-session", owner, context.idempotency_key, request)
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
    session, token = _new_session(request, identity, context)
    # Counted before the write (it counts strictly earlier chats), so that the
    # response stored for the Idempotency-Key already has it.
    response = SessionCreated(
        session_id=session.session_id,
        status="waiting",
        position=store.queue_position(session),
        category=session.category,
        created_at=now,
        session_token=token,
    )
    tx = context.transaction()
    store.create_in(tx, session)
    try:
        body = create_once(context.idempotency, claim, tx, response, now)
    except TransactionFailed as failed:
        if identity is not None and failed.failed("lock"):
            open_id = store.open_session_id(identity.user_id)
            if open_id is not None:
                return existing_session(store, open_id), False
        raise ConflictError(
            "Une autre demande identique est en cours : réessayez.",
            headers={"Retry-After": "1"},
        ) from failed
    return SessionCreated.model_validate(body), True


def _new_session(
    request: SessionRequest, identity: Identity | None, context: CreationContext
) -> tuple[ChatSession, str | None]:
    transcript: list[TranscriptLine] = []
    if request.conversation_id:
        transcript = _capped(context.transcripts(request.conversation_id, identity) or [])
    token = None if identity is not None else secrets.token_urlsafe(32)
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
    return session, token


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


# Appending --------------------------------------------------------------------


def append(
    store: LiveChatStore,
    session_id: str,
    decide: Callable[[ChatSession], Change],
    push: Push,
    now: datetime,
) -> tuple[ChatSession, ChatMessage]:
    """Apply `decide`'s change to a fresh read of the chat, retrying on a concurrent write."""
    for _ in range(WRITE_ATTEMPTS):
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
            store.write_event(
                session,
                message,
                allowed=change.allowed,
                changes=change.changes,
                removals=change.removals,
                extra=change.extra,
            )
        except ConcurrentChangeError:
            continue
        fields = {k: v for k, v in change.changes.items() if k in ChatSession.model_fields}
        updated = ChatSession.model_validate(
            {**session.model_dump(), **fields, "last_seq": message.seq}
        )
        push.message_posted(updated, message)
        return updated, message
    raise ConflictError("La conversation vient de changer : réessayez.")


def _require_advisor_of(session: ChatSession, identity: Identity | None) -> Identity:
    if identity is None or session.advisor_id != identity.user_id:
        raise ForbiddenError("Cette conversation est suivie par un autre conseiller.")
    return identity


def post_message(
    store: LiveChatStore, session_id: str, caller: Caller, text: str, push: Push, now: datetime
) -> ChatMessage:
    def decide(session: ChatSession) -> Change:
        role = participant(session, caller)
        if session.status == "closed":
            raise ConflictError("Cette conversation est close.")
        if role == "user":
            return Change("user", text, OPEN_STATUSES, author_name=session.display_name)
        if session.status != "active":
            raise ConflictError("Prenez d'abord la conversation en charge.")
        advisor = _require_advisor_of(session, caller.identity)
        return Change("advisor", text, ("active",), author_name=advisor.name)

    return append(store, session_id, decide, push, now)[1]


def read_messages(
    store: LiveChatStore, session_id: str, caller: Caller, after: int
) -> MessagesPage:
    session = load(store, session_id)
    participant(session, caller)
    messages = store.messages(session_id, after, PAGE_SIZE)
    next_after = messages[-1].seq if messages else after
    return MessagesPage(status=session.status, messages=messages, next_after=next_after)


def read_session(store: LiveChatStore, session_id: str, caller: Caller) -> SessionView:
    session = load(store, session_id)
    participant(session, caller)
    return view(session)


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
                **advisor_keys(session, advisor.user_id, now),
            },
            removals=("gsi1pk", "gsi1sk"),
        )

    return view(append(store, session_id, decide, push, now)[0])


def _closing(session: ChatSession, by: Author, reason: str, now: datetime) -> dict[str, Any]:
    return {
        "status": "closed",
        "closed_at": now.isoformat(),
        "closed_by": by,
        "closed_reason": reason,
    }


def close_session(
    store: LiveChatStore, session_id: str, caller: Caller, push: Push, now: datetime
) -> SessionView:
    def decide(session: ChatSession) -> Change:
        role = participant(session, caller)
        if session.status == "closed":
            raise ConflictError("Cette conversation est déjà close.")
        if role == "advisor" and session.status == "active":
            _require_advisor_of(session, caller.identity)
        text = (
            "Le conseiller a clos la conversation."
            if role == "advisor"
            else ("Vous avez clos la conversation.")
        )
        extra = [store.release_lock(session.user_id, session_id)] if session.user_id else []
        return Change(
            "system",
            text,
            OPEN_STATUSES,
            changes=_closing(session, role, f"closed_by_{role}", now),
            removals=("gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"),
            extra=extra,
        )

    return view(append(store, session_id, decide, push, now)[0])


# Closing time -----------------------------------------------------------------


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


CLOSING_NOTICE = (
    "Le LiveChat est maintenant fermé et aucun conseiller n'a pu vous répondre. "
    "Vous pouvez transformer cette conversation en ticket : le brouillon ci-joint "
    "reprend votre demande."
)


def close_waiting_sessions(store: LiveChatStore, push: Push, now: datetime) -> int:
    """Close every chat still waiting, each with the closing notice and its ticket draft."""
    closed = 0
    for waiting in store.waiting_sessions():
        draft = ticket_draft(waiting, store.messages(waiting.session_id, 0, PAGE_SIZE))

        def decide(session: ChatSession, draft: TicketDraft = draft) -> Change:
            if session.status != "waiting":
                raise ConflictError("Conversation déjà prise en charge.")
            user_id = session.user_id
            lock = [store.release_lock(user_id, session.session_id)] if user_id else []
            return Change(
                "system",
                CLOSING_NOTICE,
                ("waiting",),
                changes=_closing(session, "system", "livechat_closed", now),
                removals=("gsi1pk", "gsi1sk"),
                extra=lock,
                ticket_draft=draft,
            )

        try:
            append(store, waiting.session_id, decide, push, now)
        except (ConflictError, NotFoundError):
            continue
        closed += 1
    return closed


# Advisors ---------------------------------------------------------------------


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
    return [_entry(s) for s in store.advisor_sessions(advisor.user_id) if s.status == "active"]


# Ratings ----------------------------------------------------------------------


def rate_session(
    store: LiveChatStore, session_id: str, caller: Caller, request: RatingRequest, now: datetime
) -> SessionView:
    """The user rates a closed chat once; a second rating is 409."""
    session = load(store, session_id)
    if participant(session, caller) != "user":
        raise ForbiddenError("Seul l'usager peut noter la conversation.")
    if session.status != "closed" or session.advisor_id is None:
        raise ConflictError("Seule une conversation close avec un conseiller peut être notée.")
    if session.rating is not None:
        raise ConflictError("Cette conversation a déjà été notée.")
    record = RatingRecord(
        session_id=session_id,
        category=session.category,
        advisor_id=session.advisor_id,
        advisor_name=session.advisor_name,
        stars=request.stars,
        comment=request.comment or None,
        rated_at=now,
    )
    if not store.rate(session, record):
        raise ConflictError("Cette conversation a déjà été notée.")
    rating = Rating(stars=request.stars, comment=record.comment, rated_at=now)
    return view(session.model_copy(update={"rating": rating}))


def ratings_report(store: LiveChatStore, limit: int, cursor: str | None) -> RatingsReport:
    items, next_cursor = store.ratings(limit, cursor)
    stats = store.rating_stats()
    return RatingsReport(
        items=items,
        next_cursor=next_cursor,
        by_category=stats.get("CATEGORY", []),
        by_advisor=stats.get("ADVISOR", []),
    )
