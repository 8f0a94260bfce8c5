"""The ConversationStore contract: one suite, run on the in-memory fake and on DynamoDB (moto).

What the dialogue may count on from any conversation store: a conversation is
created once, read back whole until 30 days after its last write, written over
the version read only (a 409 otherwise, its counter then left as it was), never
written past one item's size (a 413, nothing written); counters add up per Paris
day, and a day's insights list them in sort-key order.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from chalicelib.assistant.records import (
    Conversation,
    InsightCounter,
    OfferChoice,
    OrganisationRef,
    QuestionCount,
    StoredMessage,
    TopicDeflections,
    TopicRatings,
    not_understood_counter,
    offer_choice_counter,
    rating_counter,
)
from chalicelib.assistant.store import ConversationStore
from chalicelib.assistant.suggestions import deflection_counter
from chalicelib.endpoints import wiring
from chalicelib.shared.dynamo import condition_failed
from chalicelib.shared.errors import ConflictError, PayloadTooLargeError
from tests.fakes.assistant import FakeConversationStore
from tests.records import at

DAY = date(2026, 12, 4)
THIRTY_DAYS = timedelta(days=30)


def conversation(conversation_id: str = "c1", **fields: object) -> Conversation:
    """alice's conversation, started at 09:00 with one exchange, unless `fields` say otherwise."""
    data: dict[str, object] = {
        "conversation_id": conversation_id,
        "owner": "alice",
        "profile": "fournisseur",
        "organisations": [OrganisationRef(id="org-1", designation="Boulangerie Martin")],
        "created_at": at(9),
        "updated_at": at(9),
        "messages": [
            StoredMessage(message_id="m1", author="assistant", text="Bonjour !", at=at(9)),
            StoredMessage(
                message_id="m2",
                author="user",
                text="Comment déposer une facture ?",
                at=at(9, 1),
            ),
        ],
    }
    data.update(fields)
    return Conversation.model_validate(data)


def replied(previous: Conversation, when: datetime, text: str = "Voici comment.") -> Conversation:
    """`previous` with one more assistant turn at `when` (the version read kept)."""
    after = previous.model_copy(deep=True)
    after.messages.append(
        StoredMessage(message_id=after.next_message_id(), author="assistant", text=text, at=when)
    )
    after.updated_at = when
    return after


def question(text: str, count: int) -> QuestionCount:
    return QuestionCount(question=text, count=count)


class ConversationStoreContract:
    """The tests; a subclass gives `store` on its backend."""

    @pytest.fixture
    def store(self) -> ConversationStore:
        raise NotImplementedError

    # Creating and reading

    def test_a_created_conversation_reads_back_whole(self, store: ConversationStore) -> None:
        started = conversation(pending="invoice_number", last_topic="facture.depot")

        store.create(started)

        assert store.get("c1", at(10)) == started

    def test_an_anonymous_conversation_reads_back_without_owner(
        self, store: ConversationStore
    ) -> None:
        store.create(conversation(owner=None, profile="anonyme", organisations=[]))

        found = store.get("c1", at(10))

        assert found is not None
        assert (found.owner, found.profile, found.organisations) == (None, "anonyme", [])

    def test_an_unknown_conversation_reads_as_none(self, store: ConversationStore) -> None:
        assert store.get("nope", at(10)) is None

    def test_creating_an_id_twice_fails_its_condition_and_keeps_the_first(
        self, store: ConversationStore
    ) -> None:
        store.create(conversation())

        with pytest.raises(Exception) as refused:
            store.create(conversation(owner="bob"))

        assert condition_failed(refused.value)
        found = store.get("c1", at(10))
        assert found is not None and found.owner == "alice"

    # Expiry

    def test_a_conversation_is_read_until_30_days_after_its_last_write(
        self, store: ConversationStore
    ) -> None:
        store.create(conversation())

        assert store.get("c1", at(9) + THIRTY_DAYS - timedelta(seconds=1)) is not None
        assert store.get("c1", at(9) + THIRTY_DAYS) is None

    def test_each_write_pushes_the_expiry_back(self, store: ConversationStore) -> None:
        started = conversation()
        store.create(started)

        store.save(replied(started, at(9) + timedelta(days=20)))

        assert store.get("c1", at(9) + THIRTY_DAYS + timedelta(days=1)) is not None
        assert store.get("c1", at(9) + timedelta(days=50)) is None

    def test_an_expired_conversation_not_yet_deleted_still_holds_its_id(
        self, store: ConversationStore
    ) -> None:
        store.create(conversation())

        with pytest.raises(Exception) as refused:
            store.create(conversation(created_at=at(9, day=30), updated_at=at(9, day=30)))

        assert condition_failed(refused.value)

    # Writing over the version read

    def test_a_save_over_the_version_read_bumps_it(self, store: ConversationStore) -> None:
        started = conversation()
        store.create(started)
        after = replied(started, at(9, 2))

        store.save(after)

        assert after.version == 1
        assert store.get("c1", at(10)) == after

    def test_successive_saves_each_bump_the_version(self, store: ConversationStore) -> None:
        current = conversation()
        store.create(current)

        for minute in (2, 3, 4):
            current = replied(current, at(9, minute))
            store.save(current)

        found = store.get("c1", at(10))
        assert found is not None
        assert (found.version, len(found.messages)) == (3, 5)

    def test_a_save_over_a_stale_version_is_a_409_and_writes_nothing(
        self, store: ConversationStore
    ) -> None:
        started = conversation()
        store.create(started)
        first_tab = replied(started, at(9, 2), "Réponse du premier onglet.")
        second_tab = replied(started, at(9, 3), "Réponse du second onglet.")
        store.save(first_tab)

        with pytest.raises(ConflictError):
            store.save(second_tab)

        assert second_tab.version == 0
        assert store.get("c1", at(10)) == first_tab

    def test_saving_a_conversation_never_created_is_a_409(self, store: ConversationStore) -> None:
        with pytest.raises(ConflictError):
            store.save(conversation())

        assert store.get("c1", at(10)) is None

    def test_a_save_with_a_counter_writes_both(self, store: ConversationStore) -> None:
        started = conversation()
        store.create(started)
        after = replied(started, at(9, 2))

        store.save(after, not_understood_counter("ma facture a disparu", at(9, 2)))

        assert store.get("c1", at(10)) == after
        assert store.insights(DAY)[0] == [question("ma facture a disparu", 1)]

    def test_a_stale_save_with_a_counter_counts_nothing(self, store: ConversationStore) -> None:
        started = conversation()
        store.create(started)
        store.save(replied(started, at(9, 2)))

        with pytest.raises(ConflictError):
            store.save(replied(started, at(9, 3)), rating_counter("depot", {"up": 1}, at(9, 3)))

        assert store.insights(DAY) == ([], [], [], [])

    # One item's size

    def test_a_conversation_past_one_items_size_is_a_413_and_not_created(
        self, store: ConversationStore
    ) -> None:
        huge = conversation()
        huge.messages.append(
            StoredMessage(message_id="m3", author="user", text="\x01" * 70_000, at=at(9, 2))
        )

        with pytest.raises(PayloadTooLargeError):
            store.create(huge)

        assert store.get("c1", at(10)) is None

    def test_a_save_past_one_items_size_is_a_413_and_keeps_the_stored_one(
        self, store: ConversationStore
    ) -> None:
        started = conversation()
        store.create(started)
        huge = replied(started, at(9, 2), "\x01" * 70_000)

        with pytest.raises(PayloadTooLargeError):
            store.save(huge, not_understood_counter("trop long", at(9, 2)))

        assert huge.version == 0
        assert store.get("c1", at(10)) == started
        assert store.insights(DAY) == ([], [], [], [])

    def test_a_conversation_just_under_one_items_size_is_kept(
        self, store: ConversationStore
    ) -> None:
        big = conversation()
        # 55,000 control characters: 330,000 bytes of JSON, under the 400,000 allowed.
        big.messages.append(
            StoredMessage(message_id="m3", author="user", text="\x01" * 55_000, at=at(9, 2))
        )

        store.create(big)

        assert store.get("c1", at(10)) == big

    # Insight counters

    def test_counters_add_up_per_day(self, store: ConversationStore) -> None:
        for hour in (9, 10, 11):
            store.count(not_understood_counter("mot de passe perdu", at(hour)), at(hour))
        store.count(rating_counter("depot", {"up": 1}, at(9)), at(9))
        store.count(rating_counter("depot", {"down": 1}, at(10)), at(10))
        store.count(deflection_counter("depot", at(10)), at(10))
        for hour in (9, 11):
            store.count(offer_choice_counter("code a 6 chiffres", "compte.mfa", at(hour)), at(hour))
        store.count(offer_choice_counter("code a 6 chiffres", "compte.mdp", at(10)), at(10))
        store.count(not_understood_counter("autre jour", at(9, day=5)), at(9, day=5))

        assert store.insights(DAY) == (
            [question("mot de passe perdu", 3)],
            [TopicRatings(topic="depot", up=1, down=1)],
            [TopicDeflections(topic="depot", count=1)],
            [
                OfferChoice(question="code a 6 chiffres", topic="compte.mdp", count=1),
                OfferChoice(question="code a 6 chiffres", topic="compte.mfa", count=2),
            ],
        )
        assert store.insights(date(2026, 12, 5)) == ([question("autre jour", 1)], [], [], [])

    def test_a_changed_rating_moves_a_thumb_from_up_to_down(self, store: ConversationStore) -> None:
        store.count(rating_counter("depot", {"up": 1}, at(9)), at(9))

        store.count(rating_counter("depot", {"up": -1, "down": 1}, at(9, 5)), at(9, 5))

        assert store.insights(DAY)[1] == [TopicRatings(topic="depot", up=0, down=1)]

    def test_a_day_is_a_paris_day(self, store: ConversationStore) -> None:
        # 23:30 UTC on 4 December is 00:30 on 5 December in Paris.
        late = at(23, 30)
        store.count(not_understood_counter("tard le soir", late), late)

        assert store.insights(DAY) == ([], [], [], [])
        assert store.insights(date(2026, 12, 5))[0] == [question("tard le soir", 1)]

    def test_a_day_lists_its_counters_in_sort_key_order(self, store: ConversationStore) -> None:
        for text in ("zèbre", "abonnement", "Zorro", "écran"):
            store.count(not_understood_counter(text, at(9)), at(9))
        for topic in ("suivi", "depot"):
            store.count(rating_counter(topic, {"up": 1}, at(9)), at(9))

        questions, ratings, _, _ = store.insights(DAY)

        # Byte order of UTF-8: upper case, then lower case, then accented letters.
        assert [q.question for q in questions] == ["Zorro", "abonnement", "zèbre", "écran"]
        assert [r.topic for r in ratings] == ["depot", "suivi"]

    def test_a_day_without_counters_has_no_insights(self, store: ConversationStore) -> None:
        assert store.insights(DAY) == ([], [], [], [])

    def test_a_counter_alone_writes_no_conversation(self, store: ConversationStore) -> None:
        counter = InsightCounter(
            day=DAY, sort_key="QUESTION#seul", increments={"count": 2}, question="seul"
        )

        store.count(counter, at(9))

        assert store.insights(DAY)[0] == [question("seul", 2)]
        assert store.get("seul", at(10)) is None


class TestFakeConversationStore(ConversationStoreContract):
    @pytest.fixture
    def store(self) -> ConversationStore:
        return FakeConversationStore()


class TestDynamoConversationStore(ConversationStoreContract):
    @pytest.fixture
    def store(self, aws_env: dict[str, str]) -> ConversationStore:
        return wiring.conversation_store()
