"""LiveChat routes, the scheduled opening check, and the WebSocket handlers' bodies.

Chalice wraps WebSocket handlers only when they are declared on the app object
(a Blueprint has no `websocket_api`, so its handlers would get the raw Lambda
event), hence app.py declares the three `on_ws_*` handlers and calls
`ws_connect`, `ws_message` and `ws_disconnect` here.

The request models of the LiveChat live here, with the edge: opening a chat is
the area's own input model made strict for HTTP; a message and a rating are
small, and their services take the values.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalice import Response
from pydantic import AwareDatetime, Field, field_validator

from chalicelib.auth import SUPPORT_AGENTS, authenticate
from chalicelib.endpoints import wiring
from chalicelib.endpoints.api import Api, Call, PageQuery, Reply, RequestModel
from chalicelib.livechat import advisors, creation, messages, push, ratings, sessions
from chalicelib.livechat.access import Caller
from chalicelib.livechat.availability import (
    Availability,
    availability_at,
    forget_calendars,
    run_opening_check,
)
from chalicelib.livechat.calendar import DayRule
from chalicelib.livechat.models import ChatMessage, categories
from chalicelib.shared import clock
from chalicelib.shared.errors import GuichetError
from chalicelib.shared.models import Model

if TYPE_CHECKING:
    from chalice.app import CloudWatchEvent, WebsocketEvent

api = Api("livechat")
SESSION_ERRORS = (404, 409, 422)


# Requests


class SessionRequest(RequestModel, creation.NewSession):
    """`POST /livechat/sessions`."""


class MessageRequest(RequestModel):
    text: str = Field(min_length=1, max_length=4000)


class RatingRequest(RequestModel):
    stars: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)


class AtQuery(RequestModel):
    at: AwareDatetime | None = None

    @field_validator("at", mode="before")
    @classmethod
    def _plus_read_as_space(cls, value: Any) -> Any:
        # An unencoded "+01:00" in a query string arrives as " 01:00".
        if isinstance(value, str) and " " in value[11:]:
            return value[:11] + value[11:].replace(" ", "+")
        return value


class AfterQuery(RequestModel):
    after: int = Field(0, ge=0)


class DayRulesBody(RequestModel):
    days: list[DayRule] = Field(max_length=500)

    @field_validator("days")
    @classmethod
    def _one_rule_a_day(cls, days: list[DayRule]) -> list[DayRule]:
        if len({day.date for day in days}) != len(days):
            raise ValueError("Une seule règle par date.")
        return sorted(days, key=lambda day: day.date)


# Responses


class CategoryOut(Model):
    code: str
    label: str


class DayRulesOut(Model):
    days: list[DayRule]
    updated_at: datetime | None = None
    updated_by: str | None = None


def _caller(call: Call) -> Caller:
    return Caller(call.identity, call.headers.get("x-session-token"))


# Routes


@api.route(
    "/livechat/availability",
    summary="Is the LiveChat open (now or at ?at=), until when, and when it next opens",
    query=AtQuery,
    response=Availability,
    anonymous=True,
    errors=(422,),
)
def livechat_availability(call: Call) -> Availability:
    query: AtQuery = call.query
    calendar = wiring.livechat_calendar(wiring.livechat_store())
    return availability_at(calendar, query.at or clock.now())


@api.route(
    "/livechat/categories",
    summary="The categories a chat is opened in",
    response=list[CategoryOut],
    anonymous=True,
)
def livechat_categories(call: Call) -> list[CategoryOut]:
    return [CategoryOut(code=item.code, label=item.label) for item in categories()]


@api.route(
    "/livechat/sessions",
    "POST",
    summary="Open a chat (201), or get back the caller's open one (200); 409 when closed",
    body=SessionRequest,
    response=creation.SessionCreated,
    status=201,
    anonymous=True,
    idempotent=True,
    errors=(409, 422, 429),
)
def create_livechat_session(call: Call) -> Reply:
    store = wiring.livechat_store()
    now = clock.now()
    context = creation.CreationContext(
        calendar=wiring.livechat_calendar(store),
        transcripts=wiring.transcript_source(now),
        limiter=wiring.rate_limiter(),
        idempotency=wiring.idempotency_store(),
        transaction=wiring.transaction,
        now=now,
        client_ip=call.client_ip,
        idempotency_key=call.idempotency_key,
    )
    created, new = creation.create_session(store, call.body, _caller(call), context)
    if new:
        wiring.livechat_push(store).queue_changed()
    # CONTRACT.md answers 201 to every create; `resumed` tells the client that
    # the chat it already had open was returned instead of a new one.
    return Reply(created.model_copy(update={"resumed": not new}), status=201)


@api.route(
    "/livechat/sessions/{session_id}",
    summary="A chat: status, advisor, transcript",
    response=sessions.SessionView,
    anonymous=True,
    errors=(404,),
)
def livechat_session(call: Call, session_id: str) -> sessions.SessionView:
    return sessions.read_session(wiring.livechat_store(), session_id, _caller(call))


@api.route(
    "/livechat/sessions/{session_id}/messages",
    summary="Messages after ?after= (the seq of the last one seen)",
    query=AfterQuery,
    response=messages.MessagesPage,
    anonymous=True,
    errors=(404, 422),
)
def livechat_messages(call: Call, session_id: str) -> messages.MessagesPage:
    query: AfterQuery = call.query
    return messages.read_messages(wiring.livechat_store(), session_id, _caller(call), query.after)


@api.route(
    "/livechat/sessions/{session_id}/messages",
    "POST",
    summary="Write in a chat (its user, or the advisor who accepted it)",
    body=MessageRequest,
    response=ChatMessage,
    status=201,
    anonymous=True,
    errors=(403, *SESSION_ERRORS),
)
def post_livechat_message(call: Call, session_id: str) -> ChatMessage:
    store = wiring.livechat_store()
    body: MessageRequest = call.body
    return messages.post_message(
        store, session_id, _caller(call), body.text, wiring.livechat_push(store), clock.now()
    )


@api.route(
    "/livechat/sessions/{session_id}/close",
    "POST",
    summary="Close a chat (its user or its advisor)",
    response=sessions.SessionView,
    anonymous=True,
    errors=(403, 404, 409),
)
def close_livechat_session(call: Call, session_id: str) -> sessions.SessionView:
    store = wiring.livechat_store()
    return sessions.close_session(
        store, session_id, _caller(call), wiring.livechat_push(store), clock.now()
    )


@api.route(
    "/livechat/sessions/{session_id}/rating",
    "PUT",
    summary="Rate a closed chat once, 1 to 5 stars",
    body=RatingRequest,
    response=sessions.SessionView,
    anonymous=True,
    errors=(403, *SESSION_ERRORS),
)
def rate_livechat_session(call: Call, session_id: str) -> sessions.SessionView:
    body: RatingRequest = call.body
    return ratings.rate_session(
        wiring.livechat_store(), session_id, _caller(call), body.stars, body.comment, clock.now()
    )


@api.route(
    "/agent/livechat/queue",
    summary="Waiting chats by category, oldest first",
    response=list[advisors.QueueGroup],
    roles=(SUPPORT_AGENTS,),
    errors=(401, 403),
)
def livechat_queue(call: Call) -> list[advisors.QueueGroup]:
    return advisors.advisor_queue(wiring.livechat_store())


@api.route(
    "/agent/livechat/sessions",
    summary="The calling advisor's active chats",
    response=list[advisors.QueueEntry],
    roles=(SUPPORT_AGENTS,),
    errors=(401, 403),
)
def advisor_livechat_sessions(call: Call) -> list[advisors.QueueEntry]:
    return advisors.advisor_sessions(wiring.livechat_store(), call.user)


@api.route(
    "/agent/livechat/sessions/{session_id}/accept",
    "POST",
    summary="Take a waiting chat (one advisor per chat: a second accept is 409)",
    response=sessions.SessionView,
    roles=(SUPPORT_AGENTS,),
    errors=(401, 403, 404, 409),
)
def accept_livechat_session(call: Call, session_id: str) -> sessions.SessionView:
    store = wiring.livechat_store()
    return advisors.accept_session(
        store, session_id, call.user, wiring.livechat_push(store), clock.now()
    )


@api.route(
    "/agent/livechat/closures",
    summary="Exceptional closures and special opening hours",
    response=DayRulesOut,
    roles=(SUPPORT_AGENTS,),
    errors=(401, 403),
)
def livechat_closures(call: Call) -> DayRulesOut:
    days, meta = wiring.livechat_store().day_rules()
    return DayRulesOut(days=days, **meta)


@api.route(
    "/agent/livechat/closures",
    "PUT",
    summary="Replace the exceptional closures and special opening hours",
    body=DayRulesBody,
    response=DayRulesOut,
    roles=(SUPPORT_AGENTS,),
    errors=(401, 403, 422),
)
def put_livechat_closures(call: Call) -> DayRulesOut:
    store, now = wiring.livechat_store(), clock.now()
    body: DayRulesBody = call.body
    store.save_day_rules(body.days, call.user.user_id, now)
    forget_calendars()
    return DayRulesOut(days=body.days, updated_at=now, updated_by=call.user.user_id)


@api.route(
    "/agent/livechat/ratings",
    summary="Chat ratings, newest first, with averages per category and per advisor",
    query=PageQuery,
    response=ratings.RatingsReport,
    roles=(SUPPORT_AGENTS,),
    errors=(401, 403, 422),
)
def livechat_ratings(call: Call) -> ratings.RatingsReport:
    query: PageQuery = call.query
    return ratings.ratings_report(wiring.livechat_store(), query.limit, query.cursor)


def livechat_opening_check(event: CloudWatchEvent) -> dict[str, Any]:
    store = wiring.livechat_store()
    check = run_opening_check(
        store, wiring.livechat_calendar(store), wiring.livechat_push(store), clock.now()
    )
    return check.model_dump(mode="json")


def ws_connect(event: WebsocketEvent) -> Response | None:
    """$connect: `?token=<JWT>` optional; a bad one refuses the connection."""
    query = event.to_dict().get("queryStringParameters") or {}
    token = query.get("token")
    try:
        identity = authenticate(f"Bearer {token}") if token else None
    except GuichetError as error:
        return Response(body=error.detail, status_code=error.status)
    push.connect(wiring.livechat_store(), event.connection_id, identity, clock.now())
    return None


def ws_message(event: WebsocketEvent) -> None:
    store = wiring.livechat_store()
    push.subscribe(store, wiring.livechat_push(store), event.connection_id, event.body)


def ws_disconnect(event: WebsocketEvent) -> None:
    store = wiring.livechat_store()
    push.disconnect(store, wiring.livechat_push(store), event.connection_id)
