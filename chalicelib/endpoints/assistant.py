"""ClaudIA's routes: conversations, messages, ratings, transcript, ticket draft, insights."""

from __future__ import annotations

from datetime import date
from typing import Literal

from chalice import Blueprint
from pydantic import Field

from chalicelib.assistant import dialogue, insights
from chalicelib.auth import SUPPORT_AGENTS
from chalicelib.endpoints import wiring
from chalicelib.endpoints.api import Api, Call, RequestModel
from chalicelib.shared import clock

blueprint = Blueprint(__name__)
api = Api(blueprint, "assistant")


class MessageIn(RequestModel):
    text: str = Field(min_length=1, max_length=dialogue.MAX_MESSAGE_LENGTH)


class RatingIn(RequestModel):
    value: Literal["up", "down"]


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
)
def start_conversation(call: Call) -> dialogue.ConversationStarted:
    return dialogue.start_conversation(wiring.assistant_adapters(), call.identity, clock.now())


@api.route(
    "/assistant/conversations/{conversation_id}/messages",
    "POST",
    summary="Ask ClaudIA a question",
    body=MessageIn,
    response=dialogue.AssistantReply,
    anonymous=True,
    errors=(404, 409, 422),
)
def post_message(call: Call, conversation_id: str) -> dialogue.AssistantReply:
    body: MessageIn = call.body
    return dialogue.post_message(
        wiring.assistant_adapters(), conversation_id, call.identity, body.text, clock.now()
    )


@api.route(
    "/assistant/conversations/{conversation_id}/messages/{message_id}/rating",
    "PUT",
    summary="Rate one of ClaudIA's answers (a thumbs down offers a person)",
    body=RatingIn,
    response=dialogue.RatingResult,
    anonymous=True,
    errors=(404, 409, 422),
)
def rate_message(call: Call, conversation_id: str, message_id: str) -> dialogue.RatingResult:
    body: RatingIn = call.body
    return dialogue.rate_message(
        wiring.assistant_adapters(),
        conversation_id,
        message_id,
        call.identity,
        body.value,
        clock.now(),
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
