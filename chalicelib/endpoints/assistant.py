"""ClaudIA's routes: conversations, messages, ratings and "none of these", transcript, ticket
draft, insights, and the answers suggested while a ticket is typed (deflection) with their
counter."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from chalicelib.assistant import dialogue, feedback, insights, suggestions
from chalicelib.auth import SUPPORT_AGENTS
from chalicelib.directory import Profile
from chalicelib.endpoints import wiring
from chalicelib.endpoints.api import Api, Call, RequestModel
from chalicelib.shared import clock
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.models import Model

api = Api("assistant")

# Anonymous use is limited per client address (signed-in users are known): conversations per
# hour, messages per minute; past it, a 429 with Retry-After. One UpdateItem each, so an
# anonymous message still costs three AWS calls at most (read, write, this count).
ANONYMOUS_CONVERSATIONS_PER_HOUR = 20
ANONYMOUS_MESSAGES_PER_MINUTE = 20


def _limit_anonymous(call: Call, scope: str, limit: int, window_seconds: int) -> None:
    if call.identity is None:
        wiring.rate_limiter().hit(
            scope, call.client_ip, limit=limit, window_seconds=window_seconds, now=clock.now()
        )


class MessageIn(RequestModel):
    text: str = Field(min_length=1, max_length=dialogue.MAX_MESSAGE_LENGTH)


class RatingIn(RequestModel):
    value: Literal["up", "down"]


class SuggestionsQuery(RequestModel):
    q: str = Field(min_length=1, max_length=1000)
    profile: Profile | None = None

    @field_validator("profile", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return value or None


class DeflectionIn(RequestModel):
    topic: str = Field(min_length=1, max_length=100)
    # Where the answer was read (only the ticket form counts today).
    source: Literal["ticket_form"] = "ticket_form"


class DeflectionCounted(Model):
    topic: str
    counted: bool


class InsightsQuery(RequestModel):
    start: date | None = Field(None, alias="from")
    end: date | None = Field(None, alias="to")
    limit: int = Field(20, ge=1, le=100)


@api.route(
    "/assistant/conversations",
    "POST",
    summary="Start a conversation with ClaudIA (greeting and suggestions)",
    response=dialogue.ConversationStarted,
    status=201,
    anonymous=True,
    errors=(429,),
)
def start_conversation(call: Call) -> dialogue.ConversationStarted:
    _limit_anonymous(call, "assistant-conversations", ANONYMOUS_CONVERSATIONS_PER_HOUR, 3600)
    return dialogue.start_conversation(wiring.assistant_adapters(), call.identity, clock.now())


@api.route(
    "/assistant/conversations/{conversation_id}/messages",
    "POST",
    summary="Ask ClaudIA a question",
    body=MessageIn,
    response=dialogue.AssistantReply,
    anonymous=True,
    errors=(404, 409, 422, 429),
)
def post_message(call: Call, conversation_id: str) -> dialogue.AssistantReply:
    body: MessageIn = call.body
    _limit_anonymous(call, "assistant-messages", ANONYMOUS_MESSAGES_PER_MINUTE, 60)
    return dialogue.post_message(
        wiring.assistant_adapters(), conversation_id, call.identity, body.text, clock.now()
    )


@api.route(
    "/assistant/conversations/{conversation_id}/messages/{message_id}/rating",
    "PUT",
    summary="Rate one of ClaudIA's answers (a thumbs down offers a person)",
    body=RatingIn,
    response=feedback.RatingResult,
    anonymous=True,
    errors=(404, 409, 422),
)
def rate_message(call: Call, conversation_id: str, message_id: str) -> feedback.RatingResult:
    body: RatingIn = call.body
    return feedback.rate_message(
        wiring.assistant_adapters(),
        conversation_id,
        message_id,
        call.identity,
        body.value,
        clock.now(),
    )


@api.route(
    "/assistant/conversations/{conversation_id}/messages/{message_id}/none-of-these",
    "POST",
    summary="None of the topics ClaudIA offered fits: counted as not understood",
    response=dialogue.AssistantReply,
    anonymous=True,
    errors=(404, 409, 429),
)
def decline_offer(call: Call, conversation_id: str, message_id: str) -> dialogue.AssistantReply:
    _limit_anonymous(call, "assistant-messages", ANONYMOUS_MESSAGES_PER_MINUTE, 60)
    return feedback.decline_offer(
        wiring.assistant_adapters(), conversation_id, message_id, call.identity, clock.now()
    )


@api.route(
    "/assistant/conversations/{conversation_id}",
    summary="The conversation's transcript",
    response=dialogue.Transcript,
    anonymous=True,
    errors=(404,),
)
def get_conversation(call: Call, conversation_id: str) -> dialogue.Transcript:
    return dialogue.transcript(
        wiring.conversation_store(), conversation_id, call.identity, clock.now()
    )


@api.route(
    "/assistant/conversations/{conversation_id}/ticket-draft",
    summary="A ticket pre-filled from the conversation",
    response=dialogue.TicketDraft,
    anonymous=True,
    errors=(404,),
)
def get_ticket_draft(call: Call, conversation_id: str) -> dialogue.TicketDraft:
    return dialogue.ticket_draft(
        wiring.conversation_store(), conversation_id, call.identity, clock.now()
    )


@api.route(
    "/assistant/suggestions",
    summary="Up to 3 knowledge-base answers for a text being typed (no AWS call)",
    query=SuggestionsQuery,
    response=list[suggestions.SuggestedAnswer],
    anonymous=True,
    errors=(422, 429),
)
def suggest_answers(call: Call) -> list[suggestions.SuggestedAnswer]:
    query: SuggestionsQuery = call.query
    suggestions.SUGGESTION_LIMITER.hit(call.client_ip)
    return suggestions.suggest_answers(query.q, query.profile)


@api.route(
    "/assistant/suggestions/deflections",
    "POST",
    summary="Count a user who left the ticket form after reading a suggested answer",
    body=DeflectionIn,
    response=DeflectionCounted,
    anonymous=True,
    errors=(422, 429),
)
def count_deflection(call: Call) -> DeflectionCounted:
    body: DeflectionIn = call.body
    suggestions.DEFLECTION_LIMITER.hit(call.client_ip)
    if not suggestions.known_topic(body.topic):
        raise InvalidFieldsError.single("topic", "Sujet inconnu.")
    now = clock.now()
    wiring.conversation_store().count(suggestions.deflection_counter(body.topic, now), now)
    return DeflectionCounted(topic=body.topic, counted=True)


@api.route(
    "/agent/assistant/insights",
    summary="Most frequent not-understood questions and most down-rated topics over a period",
    query=InsightsQuery,
    response=insights.Insights,
    roles=(SUPPORT_AGENTS,),
    errors=(401, 403, 422),
)
def get_insights(call: Call) -> insights.Insights:
    query: InsightsQuery = call.query
    return insights.insights(
        wiring.conversation_store(), query.start, query.end, query.limit, clock.now()
    )
