"""The assistant's policy, with the expected values written down: when a person is
offered (2nd, 3rd, 4th... not-understood answer, thumbs down, explicit request), what
is offered open or closed, and which suggestions each profile gets.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from chalicelib.assistant import policy
from chalicelib.assistant.knowledge import load_knowledge_base
from chalicelib.livechat.calendar import DayRule, OpeningRules, WorkingCalendar

FRIDAY_10H_PARIS = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
MONDAY_0830_PARIS = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)
SATURDAY_10H_PARIS = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("not_understood", "reason"),
    [
        (0, None),
        (1, None),
        (2, "not_understood"),
        (3, "not_understood"),
        (4, "not_understood"),
        (10, "not_understood"),
    ],
)
def test_a_person_is_offered_from_the_second_not_understood_answer_on(
    not_understood: int, reason: str | None
) -> None:
    assert policy.not_understood_escalation(not_understood) == reason


def test_a_thumbs_down_offers_a_person_and_a_thumbs_up_does_not() -> None:
    assert policy.rating_escalation("down") == "negative_rating"
    assert policy.rating_escalation("up") is None


@pytest.mark.parametrize("reason", ["asked", "not_understood", "negative_rating"])
def test_while_open_the_livechat_and_a_ticket_are_offered(reason: str) -> None:
    escalation = policy.escalation_for(
        reason,  # type: ignore[arg-type]
        "conv-1",
        WorkingCalendar(OpeningRules()),
        FRIDAY_10H_PARIS,
    )

    assert escalation is not None
    assert escalation.model_dump() == {
        "reason": reason,
        "livechat": {"open": True, "next_opening": None},
        "actions": ["livechat", "ticket"],
        "ticket_draft": "/assistant/conversations/conv-1/ticket-draft",
    }


def test_a_day_the_advisors_closed_offers_only_a_ticket_and_the_next_opening() -> None:
    closed = WorkingCalendar(OpeningRules(), [DayRule(date=date(2026, 12, 4), reason="Formation")])

    escalation = policy.escalation_for("asked", "conv-1", closed, FRIDAY_10H_PARIS)

    assert escalation is not None
    assert (escalation.actions, escalation.livechat.open) == (["ticket"], False)
    assert escalation.livechat.next_opening == MONDAY_0830_PARIS


def test_a_saturday_the_advisors_opened_offers_the_livechat() -> None:
    opened = WorkingCalendar(
        OpeningRules(),
        [DayRule(date=date(2026, 12, 5), closed=False, opens=time(9), closes=time(12))],
    )

    escalation = policy.escalation_for("asked", "conv-1", opened, SATURDAY_10H_PARIS)

    assert escalation is not None
    assert escalation.actions == ["livechat", "ticket"]


def test_without_a_reason_nothing_is_offered_even_while_open() -> None:
    hours = WorkingCalendar(OpeningRules())

    assert policy.escalation_for(None, "conv-1", hours, FRIDAY_10H_PARIS) is None


# Suggestions

MOST_ASKED_LABELS: dict[str | None, list[str]] = {
    "anonyme": [
        "Créer un compte",
        "Réinitialiser mon mot de passe",
        "Créer ma structure",
        "Qui doit utiliser Chorus Pro ?",
    ],
    "fournisseur": [
        "Déposer une facture PDF",
        "Le statut d'une de mes factures",
        "Ma facture est rejetée",
        "Suivre mes tickets",
    ],
    "structure_publique": [
        "Traiter une facture reçue",
        "Rejeter ou suspendre une facture",
        "Accès des agents publics (PIGP)",
        "Suivre mes tickets",
    ],
    None: [
        "Réinitialiser mon mot de passe",
        "Suivre mes tickets",
        "Créer un ticket",
        "Parler à un conseiller",
    ],
}


@pytest.mark.parametrize("profile", list(MOST_ASKED_LABELS))
def test_each_profile_is_offered_its_four_most_asked_topics(profile: str | None) -> None:
    assert policy.most_asked(load_knowledge_base(), profile) == MOST_ASKED_LABELS[profile]


def test_an_unknown_profile_gets_the_general_most_asked_topics() -> None:
    assert policy.most_asked(load_knowledge_base(), "inconnu") == MOST_ASKED_LABELS[None]


@pytest.mark.parametrize(
    ("profile", "labels"),
    [
        (
            "anonyme",
            [
                "Lien d'activation non reçu",
                "Créer ma structure",
                "Accès des agents publics (PIGP)",
            ],
        ),
        (
            "fournisseur",
            [
                "Lien d'activation non reçu",
                "Créer ma structure",
                "Me rattacher à une structure",
            ],
        ),
        (
            None,
            [
                "Lien d'activation non reçu",
                "Créer ma structure",
                "Me rattacher à une structure",
                "Accès des agents publics (PIGP)",
            ],
        ),
    ],
)
def test_related_suggestions_are_exactly_the_related_topics_the_profile_may_see(
    profile: str | None, labels: list[str]
) -> None:
    assert policy.related_suggestions(load_knowledge_base(), "compte.creation", profile) == labels


@pytest.mark.parametrize(
    ("typed", "topic"),
    [
        ("Créer un compte", "compte.creation"),
        ("creer un compte ?", "compte.creation"),
        ("CRÉER UN COMPTE !", "compte.creation"),
        ("Qui doit utiliser Chorus Pro", "facture.obligation_chorus_pro"),
        ("Créer un compte maintenant", None),
        ("", None),
    ],
)
def test_a_clicked_suggestion_is_recognised_with_case_accents_and_end_punctuation_folded(
    typed: str, topic: str | None
) -> None:
    assert policy.suggested_topic(load_knowledge_base(), typed) == topic
