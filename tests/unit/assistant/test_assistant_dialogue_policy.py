"""Dialogue policy without AWS: suggestions, clicked suggestions, escalation, ticket draft."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.assistant import dialogue, policy, replies
from chalicelib.assistant.knowledge import load_knowledge_base
from chalicelib.assistant.records import StoredMessage

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


class AlwaysClosed:
    def is_open_at(self, instant: datetime) -> bool:
        return False

    def next_opening(self, instant: datetime) -> datetime | None:
        return datetime(2026, 12, 7, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize("profile", ["anonyme", "fournisseur", "structure_publique", None])
def test_most_asked_topics_exist_and_suit_the_profile(profile: str | None) -> None:
    knowledge_base = load_knowledge_base()

    for topic_id in policy.MOST_ASKED[profile]:
        topic = knowledge_base.topic(topic_id)
        assert profile is None or profile in topic.audiences, topic_id


def test_every_suggestion_label_leads_back_to_its_topic() -> None:
    knowledge_base = load_knowledge_base()

    for topic in knowledge_base.topics:
        assert policy.suggested_topic(knowledge_base, topic.suggestion) == topic.id
        assert policy.suggested_topic(knowledge_base, topic.suggestion.upper() + " ?") == topic.id


def test_related_suggestions_leave_out_topics_the_profile_cannot_see() -> None:
    knowledge_base = load_knowledge_base()

    suggestions = policy.related_suggestions(knowledge_base, "compte.creation", "anonyme")

    visible = {t.suggestion for t in knowledge_base.topics if "anonyme" in t.audiences}
    assert suggestions and set(suggestions) <= visible


def test_without_a_reason_there_is_no_escalation() -> None:
    assert policy.escalation_for(None, "c", AlwaysClosed(), NOW) is None


def test_a_closed_livechat_offers_only_a_ticket_and_says_when_it_reopens() -> None:
    escalation = policy.escalation_for("asked", "c", AlwaysClosed(), NOW)

    assert escalation is not None
    assert escalation.actions == ["ticket"]
    assert "07/12/2026 à 08h30" in replies.escalation_text(escalation)


def test_the_draft_description_keeps_the_latest_turns_within_10000_characters() -> None:
    messages = [
        StoredMessage(
            message_id=f"m{n}",
            author="user" if n % 2 else "assistant",
            text=f"{n} " + "x" * 900,
            at=NOW,
        )
        for n in range(1, 40)
    ]

    description = dialogue.draft_description(messages)

    assert len(description) <= dialogue.DRAFT_DESCRIPTION_MAX
    assert "[…]" in description
    assert description.endswith("39 " + "x" * 900)
    assert "Vous : 1 x" not in description


@pytest.mark.parametrize(
    ("profile", "roles", "expected"),
    [
        ("fournisseur", frozenset(), "fournisseur"),
        (None, frozenset(), None),
        ("fournisseur", frozenset({"support_agents"}), "support_agent"),
        ("structure_publique", frozenset({"business_agents"}), "business_agent"),
        (None, frozenset({"business_agents", "support_agents"}), "support_agent"),
        ("structure_publique", frozenset({"auditors"}), "structure_publique"),
    ],
)
def test_the_audience_is_an_agents_role_first_else_the_profile(
    profile: str | None, roles: frozenset[str], expected: str | None
) -> None:
    assert policy.audience_of(profile, roles) == expected
