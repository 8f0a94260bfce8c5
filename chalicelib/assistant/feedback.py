"""What a user says about ClaudIA's answers: a thumbs up or down, or "Aucun de ces sujets".

A thumbs down offers a person at once. Declining the topics an unsure answer offered means the
question was not understood after all: it counts towards the person offered after two
(dialogue.py's rule for refused questions) and is kept masked for the content team. Each is
one read of the conversation and one write (with its counter in the same transaction).
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.assistant import replies
from chalicelib.assistant.dialogue import (
    MAX_USER_TURNS,
    AssistantAdapters,
    AssistantReply,
    Turn,
    owned_conversation,
    record_exchange,
    settle,
)
from chalicelib.assistant.policy import (
    Escalation,
    escalation_for,
    rating_escalation,
)
from chalicelib.assistant.privacy import masked
from chalicelib.assistant.records import RatingValue, not_understood_counter, rating_counter
from chalicelib.auth import Identity
from chalicelib.shared.errors import ConflictError, NotFoundError
from chalicelib.shared.models import Model


class RatingResult(Model):
    message_id: str
    value: RatingValue
    # What the assistant says back (a thumbs down: an apology and the person offered).
    text: str | None
    escalation: Escalation | None


def rate_message(
    adapters: AssistantAdapters,
    conversation_id: str,
    message_id: str,
    caller: Identity | None,
    value: RatingValue,
    now: datetime,
) -> RatingResult:
    """Keep a thumbs up or down on an answer; a thumbs down offers a person."""
    conversation = owned_conversation(adapters.store, conversation_id, caller, now)
    message = conversation.message(message_id)
    if message is None or message.author != "assistant":
        raise NotFoundError("Aucune réponse de l'assistant ne porte cet identifiant.")
    previous = message.rating
    if previous != value:
        message.rating = value
        conversation.updated_at = now
        counter = None
        if message.topic is not None:
            increments: dict[str, int] = {value: 1}
            if previous is not None:
                increments[previous] = -1
            counter = rating_counter(message.topic, increments, now)
        adapters.store.save(conversation, counter)
    escalation = escalation_for(rating_escalation(value), conversation_id, adapters.hours, now)
    return RatingResult(
        message_id=message_id,
        value=value,
        text=f"{replies.NEGATIVE} {replies.escalation_text(escalation)}" if escalation else None,
        escalation=escalation,
    )


def decline_offer(
    adapters: AssistantAdapters,
    conversation_id: str,
    message_id: str,
    caller: Identity | None,
    now: datetime,
) -> AssistantReply:
    """None of the topics an unsure answer offered fits ("Aucun de ces sujets").

    The question was not understood after all: it counts towards the person offered after
    two, and is kept (masked) for the content team like a refused one. Only the
    conversation's last answer, if it offered topics, can be declined, once.
    """
    conversation = owned_conversation(adapters.store, conversation_id, caller, now)
    offer = conversation.message(message_id)
    if offer is None or offer.author != "assistant":
        raise NotFoundError("Aucune réponse de l'assistant ne porte cet identifiant.")
    if not offer.offered or conversation.messages[-1] is not offer:
        raise ConflictError(replies.OFFER_CLOSED)
    if conversation.user_turns >= MAX_USER_TURNS:
        raise ConflictError(replies.TOO_LONG)
    # Not understood after all: counted, and the second miss offers a person.
    turn = Turn(replies.NONE_OF_THESE, None, False, [])
    escalation = settle(adapters, conversation, turn, now)
    question = conversation.messages[-2]
    counter = (
        not_understood_counter(masked(question.text), now) if question.author == "user" else None
    )
    answer_id = record_exchange(conversation, replies.NONE_OF_THESE_CHOSEN, turn, now)
    adapters.store.save(conversation, counter)
    return AssistantReply(
        message_id=answer_id,
        text=turn.text,
        topic=None,
        understood=False,
        band=turn.band,
        suggestions=[],
        escalation=escalation,
    )
