"""The LiveChatStore contract: one suite, run on the in-memory fake and on DynamoDB (moto).

What the LiveChat's services may count on from any store: a user holds one
waiting or active chat (the "lock" item), every change of a chat moves its
`last_seq` from the value read with its message, so of two changes from one
read exactly one lands; a chat is in the queue while waiting, in its advisor's
list while active, in neither once closed (its lock freed); a closed chat is
rated once, ratings page newest first through cursors that only page them;
transitions are recorded once; connections follow chats.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import pytest

from chalicelib.endpoints import wiring
from chalicelib.livechat.calendar import DayRule
from chalicelib.livechat.models import (
    ChatMessage,
    ChatSession,
    Connection,
    RatingRecord,
    RatingStat,
    SessionStatus,
    TranscriptLine,
)
from chalicelib.livechat.sessions import closed_changes
from chalicelib.livechat.store import ConcurrentChangeError, LiveChatStore
from chalicelib.shared.dynamo import Transaction, TransactionFailed, condition_failed
from chalicelib.shared.errors import InvalidFieldsError
from tests.fakes.livechat import FakeLiveChatStore
from tests.fakes.transaction import FakeTransaction
from tests.records import at

OPEN: tuple[SessionStatus, ...] = ("waiting", "active")


def _forged(**key: str) -> str:
    """A cursor made by hand, as an attacker would."""
    text = json.dumps(key, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def chat(session_id: str, user_id: str | None = "alice", **fields: Any) -> ChatSession:
    """A waiting chat of `user_id`'s about CONNEXION, created at 09:00 unless `fields` say."""
    data: dict[str, Any] = {
        "session_id": session_id,
        "status": "waiting",
        "category": "CONNEXION",
        "created_at": at(9),
        "user_id": user_id,
        "login_identifier": f"{user_id or 'anonyme'}@example.fr",
        "display_name": "Alice Martin",
    }
    data.update(fields)
    return ChatSession.model_validate(data)


def message(session: ChatSession, text: str, when: datetime, **fields: Any) -> ChatMessage:
    """The next message of `session` as read."""
    seq = session.last_seq + 1
    return ChatMessage.model_validate(
        {
            "seq": seq,
            "message_id": f"{session.session_id}:{seq}",
            "author": "user",
            "text": text,
            "sent_at": when,
            **fields,
        }
    )


def accepted(advisor: str, when: datetime) -> dict[str, Any]:
    """The changes of an advisor's accept, as chalicelib/livechat/advisors.py writes them."""
    return {
        "status": "active",
        "advisor_id": advisor,
        "advisor_name": advisor.title(),
        "accepted_at": when.isoformat(),
    }


def rating(session_id: str, stars: int, when: datetime, **fields: Any) -> RatingRecord:
    data: dict[str, Any] = {
        "session_id": session_id,
        "category": "CONNEXION",
        "advisor_id": "sophie",
        "advisor_name": "Sophie",
        "stars": stars,
        "rated_at": when,
    }
    data.update(fields)
    return RatingRecord.model_validate(data)


@dataclass
class Chats:
    """A LiveChat store and the transactions it creates chats with, as the services use them."""

    store: LiveChatStore
    transaction: Callable[[], Transaction]

    def create(self, session: ChatSession) -> ChatSession:
        tx = self.transaction()
        self.store.create_in(tx, session)
        tx.commit()
        return session

    def read(self, session_id: str) -> ChatSession:
        found = self.store.session(session_id)
        assert found is not None
        return found

    def post(self, session_id: str, text: str, when: datetime) -> ChatMessage:
        session = self.read(session_id)
        sent = message(session, text, when)
        self.store.write_event(session, sent, allowed=OPEN)
        return sent

    def accept(self, session_id: str, advisor: str, when: datetime) -> None:
        session = self.read(session_id)
        note = message(session, f"{advisor} a rejoint la conversation.", when, author="system")
        self.store.write_event(session, note, allowed=("waiting",), changes=accepted(advisor, when))

    def close(self, session_id: str, when: datetime) -> None:
        session = self.read(session_id)
        note = message(session, "Vous avez clos la conversation.", when, author="system")
        changes = closed_changes("user", "closed_by_user", when)
        self.store.write_event(session, note, allowed=OPEN, changes=changes)

    def closed_chat(self, session_id: str, user_id: str | None = None) -> ChatSession:
        self.create(chat(session_id, user_id))
        self.accept(session_id, "sophie", at(9, 5))
        self.close(session_id, at(9, 30))
        return self.read(session_id)

    def ids(self, sessions: list[ChatSession]) -> list[str]:
        return [s.session_id for s in sessions]


class LiveChatStoreContract:
    """The tests; a subclass gives `chats` on its backend."""

    @pytest.fixture
    def chats(self) -> Chats:
        raise NotImplementedError

    # Calendar

    def test_day_rules_never_saved_are_none(self, chats: Chats) -> None:
        assert chats.store.day_rules() == ([], {"updated_at": None, "updated_by": None})

    def test_day_rules_replace_the_previous_ones(self, chats: Chats) -> None:
        closed = DayRule(date=date(2026, 12, 24), reason="Réveillon")
        short = DayRule(date=date(2026, 12, 31), closed=False, opens=time(9), closes=time(12))
        chats.store.save_day_rules([DayRule(date=date(2026, 12, 1))], "marc", at(8))

        chats.store.save_day_rules([closed, short], "sophie", at(9))

        assert chats.store.day_rules() == (
            [closed, short],
            {"updated_at": at(9).isoformat(), "updated_by": "sophie"},
        )

    def test_a_transition_is_recorded_once(self, chats: Chats) -> None:
        assert chats.store.record_transition("opened", at(8, 30), at(8, 31))
        assert not chats.store.record_transition("opened", at(8, 30), at(8, 32))

        [recorded] = chats.store.transitions()
        assert (recorded["kind"], recorded["at"], recorded["recorded_at"]) == (
            "opened",
            at(8, 30).isoformat(),
            at(8, 31).isoformat(),
        )

    def test_transitions_come_newest_first_up_to_the_limit(self, chats: Chats) -> None:
        for day in (1, 3, 2):
            chats.store.record_transition("opened", at(8, 30, day=day), at(8, 31, day=day))
            chats.store.record_transition("closed", at(18, 30, day=day), at(18, 31, day=day))

        latest = chats.store.transitions(limit=3)

        assert [(t["kind"], t["at"]) for t in latest] == [
            ("closed", at(18, 30, day=3).isoformat()),
            ("opened", at(8, 30, day=3).isoformat()),
            ("closed", at(18, 30, day=2).isoformat()),
        ]

    # Creating

    def test_a_created_chat_reads_back_and_holds_its_users_lock(self, chats: Chats) -> None:
        created = chats.create(
            chat("s1", transcript=[TranscriptLine(author="user", text="Bonjour")])
        )

        assert chats.store.session("s1") == created
        assert chats.store.open_session_id("alice") == "s1"

    def test_an_unknown_chat_reads_as_none(self, chats: Chats) -> None:
        assert chats.store.session("nope") is None
        assert chats.store.open_session_id("nobody") is None

    def test_an_anonymous_chat_holds_no_lock(self, chats: Chats) -> None:
        chats.create(chat("s1", None, token_hash="ab" * 32))
        chats.create(chat("s2", None, token_hash="cd" * 32))

        assert chats.ids(chats.store.waiting_sessions()) == ["s1", "s2"]

    def test_a_second_open_chat_fails_on_label_lock_and_writes_nothing(self, chats: Chats) -> None:
        chats.create(chat("s1"))

        with pytest.raises(TransactionFailed) as refused:
            chats.create(chat("s2", created_at=at(9, 1)))

        assert refused.value.failed("lock") and not refused.value.failed("session")
        assert chats.store.session("s2") is None
        assert chats.store.open_session_id("alice") == "s1"

    def test_creating_a_chat_id_twice_fails_on_label_session(self, chats: Chats) -> None:
        chats.create(chat("s1", None))

        with pytest.raises(TransactionFailed) as refused:
            chats.create(chat("s1", "bob"))

        assert refused.value.failed("session") and not refused.value.failed("lock")
        assert chats.store.open_session_id("bob") is None

    # The queue

    def test_the_queue_is_by_category_then_oldest_first(self, chats: Chats) -> None:
        chats.create(chat("s1", "u1", category="FACTURE", created_at=at(9)))
        chats.create(chat("s2", "u2", category="CONNEXION", created_at=at(9, 10)))
        chats.create(chat("s3", "u3", category="CONNEXION", created_at=at(9, 5)))

        assert chats.ids(chats.store.waiting_sessions()) == ["s3", "s2", "s1"]

    def test_a_position_counts_the_earlier_chats_of_its_category(self, chats: Chats) -> None:
        first = chats.create(chat("s1", "u1", created_at=at(9)))
        other = chats.create(chat("s2", "u2", category="FACTURE", created_at=at(9, 1)))
        third = chats.create(chat("s3", "u3", created_at=at(9, 2)))
        # Not yet created: counted as it will be.
        fourth = chat("s4", "u4", created_at=at(9, 3))

        positions = [chats.store.queue_position(s) for s in (first, other, third, fourth)]

        assert positions == [1, 1, 2, 3]

    # Changes

    def test_a_message_moves_last_seq_and_reads_back_in_order(self, chats: Chats) -> None:
        chats.create(chat("s1"))

        sent = [chats.post("s1", f"message {n}", at(9, n)) for n in (1, 2, 3)]

        assert chats.read("s1").last_seq == 3
        assert chats.store.messages("s1", 0, 100) == sent
        assert chats.store.messages("s1", 1, 1) == sent[1:2]
        assert chats.store.messages("s1", 3, 100) == []
        assert chats.store.messages("other", 0, 100) == []

    def test_two_changes_from_one_read_land_once(self, chats: Chats) -> None:
        chats.create(chat("s1"))
        read = chats.read("s1")
        chats.store.write_event(read, message(read, "premier", at(9, 1)), allowed=OPEN)

        with pytest.raises(ConcurrentChangeError):
            chats.store.write_event(read, message(read, "second", at(9, 2)), allowed=OPEN)

        assert [m.text for m in chats.store.messages("s1", 0, 100)] == ["premier"]

    def test_a_change_in_a_status_not_allowed_is_refused(self, chats: Chats) -> None:
        chats.create(chat("s1"))
        chats.accept("s1", "sophie", at(9, 1))
        read = chats.read("s1")

        with pytest.raises(ConcurrentChangeError):
            chats.store.write_event(
                read,
                message(read, "moi aussi", at(9, 2)),
                allowed=("waiting",),
                changes=accepted("marc", at(9, 2)),
            )

        assert (chats.read("s1").advisor_id, chats.read("s1").last_seq) == ("sophie", 1)

    def test_a_change_to_an_unknown_chat_is_refused(self, chats: Chats) -> None:
        ghost = chat("ghost")

        with pytest.raises(ConcurrentChangeError):
            chats.store.write_event(ghost, message(ghost, "allô", at(9)), allowed=OPEN)

        assert chats.store.messages("ghost", 0, 100) == []

    def test_of_advisors_accepting_at_once_exactly_one_wins(self, chats: Chats) -> None:
        chats.create(chat("s1"))
        read = chats.read("s1")
        advisors = [f"advisor{n}" for n in range(8)]
        won: list[str] = []
        start = threading.Barrier(len(advisors))

        def accept(advisor: str) -> None:
            note = message(read, f"{advisor} a rejoint la conversation.", at(9, 1))
            start.wait()
            try:
                chats.store.write_event(
                    read, note, allowed=("waiting",), changes=accepted(advisor, at(9, 1))
                )
            except ConcurrentChangeError:
                return
            won.append(advisor)

        threads = [threading.Thread(target=accept, args=(a,)) for a in advisors]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert len(won) == 1
        stored = chats.read("s1")
        assert (stored.advisor_id, stored.last_seq) == (won[0], 1)
        assert len(chats.store.messages("s1", 0, 100)) == 1

    def test_an_accepted_chat_leaves_the_queue_for_its_advisors_list(self, chats: Chats) -> None:
        chats.create(chat("s1", "u1", created_at=at(9)))
        chats.create(chat("s2", "u2", created_at=at(9, 1)))
        chats.create(chat("s3", "u3", created_at=at(9, 2)))

        chats.accept("s3", "sophie", at(9, 5))
        chats.accept("s1", "sophie", at(9, 6))

        assert chats.ids(chats.store.waiting_sessions()) == ["s2"]
        assert chats.ids(chats.store.advisor_sessions("sophie")) == ["s3", "s1"]
        assert chats.store.advisor_sessions("marc") == []
        stored = chats.read("s3")
        assert (stored.status, stored.advisor_name, stored.accepted_at) == (
            "active",
            "Sophie",
            at(9, 5),
        )

    def test_a_closed_chat_leaves_every_list_and_frees_its_users_lock(self, chats: Chats) -> None:
        chats.create(chat("s1", "u1"))
        chats.create(chat("s2", "u2"))
        chats.accept("s1", "sophie", at(9, 5))

        chats.close("s1", at(9, 30))
        chats.close("s2", at(9, 31))

        assert chats.store.waiting_sessions() == []
        assert chats.store.advisor_sessions("sophie") == []
        assert (chats.store.open_session_id("u1"), chats.store.open_session_id("u2")) == (
            None,
            None,
        )
        closed = chats.read("s1")
        assert (closed.status, closed.closed_by, closed.closed_at) == ("closed", "user", at(9, 30))

    def test_after_closing_the_user_may_open_another_chat(self, chats: Chats) -> None:
        chats.create(chat("s1"))
        chats.close("s1", at(9, 30))

        chats.create(chat("s2", created_at=at(10)))

        assert chats.store.open_session_id("alice") == "s2"

    def test_closing_never_frees_a_lock_another_chat_holds(self, chats: Chats) -> None:
        chats.create(chat("s1", None))
        chats.create(chat("s2", "alice", created_at=at(9, 1)))
        # A read of s1 that names alice: the store frees alice's lock only if it is s1's.
        read = chats.read("s1").model_copy(update={"user_id": "alice"})
        note = message(read, "Vous avez clos la conversation.", at(9, 30), author="system")

        with pytest.raises(ConcurrentChangeError):
            chats.store.write_event(
                read,
                note,
                allowed=OPEN,
                changes=closed_changes("user", "closed_by_user", at(9, 30)),
            )

        assert chats.store.open_session_id("alice") == "s2"
        assert chats.read("s1").status == "waiting"

    def test_a_closed_chat_takes_no_more_messages(self, chats: Chats) -> None:
        chats.create(chat("s1"))
        chats.close("s1", at(9, 30))

        with pytest.raises(ConcurrentChangeError):
            chats.post("s1", "encore là ?", at(9, 31))

    # Ratings

    def test_a_closed_chat_is_rated_once(self, chats: Chats) -> None:
        closed = chats.closed_chat("s1")

        assert chats.store.rate(closed, rating("s1", 4, at(10), comment="Merci"))
        assert not chats.store.rate(closed, rating("s1", 1, at(11)))

        kept = chats.read("s1").rating
        assert kept is not None and (kept.stars, kept.comment, kept.rated_at) == (
            4,
            "Merci",
            at(10),
        )
        assert [r.stars for r in chats.store.ratings(10, None)[0]] == [4]

    def test_an_open_or_unknown_chat_cannot_be_rated(self, chats: Chats) -> None:
        waiting = chats.create(chat("s1"))

        assert not chats.store.rate(waiting, rating("s1", 5, at(10)))
        assert not chats.store.rate(chat("ghost"), rating("ghost", 5, at(10)))
        assert chats.store.ratings(10, None) == ([], None)
        assert chats.store.rating_stats() == {"CATEGORY": [], "ADVISOR": []}

    def test_ratings_page_newest_first_through_cursors(self, chats: Chats) -> None:
        for n in range(5):
            chats.store.rate(chats.closed_chat(f"s{n}"), rating(f"s{n}", 3, at(10 + n)))

        pages: list[list[str]] = []
        cursor: str | None = None
        while len(pages) < 5:
            records, cursor = chats.store.ratings(2, cursor)
            pages.append([r.session_id for r in records])
            if cursor is None:
                break

        assert pages == [["s4", "s3"], ["s2", "s1"], ["s0"]]

    def test_a_full_last_page_of_ratings_ends_at_once_or_with_an_empty_page(
        self, chats: Chats
    ) -> None:
        for n in range(2):
            chats.store.rate(chats.closed_chat(f"s{n}"), rating(f"s{n}", 3, at(10 + n)))

        first, cursor = chats.store.ratings(2, None)
        rest = chats.store.ratings(2, cursor) if cursor else ([], None)

        assert [r.session_id for r in first] == ["s1", "s0"]
        assert rest == ([], None)

    @pytest.mark.parametrize(
        "cursor",
        [
            _forged(pk="SESSION#s1", sk="META"),
            _forged(pk="RATINGS"),
            _forged(pk="RATINGS", sk="RATING#x", gsi1pk="QUEUE"),
            "not base64 json!",
        ],
    )
    def test_a_cursor_that_is_not_a_ratings_key_is_a_422(self, chats: Chats, cursor: str) -> None:
        with pytest.raises(InvalidFieldsError) as refused:
            chats.store.ratings(2, cursor)

        assert [e.field for e in refused.value.errors] == ["cursor"]

    def test_ratings_average_per_category_and_advisor(self, chats: Chats) -> None:
        rated: list[tuple[str, int, dict[str, Any]]] = [
            ("s1", 5, {}),
            ("s2", 2, {"advisor_id": "marc", "advisor_name": "Marc"}),
            ("s3", 4, {"category": "FACTURE"}),
            # Closed before an advisor came: counted for its category only.
            ("s4", 1, {"advisor_id": None, "advisor_name": None}),
        ]
        for n, (session_id, stars, fields) in enumerate(rated):
            chats.store.rate(
                chats.closed_chat(session_id), rating(session_id, stars, at(10, n), **fields)
            )

        assert chats.store.rating_stats() == {
            "CATEGORY": [
                RatingStat(key="CONNEXION", count=3, average=2.67),
                RatingStat(key="FACTURE", count=1, average=4.0),
            ],
            "ADVISOR": [
                RatingStat(key="marc", count=1, average=2.0),
                RatingStat(key="sophie", count=2, average=4.5),
            ],
        }

    # Connections

    def test_a_connection_is_kept_until_forgotten(self, chats: Chats) -> None:
        opened = Connection(
            connection_id="c1", user_id="alice", roles=["emitter"], connected_at=at(9)
        )
        chats.store.save_connection(opened)

        assert chats.store.connection("c1") == opened
        assert chats.store.forget_connection("c1") == opened
        assert chats.store.connection("c1") is None
        assert chats.store.forget_connection("c1") is None

    def test_a_subscribed_connection_follows_the_chat(self, chats: Chats) -> None:
        chats.create(chat("s1"))
        for connection_id in ("c1", "c2"):
            chats.store.save_connection(Connection(connection_id=connection_id, connected_at=at(9)))
            chats.store.subscribe(connection_id, "s1")

        chats.store.unsubscribe("c1", "s1")

        connection = chats.store.connection("c1")
        assert connection is not None and connection.session_id == "s1"
        assert chats.read("s1").connections == {"c2"}

    def test_the_last_unsubscribe_leaves_no_connection(self, chats: Chats) -> None:
        chats.create(chat("s1"))
        chats.store.save_connection(Connection(connection_id="c1", connected_at=at(9)))
        chats.store.subscribe("c1", "s1")

        chats.store.unsubscribe("c1", "s1")
        chats.store.unsubscribe("c1", "gone")

        assert chats.read("s1").connections == set()

    def test_a_connection_gone_before_it_subscribes_follows_nothing(self, chats: Chats) -> None:
        chats.create(chat("s1"))
        chats.store.save_connection(Connection(connection_id="c1", connected_at=at(9)))
        chats.store.forget_connection("c1")

        chats.store.subscribe("c1", "s1")

        assert chats.store.connection("c1") is None
        assert chats.read("s1").connections == set()

    def test_subscribing_to_an_unknown_chat_fails_its_condition(self, chats: Chats) -> None:
        chats.store.save_connection(Connection(connection_id="c1", connected_at=at(9)))

        with pytest.raises(Exception) as refused:
            chats.store.subscribe("c1", "ghost")

        assert condition_failed(refused.value)


class TestFakeLiveChatStore(LiveChatStoreContract):
    @pytest.fixture
    def chats(self) -> Chats:
        return Chats(FakeLiveChatStore(), FakeTransaction)


class TestDynamoLiveChatStore(LiveChatStoreContract):
    @pytest.fixture
    def chats(self, aws_env: dict[str, str]) -> Chats:
        return Chats(wiring.livechat_store(), wiring.transaction)
