"""The dialogue's flow on in-memory fakes (no moto): start, answer, rate, escalate, insights.

The conversation store is tests/fakes/assistant.py (held to DynamoDB's behaviour by
tests/functional/contracts/test_conversation_store_contract.py), the directory the
demo one in memory; the LiveChat's hours and the latest tickets are stubs; `now` is
fixed, so every conversation's expiry and every counter's day is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.assistant import dialogue, feedback, replies
from chalicelib.assistant.context import TicketLine
from chalicelib.assistant.dialogue import AssistantAdapters
from chalicelib.assistant.insights import insights
from chalicelib.assistant.records import OfferChoice, QuestionCount, TopicRatings
from chalicelib.auth import Identity
from chalicelib.shared.errors import ConflictError, NotFoundError
from tests.fakes.assistant import FakeConversationStore
from tests.fakes.directory import demo_directory

# Friday 4 December 2026, 10:00 in Paris: the LiveChat is open.
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 4)
MONDAY_OPENING = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)
GIBBERISH = ("zorglub blorp quantique", "flurbo grimbli wazaa")
UNDERSTOOD = "mot de passe oublié"
# Offered three topics, the double authentication first; the phone number is masked when kept.
UNSURE = "le code à 6 chiffres n'arrive pas sur mon 0612345678"
TWO_FACTOR = "compte.double_authentification"
TWO_FACTOR_LABEL = "La double authentification"
ALICE = Identity(user_id="alice", name="Alice Martin")
CLAIRE = Identity(user_id="claire", name="Claire Dupont")


class Hours:
    """The LiveChat's hours, open or closed as the test says."""

    def __init__(self, open_now: bool) -> None:
        self.open_now = open_now

    def is_open_at(self, instant: datetime) -> bool:
        return self.open_now

    def next_opening(self, instant: datetime) -> datetime | None:
        return None if self.open_now else MONDAY_OPENING


def no_tickets(user_id: str, limit: int) -> Sequence[TicketLine]:
    return []


@pytest.fixture
def store() -> FakeConversationStore:
    return FakeConversationStore()


@pytest.fixture
def hours() -> Hours:
    return Hours(open_now=True)


@pytest.fixture
def adapters(store: FakeConversationStore, hours: Hours) -> AssistantAdapters:
    return AssistantAdapters(
        store=store, directory=demo_directory(), tickets=no_tickets, hours=hours
    )


def started(adapters: AssistantAdapters, caller: Identity | None = None) -> str:
    return dialogue.start_conversation(adapters, caller, NOW).conversation_id


# Start


def test_an_anonymous_conversation_is_stored_with_its_greeting(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    reply = dialogue.start_conversation(adapters, None, NOW)

    stored = store.get(reply.conversation_id, NOW)
    assert stored is not None
    assert (stored.owner, stored.profile, stored.version) == (None, "anonyme", 0)
    assert [(m.message_id, m.author) for m in stored.messages] == [("m1", "assistant")]
    assert reply.messages[0].text == stored.messages[0].text
    assert len(reply.suggestions) > 0


def test_a_users_conversation_remembers_their_profile_and_organisations(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters, ALICE)

    stored = store.get(conversation_id, NOW)
    assert stored is not None
    assert (stored.owner, stored.profile) == ("alice", "fournisseur")
    assert [o.designation for o in stored.organisations] == [
        "Boulangerie Martin SARL",
        "Martin Conseil SAS",
    ]
    assert "Alice" in stored.messages[0].text


# Answers


def test_an_understood_question_is_answered_and_stored_with_its_topic(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters)

    reply = dialogue.post_message(adapters, conversation_id, None, UNDERSTOOD, NOW)

    assert reply.understood and reply.topic == "compte.mot_de_passe_oublie"
    assert reply.escalation is None
    stored = store.get(conversation_id, NOW)
    assert stored is not None
    assert stored.version == 1
    assert [(m.author, m.topic) for m in stored.messages[1:]] == [
        ("user", None),
        ("assistant", "compte.mot_de_passe_oublie"),
    ]
    assert stored.last_topic == "compte.mot_de_passe_oublie"
    assert store.insights(TODAY) == ([], [], [], [])


def test_a_first_not_understood_answer_counts_the_question_and_offers_nobody(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters)

    reply = dialogue.post_message(adapters, conversation_id, None, "Zorglub BLORP quantique", NOW)

    assert (reply.understood, reply.topic, reply.escalation) == (False, None, None)
    assert reply.text == replies.NOT_UNDERSTOOD
    assert store.insights(TODAY)[0] == [QuestionCount(question=GIBBERISH[0], count=1)]


def test_the_second_not_understood_answer_offers_the_livechat_while_open(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters)

    first = dialogue.post_message(adapters, conversation_id, None, GIBBERISH[0], NOW)
    second = dialogue.post_message(adapters, conversation_id, None, GIBBERISH[1], NOW)

    assert first.escalation is None
    assert second.escalation is not None
    assert (second.escalation.reason, second.escalation.actions) == (
        "not_understood",
        ["livechat", "ticket"],
    )
    assert second.text.startswith(replies.STILL_NOT_UNDERSTOOD)
    stored = store.get(conversation_id, NOW)
    assert stored is not None
    assert (stored.not_understood, stored.messages[-1].escalation) == (2, "not_understood")


def test_the_second_not_understood_answer_offers_only_a_ticket_when_closed(
    adapters: AssistantAdapters, hours: Hours
) -> None:
    hours.open_now = False
    conversation_id = started(adapters)

    dialogue.post_message(adapters, conversation_id, None, GIBBERISH[0], NOW)
    second = dialogue.post_message(adapters, conversation_id, None, GIBBERISH[1], NOW)

    assert second.escalation is not None
    assert second.escalation.actions == ["ticket"]
    assert second.escalation.livechat.next_opening == MONDAY_OPENING


def test_not_understood_answers_count_across_understood_ones(adapters: AssistantAdapters) -> None:
    conversation_id = started(adapters)

    dialogue.post_message(adapters, conversation_id, None, GIBBERISH[0], NOW)
    between = dialogue.post_message(adapters, conversation_id, None, UNDERSTOOD, NOW)
    second = dialogue.post_message(adapters, conversation_id, None, GIBBERISH[1], NOW)

    assert between.escalation is None
    assert second.escalation is not None and second.escalation.reason == "not_understood"


def test_asking_for_a_person_escalates_at_once(adapters: AssistantAdapters) -> None:
    conversation_id = started(adapters)

    reply = dialogue.post_message(
        adapters, conversation_id, None, "je veux parler à un conseiller", NOW
    )

    assert reply.escalation is not None and reply.escalation.reason == "asked"


# Ratings


def test_a_thumbs_up_is_kept_and_counted_and_offers_nobody(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters)
    answer = dialogue.post_message(adapters, conversation_id, None, UNDERSTOOD, NOW)

    result = feedback.rate_message(adapters, conversation_id, answer.message_id, None, "up", NOW)

    assert (result.escalation, result.text) == (None, None)
    stored = store.get(conversation_id, NOW)
    assert stored is not None
    found = stored.message(answer.message_id)
    assert found is not None and found.rating == "up"
    assert store.insights(TODAY)[1] == [
        TopicRatings(topic="compte.mot_de_passe_oublie", up=1, down=0)
    ]


def test_a_thumbs_down_offers_a_person_and_moves_the_count(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters)
    answer = dialogue.post_message(adapters, conversation_id, None, UNDERSTOOD, NOW)
    feedback.rate_message(adapters, conversation_id, answer.message_id, None, "up", NOW)

    result = feedback.rate_message(adapters, conversation_id, answer.message_id, None, "down", NOW)

    assert result.escalation is not None and result.escalation.reason == "negative_rating"
    assert result.text is not None and result.text.startswith(replies.NEGATIVE)
    assert store.insights(TODAY)[1] == [
        TopicRatings(topic="compte.mot_de_passe_oublie", up=0, down=1)
    ]


def test_the_same_rating_twice_writes_once(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters)
    answer = dialogue.post_message(adapters, conversation_id, None, UNDERSTOOD, NOW)

    for _ in range(2):
        feedback.rate_message(adapters, conversation_id, answer.message_id, None, "up", NOW)

    assert store.stored_version(conversation_id) == 2
    assert store.insights(TODAY)[1][0].up == 1


def test_rating_a_question_is_not_found(adapters: AssistantAdapters) -> None:
    conversation_id = started(adapters)
    dialogue.post_message(adapters, conversation_id, None, UNDERSTOOD, NOW)

    with pytest.raises(NotFoundError):
        feedback.rate_message(adapters, conversation_id, "m2", None, "down", NOW)


# Who may continue, and for how long


def test_a_users_conversation_is_not_found_for_anyone_else(adapters: AssistantAdapters) -> None:
    conversation_id = started(adapters, ALICE)

    for caller in (CLAIRE, None):
        with pytest.raises(NotFoundError):
            dialogue.post_message(adapters, conversation_id, caller, UNDERSTOOD, NOW)


def test_a_conversation_is_gone_30_days_after_its_last_message(
    adapters: AssistantAdapters,
) -> None:
    conversation_id = started(adapters)
    later = NOW + timedelta(days=20)
    dialogue.post_message(adapters, conversation_id, None, UNDERSTOOD, later)

    dialogue.post_message(adapters, conversation_id, None, UNDERSTOOD, later + timedelta(days=29))
    with pytest.raises(NotFoundError):
        dialogue.post_message(
            adapters, conversation_id, None, UNDERSTOOD, later + timedelta(days=59)
        )


def test_a_turn_written_meanwhile_by_another_tab_is_a_conflict(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters)
    stale = store.get(conversation_id, NOW)
    assert stale is not None
    dialogue.post_message(adapters, conversation_id, None, UNDERSTOOD, NOW)

    with pytest.raises(ConflictError):
        store.save(stale)


# Insights


def test_the_content_team_sees_a_weeks_not_understood_questions(
    adapters: AssistantAdapters,
) -> None:
    for days_ago, text in ((0, GIBBERISH[0]), (3, GIBBERISH[0]), (10, GIBBERISH[1])):
        when = NOW - timedelta(days=days_ago)
        conversation_id = dialogue.start_conversation(adapters, None, when).conversation_id
        dialogue.post_message(adapters, conversation_id, None, text, when)

    report = insights(adapters.store, None, None, 10, NOW)

    assert report.not_understood == [QuestionCount(question=GIBBERISH[0], count=2)]


def test_a_click_on_an_offered_topic_keeps_the_unsure_question_masked_with_the_topic_chosen(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters)
    offer = dialogue.post_message(adapters, conversation_id, None, UNSURE, NOW)

    reply = dialogue.post_message(adapters, conversation_id, None, TWO_FACTOR_LABEL, NOW)

    assert offer.band == "offer" and TWO_FACTOR_LABEL in offer.suggestions
    assert reply.topic == TWO_FACTOR
    kept = "le code a 6 chiffres n'arrive pas sur mon [téléphone]"
    assert store.insights(TODAY)[3] == [OfferChoice(question=kept, topic=TWO_FACTOR, count=1)]
    assert store.insights(TODAY)[0] == []
    report = insights(adapters.store, None, None, 10, NOW)
    assert [(c.question, c.title, c.count) for c in report.offer_choices] == [
        (kept, "Double authentification (second facteur)", 1)
    ]


def test_a_suggestion_clicked_without_an_offer_before_it_is_no_choice(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters)
    dialogue.post_message(adapters, conversation_id, None, UNDERSTOOD, NOW)

    reply = dialogue.post_message(adapters, conversation_id, None, TWO_FACTOR_LABEL, NOW)

    assert reply.topic == TWO_FACTOR
    assert store.insights(TODAY)[3] == []


def test_an_offered_topic_reached_by_asking_again_in_other_words_is_no_choice(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters)
    dialogue.post_message(adapters, conversation_id, None, UNSURE, NOW)

    reply = dialogue.post_message(
        adapters, conversation_id, None, "double authentification code", NOW
    )

    assert reply.topic == TWO_FACTOR
    assert store.insights(TODAY)[3] == []


# "Aucun de ces sujets"


def test_none_of_the_offered_topics_counts_the_question_as_not_understood_and_keeps_it_masked(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters)
    offer = dialogue.post_message(adapters, conversation_id, None, UNSURE, NOW)

    reply = feedback.decline_offer(adapters, conversation_id, offer.message_id, None, NOW)

    assert (reply.band, reply.topic, reply.escalation) == ("refuse", None, None)
    assert reply.text == replies.NONE_OF_THESE
    kept = "le code a 6 chiffres n'arrive pas sur mon [téléphone]"
    assert store.insights(TODAY)[0] == [QuestionCount(question=kept, count=1)]
    stored = store.get(conversation_id, NOW)
    assert stored is not None and stored.not_understood == 1
    assert [(m.author, m.text) for m in stored.messages[-2:]] == [
        ("user", "Aucun de ces sujets"),
        ("assistant", replies.NONE_OF_THESE),
    ]


def test_declining_a_second_offer_offers_a_person(adapters: AssistantAdapters) -> None:
    conversation_id = started(adapters)
    first = dialogue.post_message(adapters, conversation_id, None, UNSURE, NOW)
    declined = feedback.decline_offer(adapters, conversation_id, first.message_id, None, NOW)
    second = dialogue.post_message(adapters, conversation_id, None, UNSURE, NOW)

    reply = feedback.decline_offer(adapters, conversation_id, second.message_id, None, NOW)

    assert declined.escalation is None and second.escalation is None
    assert reply.escalation is not None
    assert (reply.escalation.reason, reply.escalation.actions) == (
        "not_understood",
        ["livechat", "ticket"],
    )
    assert reply.text.startswith(replies.STILL_NOT_UNDERSTOOD)


def test_only_the_last_answer_and_only_an_offer_can_be_declined_once(
    adapters: AssistantAdapters, store: FakeConversationStore
) -> None:
    conversation_id = started(adapters)
    answered = dialogue.post_message(adapters, conversation_id, None, UNDERSTOOD, NOW)
    with pytest.raises(ConflictError):
        feedback.decline_offer(adapters, conversation_id, answered.message_id, None, NOW)
    offer = dialogue.post_message(adapters, conversation_id, None, UNSURE, NOW)
    feedback.decline_offer(adapters, conversation_id, offer.message_id, None, NOW)

    with pytest.raises(ConflictError):
        feedback.decline_offer(adapters, conversation_id, offer.message_id, None, NOW)
    with pytest.raises(NotFoundError):
        feedback.decline_offer(adapters, conversation_id, "m99", None, NOW)
    stored = store.get(conversation_id, NOW)
    assert stored is not None and stored.not_understood == 1


def test_another_users_offer_cannot_be_declined(adapters: AssistantAdapters) -> None:
    conversation_id = started(adapters, ALICE)
    offer = dialogue.post_message(adapters, conversation_id, ALICE, UNSURE, NOW)

    with pytest.raises(NotFoundError):
        feedback.decline_offer(adapters, conversation_id, offer.message_id, CLAIRE, NOW)
    with pytest.raises(NotFoundError):
        feedback.decline_offer(adapters, conversation_id, offer.message_id, None, NOW)
