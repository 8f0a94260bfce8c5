"""The dialogue's policy: what to suggest, and when to offer a person.

- Suggestions: after an answer, the related topics the profile may see; otherwise the
  topics most asked by that profile. A suggestion clicked comes back as its label, which
  is recognised as such before any search.
- Escalation: asking for a person ("asked"), the second not-understood answer of the
  conversation and every one after it ("not_understood"), or a negative rating
  ("negative_rating"). It offers the LiveChat when it is open and always a ticket,
  pre-filled from the conversation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from chalicelib.assistant.hours import LiveChatHours
from chalicelib.assistant.knowledge import KnowledgeBase
from chalicelib.assistant.records import EscalationReason, RatingValue
from chalicelib.auth import BUSINESS_AGENTS, SUPPORT_AGENTS
from chalicelib.shared.models import Model
from chalicelib.shared.text import fold

ANONYMOUS = "anonyme"
# Agents are greeted for their work, whatever their profile: the tool support's advisors,
# and the public bodies' agents who handle business tickets.
SUPPORT_AGENT = "support_agent"
BUSINESS_AGENT = "business_agent"
NOT_UNDERSTOOD_BEFORE_ESCALATION = 2
MAX_SUGGESTIONS = 4

# The topics each profile asks about most (support statistics), offered before any answer.
MOST_ASKED: dict[str | None, tuple[str, ...]] = {
    ANONYMOUS: (
        "compte.creation",
        "compte.mot_de_passe_oublie",
        "structure.creer",
        "facture.obligation_chorus_pro",
    ),
    "fournisseur": (
        "facture.deposer_pdf",
        "facture.statut_ma_facture",
        "facture.rejetee",
        "support.suivi_ticket",
    ),
    "structure_publique": (
        "entite_publique.traiter_facture_recue",
        "entite_publique.rejeter_suspendre",
        "compte.acces_entite_publique_pigp",
        "support.suivi_ticket",
    ),
    # What users ask advisors most: the answers an advisor reads to help them.
    SUPPORT_AGENT: (
        "compte.compte_bloque",
        "compte.mot_de_passe_oublie",
        "structure.rattachement",
        "facture.rejetee",
    ),
    BUSINESS_AGENT: (
        "entite_publique.sollicitations_recues",
        "entite_publique.traiter_facture_recue",
        "entite_publique.rejeter_suspendre",
        "support.suivi_ticket",
    ),
    None: (
        "compte.mot_de_passe_oublie",
        "support.suivi_ticket",
        "support.creer_ticket",
        "support.livechat",
    ),
}


class LiveChatStatus(Model):
    open: bool
    next_opening: datetime | None


class Escalation(Model):
    """A person offered: the LiveChat when it is open, a ticket always."""

    reason: EscalationReason
    livechat: LiveChatStatus
    actions: list[Literal["livechat", "ticket"]]
    # Where the pre-filled ticket is read from.
    ticket_draft: str


# Suggestions


def suggested_topic(knowledge_base: KnowledgeBase, text: str) -> str | None:
    """The topic whose suggestion label this text is (a suggestion clicked), if any."""
    label = _label_key(text)
    return next(
        (topic.id for topic in knowledge_base.topics if _label_key(topic.suggestion) == label),
        None,
    )


def _label_key(text: str) -> str:
    return fold(text).rstrip(" ?.!")


def related_suggestions(
    knowledge_base: KnowledgeBase, topic_id: str, profile: str | None
) -> list[str]:
    """The labels of a topic's related topics that the profile may see."""
    related = [knowledge_base.topic(related) for related in knowledge_base.topic(topic_id).related]
    visible = [topic for topic in related if profile is None or profile in topic.audiences]
    return [topic.suggestion for topic in visible][:MAX_SUGGESTIONS]


def audience_of(profile: str | None, roles: frozenset[str]) -> str | None:
    """Whom the greeting and first suggestions are for: an agent's role first, else the profile."""
    if SUPPORT_AGENTS in roles:
        return SUPPORT_AGENT
    if BUSINESS_AGENTS in roles:
        return BUSINESS_AGENT
    return profile


def most_asked(knowledge_base: KnowledgeBase, profile: str | None) -> list[str]:
    """The labels of the most asked topics of a profile (or an agent's audience)."""
    ids = MOST_ASKED.get(profile, MOST_ASKED[None])
    return [knowledge_base.topic(topic_id).suggestion for topic_id in ids][:MAX_SUGGESTIONS]


# Escalation


def not_understood_escalation(not_understood: int) -> EscalationReason | None:
    """After this many not-understood answers in a conversation, whether to offer a person."""
    return "not_understood" if not_understood >= NOT_UNDERSTOOD_BEFORE_ESCALATION else None


def rating_escalation(value: RatingValue) -> EscalationReason | None:
    """A thumbs down offers a person; a thumbs up does not."""
    return "negative_rating" if value == "down" else None


def escalation_for(
    reason: EscalationReason | None, conversation_id: str, hours: LiveChatHours, now: datetime
) -> Escalation | None:
    """The person offered for this reason: the LiveChat when open now, a ticket always."""
    if reason is None:
        return None
    is_open = hours.is_open_at(now)
    return Escalation(
        reason=reason,
        livechat=LiveChatStatus(
            open=is_open, next_opening=None if is_open else hours.next_opening(now)
        ),
        actions=["livechat", "ticket"] if is_open else ["ticket"],
        ticket_draft=f"/assistant/conversations/{conversation_id}/ticket-draft",
    )
