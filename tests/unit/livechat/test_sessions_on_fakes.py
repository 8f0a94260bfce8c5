"""The LiveChat's services on in-memory fakes (no moto): create, accept, message, close, rate.

The store is tests/fakes/livechat.py (held to DynamoDB's behaviour by
tests/functional/contracts/test_livechat_store_contract.py), idempotency and the
rate limiter their fakes; `now` is fixed on an open Friday morning; pushes are
recorded. Threads run against the fake as requests would against DynamoDB: the
fake's one state lock makes every write atomic, as DynamoDB's are, and a short
pause after each read of a chat (`SlowReads`, a network's delay) makes them
read the same state and race on the write.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.auth import SUPPORT_AGENTS, Identity
from chalicelib.livechat import advisors, messages, ratings, sessions
from chalicelib.livechat.access import Caller
from chalicelib.livechat.availability import current_calendar, run_opening_check
from chalicelib.livechat.calendar import DayRule, OpeningRules, WorkingCalendar
from chalicelib.livechat.closing import CLOSING_NOTICE
from chalicelib.livechat.creation import CreationContext, NewSession, create_session
from chalicelib.livechat.models import ChatMessage, ChatSession, TranscriptLine
from chalicelib.shared.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TooManyRequestsError,
)
from tests.fakes.idempotency import FakeIdempotency
from tests.fakes.livechat import FakeLiveChatStore
from tests.fakes.ratelimit import FakeRateLimiter
from tests.fakes.transaction import FakeTransaction

# Friday 4 December 2026, 10:00 in Paris: the LiveChat is open (08:30-18:30).
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
SUNDAY = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
ALICE = Identity(user_id="alice", email="alice@example.fr", name="Alice Martin")
SOPHIE = Identity(user_id="sophie", name="Sophie", roles=frozenset({SUPPORT_AGENTS}))
MARC = Identity(user_id="marc", name="Marc", roles=frozenset({SUPPORT_AGENTS}))
SECRET = "s" * 40


@dataclass
class RecordingPush:
    """A `Push` that remembers what it was told."""

    posted: list[tuple[str, int]] = field(default_factory=list)
    queue_changes: int = 0

    def message_posted(self, session: ChatSession, message: ChatMessage) -> None:
        self.posted.append((session.session_id, message.seq))

    def send(self, connection_id: str, payload: dict[str, Any], session_id: str | None) -> bool:
        return False

    def queue_changed(self) -> None:
        self.queue_changes += 1

    def follow_queue(self, connection_id: str, follow: bool) -> None:
        return None


class SlowReads(FakeLiveChatStore):
    """The fake with a network's delay after each read of a chat: racers read the same state."""

    def session(self, session_id: str) -> ChatSession | None:
        found = super().session(session_id)
        time.sleep(0.002)
        return found


@dataclass
class World:
    """One LiveChat on fakes, and the services as a route would call them."""

    store: FakeLiveChatStore = field(default_factory=lambda: SlowReads(f"fake-{uuid.uuid4()}"))
    idempotency: FakeIdempotency = field(default_factory=FakeIdempotency)
    limiter: FakeRateLimiter = field(default_factory=FakeRateLimiter)
    push: RecordingPush = field(default_factory=RecordingPush)
    transcripts: dict[str, list[TranscriptLine]] = field(default_factory=dict)

    def context(self, now: datetime = NOW, **fields: Any) -> CreationContext:
        return CreationContext(
            calendar=current_calendar(self.store, OpeningRules()),
            transcripts=lambda conversation_id, _: self.transcripts.get(conversation_id),
            limiter=self.limiter,
            idempotency=self.idempotency,
            transaction=FakeTransaction,
            now=now,
            **fields,
        )

    def create(
        self, identity: Identity | None = ALICE, now: datetime = NOW, **request: Any
    ) -> tuple[str, bool]:
        body = {"category": "CONNEXION", **request}
        if identity is None:
            body.setdefault("login_identifier", "anonyme@example.fr")
        caller = Caller(identity, SECRET if identity is None else None)
        created, new = create_session(
            self.store, NewSession.model_validate(body), caller, self.context(now)
        )
        return created.session_id, new

    def accept(self, session_id: str, advisor: Identity = SOPHIE) -> None:
        advisors.accept_session(self.store, session_id, advisor, self.push, NOW)

    def say(self, session_id: str, text: str, who: Identity | None = ALICE) -> ChatMessage:
        caller = Caller(who, SECRET if who is None else None)
        return messages.post_message(self.store, session_id, caller, text, self.push, NOW)

    def close(self, session_id: str, who: Identity = ALICE) -> None:
        sessions.close_session(self.store, session_id, Caller(who), self.push, NOW)

    def texts(self, session_id: str) -> list[str]:
        return [m.text for m in self.store.messages(session_id, 0, 100)]


@pytest.fixture
def world() -> World:
    return World()


def in_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run `work(0..count-1)` in `count` threads started together; the errors they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(index: int) -> None:
        start.wait()
        try:
            work(index)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


# Creating


def test_a_user_opens_a_waiting_chat_at_the_back_of_its_category(world: World) -> None:
    world.create(Identity(user_id="bob"), NOW - timedelta(minutes=2))
    world.create(Identity(user_id="carol"), NOW - timedelta(minutes=1), category="FACTURE")

    session_id, new = world.create()

    assert new
    created = world.store.session(session_id)
    assert created is not None
    assert (created.status, created.user_id, created.login_identifier) == (
        "waiting",
        "alice",
        "alice@example.fr",
    )
    assert world.store.queue_position(created) == 2
    assert world.store.open_session_id("alice") == session_id


def test_a_second_open_returns_the_users_open_chat(world: World) -> None:
    first, _ = world.create()

    second, new = world.create(category="FACTURE")

    assert (second, new) == (first, False)
    assert len(world.store.waiting_sessions()) == 1


def test_a_retry_with_the_same_idempotency_key_gets_the_first_response(world: World) -> None:
    request = NewSession(category="CONNEXION")
    context = world.context(idempotency_key="key-1")

    first, _ = create_session(world.store, request, Caller(ALICE), context)
    world.close(first.session_id)
    replayed, _ = create_session(world.store, request, Caller(ALICE), context)

    assert replayed == first
    assert world.store.open_session_id("alice") is None


def test_a_chat_from_a_conversation_carries_its_transcript(world: World) -> None:
    world.transcripts["conv-1"] = [TranscriptLine(author="user", text="Ma facture ?")]

    session_id, _ = world.create(conversation_id="conv-1")

    created = world.store.session(session_id)
    assert created is not None
    assert (created.conversation_id, [line.text for line in created.transcript]) == (
        "conv-1",
        ["Ma facture ?"],
    )


def test_anonymous_opens_are_limited_per_address(world: World) -> None:
    for _ in range(20):
        world.create(None)

    with pytest.raises(TooManyRequestsError):
        world.create(None)

    assert len(world.store.waiting_sessions()) == 20


def test_nobody_opens_a_chat_while_the_livechat_is_closed(world: World) -> None:
    with pytest.raises(ConflictError) as refused:
        world.create(now=SUNDAY)

    assert refused.value.extra["next_opening"] == "2026-12-07T08:30:00+01:00"
    assert world.store.waiting_sessions() == []


def test_a_closure_saved_for_today_closes_the_livechat(world: World) -> None:
    world.store.save_day_rules([DayRule(date=date(2026, 12, 4), reason="Inventaire")], "marc", NOW)

    with pytest.raises(ConflictError):
        world.create()


# Accepting


def test_of_twenty_advisors_accepting_at_once_exactly_one_wins(world: World) -> None:
    session_id, _ = world.create()
    advisors_ = [
        Identity(user_id=f"advisor{n}", name=f"Conseiller {n}", roles=frozenset({SUPPORT_AGENTS}))
        for n in range(20)
    ]

    errors = in_threads(20, lambda n: world.accept(session_id, advisors_[n]))

    assert len(errors) == 19 and all(isinstance(e, ConflictError) for e in errors)
    accepted = world.store.session(session_id)
    assert accepted is not None and accepted.status == "active"
    winner = accepted.advisor_id
    assert [s.session_id for s in world.store.advisor_sessions(str(winner))] == [session_id]
    assert world.texts(session_id) == [f"Conseiller {str(winner)[7:]} a rejoint la conversation."]
    assert world.store.waiting_sessions() == []
    assert world.push.queue_changes == 1


def test_a_chat_accepted_once_cannot_be_accepted_again(world: World) -> None:
    session_id, _ = world.create()
    world.accept(session_id, SOPHIE)

    with pytest.raises(ConflictError):
        world.accept(session_id, MARC)

    accepted = world.store.session(session_id)
    assert accepted is not None and accepted.advisor_id == "sophie"


# Messages


def test_the_user_writes_while_waiting_and_the_advisor_once_accepted(world: World) -> None:
    session_id, _ = world.create()
    world.say(session_id, "Je ne peux plus me connecter.")
    with pytest.raises(ConflictError):
        world.say(session_id, "Bonjour", SOPHIE)

    world.accept(session_id)
    world.say(session_id, "Bonjour Alice, je regarde.", SOPHIE)

    page = messages.read_messages(world.store, session_id, Caller(ALICE), 1)
    assert [(m.seq, m.author, m.text) for m in page.messages] == [
        (2, "system", "Sophie a rejoint la conversation."),
        (3, "advisor", "Bonjour Alice, je regarde."),
    ]
    assert page.next_after == 3
    assert world.push.posted == [(session_id, 1), (session_id, 2), (session_id, 3)]


def test_another_advisor_may_not_write_in_an_accepted_chat(world: World) -> None:
    session_id, _ = world.create()
    world.accept(session_id, SOPHIE)

    with pytest.raises(ForbiddenError):
        world.say(session_id, "Je prends la suite.", MARC)


def test_a_stranger_does_not_see_the_chat(world: World) -> None:
    session_id, _ = world.create()

    with pytest.raises(NotFoundError):
        world.say(session_id, "Coucou", Identity(user_id="mallory"))


def test_twenty_messages_sent_at_once_are_all_kept_in_one_order(world: World) -> None:
    session_id, _ = world.create()

    def say(n: int) -> None:
        world.say(session_id, f"message {n}")

    errors = in_threads(20, say)

    assert errors == []
    stored = world.store.messages(session_id, 0, 100)
    assert [m.seq for m in stored] == list(range(1, 21))
    assert sorted(m.text for m in stored) == sorted(f"message {n}" for n in range(20))


# Closing


def test_a_closed_chat_frees_the_user_for_another(world: World) -> None:
    session_id, _ = world.create()
    world.accept(session_id)

    world.close(session_id)

    closed = world.store.session(session_id)
    assert closed is not None
    assert (closed.status, closed.closed_by, closed.closed_reason) == (
        "closed",
        "user",
        "closed_by_user",
    )
    assert world.store.advisor_sessions("sophie") == []
    with pytest.raises(ConflictError):
        world.close(session_id)
    with pytest.raises(ConflictError):
        world.say(session_id, "Encore une question")
    again, new = world.create()
    assert new and again != session_id


def test_closing_time_closes_waiting_chats_with_a_ticket_draft(world: World) -> None:
    waiting, _ = world.create()
    world.say(waiting, "Mon compte est bloqué.")
    active, _ = world.create(Identity(user_id="bob"))
    world.accept(active)
    evening = datetime(2026, 12, 4, 17, 45, tzinfo=UTC)

    check = run_opening_check(world.store, WorkingCalendar(OpeningRules()), world.push, evening)

    assert (check.open, check.closed_waiting_sessions, check.recorded) == (False, 1, True)
    notice = world.store.messages(waiting, 0, 100)[-1]
    assert notice.text == CLOSING_NOTICE
    assert notice.ticket_draft is not None
    assert "Vous : Mon compte est bloqué." in notice.ticket_draft.description
    still = world.store.session(active)
    assert still is not None and still.status == "active"
    again = run_opening_check(
        world.store, WorkingCalendar(OpeningRules()), world.push, evening + timedelta(minutes=5)
    )
    assert (again.recorded, again.closed_waiting_sessions) == (False, 0)


# Rating


def test_the_user_rates_a_closed_chat_once(world: World) -> None:
    session_id, _ = world.create()
    world.accept(session_id)
    world.close(session_id)

    rated = ratings.rate_session(world.store, session_id, Caller(ALICE), 4, "Merci", NOW)
    with pytest.raises(ConflictError):
        ratings.rate_session(world.store, session_id, Caller(ALICE), 1, None, NOW)

    assert rated.rating is not None and rated.rating.stars == 4
    report = ratings.ratings_report(world.store, 10, None)
    assert [(r.session_id, r.stars, r.comment) for r in report.items] == [(session_id, 4, "Merci")]
    assert [(s.key, s.count, s.average) for s in report.by_advisor] == [("sophie", 1, 4.0)]


def test_only_the_user_rates_and_only_a_closed_chat_that_had_an_advisor(world: World) -> None:
    session_id, _ = world.create()
    with pytest.raises(ConflictError):
        ratings.rate_session(world.store, session_id, Caller(ALICE), 5, None, NOW)
    world.close(session_id)
    with pytest.raises(ConflictError):
        ratings.rate_session(world.store, session_id, Caller(ALICE), 5, None, NOW)

    answered, _ = world.create()
    world.accept(answered)
    world.close(answered)
    with pytest.raises(ForbiddenError):
        ratings.rate_session(world.store, answered, Caller(SOPHIE), 5, None, NOW)

    assert ratings.ratings_report(world.store, 10, None).items == []


def test_ratings_page_newest_first(world: World) -> None:
    rated: list[str] = []
    for n in range(3):
        user = Identity(user_id=f"user{n}")
        session_id, _ = world.create(user)
        world.accept(session_id)
        world.close(session_id, user)
        ratings.rate_session(
            world.store, session_id, Caller(user), 5, None, NOW + timedelta(minutes=n)
        )
        rated.append(session_id)

    first = ratings.ratings_report(world.store, 2, None)
    second = ratings.ratings_report(world.store, 2, first.next_cursor)

    assert [r.session_id for r in first.items + second.items] == rated[::-1]
