"""Ticket routes: the catalogue, emitters, the recipients' desk actions, help without an account.

The desk's listing, its view of a ticket, notes and canned answers are in
chalicelib/endpoints/desk.py.

The request models of the tickets area live here, with the edge: each is the
area's own input model (its fields and limits) made strict for HTTP (unknown
fields refused, text trimmed).
"""

from __future__ import annotations

from typing import Any, Literal

from chalice.app import CloudWatchEvent
from pydantic import Field

from chalicelib.attachments.models import UPLOAD_TOKEN_HEADER
from chalicelib.auth import BUSINESS_AGENTS, SUPPORT_AGENTS
from chalicelib.endpoints import wiring
from chalicelib.endpoints.api import Api, Call, PageQuery, RequestModel
from chalicelib.routing import catalogue
from chalicelib.shared import clock
from chalicelib.shared.pagination import Page
from chalicelib.tickets import desk, followup, help, lifecycle, satisfaction, submission
from chalicelib.tickets.records import TicketStatus
from chalicelib.tickets.views import (
    SatisfactionOut,
    SubmittedTicket,
    TicketChange,
    TicketSummary,
    TicketView,
)

api = Api("tickets")
AGENTS = (SUPPORT_AGENTS, BUSINESS_AGENTS)


# Requests


class TicketSubmission(RequestModel, submission.NewTicket):
    """`POST /tickets`."""


class CommentRequest(RequestModel):
    text: str = Field(min_length=1, max_length=10_000)
    attachment_ids: list[str] = Field(default_factory=list, max_length=submission.MAX_ATTACHMENTS)


class ReopenRequest(RequestModel):
    text: str = Field(min_length=1, max_length=10_000)


class TicketListQuery(PageQuery):
    status: TicketStatus | None = None


class ReplyRequest(RequestModel):
    text: str = Field(min_length=1, max_length=10_000)
    status: Literal["waiting_for_user", "resolved"]


class TransferRequest(RequestModel):
    text: str | None = Field(None, max_length=10_000)


class HelpRequest(RequestModel, help.NewHelpRequest):
    """`POST /help/requests`."""


class RatingRequest(RequestModel, satisfaction.NewRating):
    """`PUT /tickets/{ticket_id}/satisfaction`."""


# Routes


@api.route(
    "/tickets/catalogue",
    summary="Categories and sub-categories of tickets",
    anonymous=True,
    response=list[catalogue.CategoryOut],
)
def ticket_catalogue(call: Call) -> list[catalogue.CategoryOut]:
    return catalogue.published_catalogue(catalogue.get_catalogue())


@api.route(
    "/tickets",
    "POST",
    summary="Submit a ticket",
    body=TicketSubmission,
    response=SubmittedTicket,
    status=201,
    idempotent=True,
    errors=(403,),
)
def submit_ticket(call: Call) -> SubmittedTicket:
    return submission.submit_ticket(
        wiring.ticket_context(), call.user, call.body, call.idempotency_key, clock.now()
    )


@api.route(
    "/tickets",
    summary="The caller's tickets, newest first",
    query=TicketListQuery,
    response=Page[TicketSummary],
    errors=(422,),
)
def list_tickets(call: Call) -> Page[TicketSummary]:
    query: TicketListQuery = call.query
    return followup.list_my_tickets(
        wiring.ticket_context(), call.user, query.status, query.limit, query.cursor
    )


@api.route(
    "/tickets/{ticket_id}",
    summary=(
        "A ticket with its history, comments and attachments (download URLs valid 5 minutes):"
        " for its emitter and the agents it is addressed to"
    ),
    response=TicketView,
    errors=(404,),
)
def get_ticket(call: Call, ticket_id: str) -> TicketView:
    return followup.get_ticket(wiring.ticket_context(), call.user, ticket_id, clock.now())


@api.route(
    "/tickets/{ticket_id}/comments",
    "POST",
    summary="Add information (and attachments) to a ticket",
    body=CommentRequest,
    response=TicketChange,
    status=201,
    errors=(404, 409),
)
def comment_ticket(call: Call, ticket_id: str) -> TicketChange:
    body: CommentRequest = call.body
    return followup.comment_ticket(
        wiring.ticket_context(), call.user, ticket_id, body.text, body.attachment_ids, clock.now()
    )


@api.route(
    "/tickets/{ticket_id}/reopen",
    "POST",
    summary="Send a resolved ticket back: the answer did not solve it",
    body=ReopenRequest,
    response=TicketChange,
    errors=(404, 409),
)
def reopen_ticket(call: Call, ticket_id: str) -> TicketChange:
    body: ReopenRequest = call.body
    return followup.reopen_ticket(
        wiring.ticket_context(), call.user, ticket_id, body.text, clock.now()
    )


@api.route(
    "/tickets/{ticket_id}/close",
    "POST",
    summary="Close a ticket",
    response=TicketChange,
    errors=(404, 409),
)
def close_ticket(call: Call, ticket_id: str) -> TicketChange:
    return followup.close_ticket(wiring.ticket_context(), call.user, ticket_id, clock.now())


@api.route(
    "/tickets/{ticket_id}/satisfaction",
    "PUT",
    summary="Rate the answer to a resolved ticket, once: 1 to 5 stars and a comment",
    body=RatingRequest,
    response=SatisfactionOut,
    errors=(404, 409, 422),
)
def rate_ticket(call: Call, ticket_id: str) -> SatisfactionOut:
    return satisfaction.rate_ticket(
        wiring.ticket_context(), call.user, ticket_id, call.body, clock.now()
    )


@api.route(
    "/desk/satisfaction",
    summary=(
        "The emitters' ratings averaged per desk, per category and per both (support agents:"
        " every desk; business agents: their organisations')"
    ),
    response=satisfaction.SatisfactionReport,
    roles=AGENTS,
    errors=(401, 403),
)
def satisfaction_report(call: Call) -> satisfaction.SatisfactionReport:
    return satisfaction.satisfaction_report(wiring.ticket_context(), call.user)


@api.route(
    "/desk/tickets/{ticket_id}/assign",
    "POST",
    summary="Take a ticket (needed before replying)",
    response=TicketChange,
    roles=AGENTS,
    errors=(404, 409),
)
def assign_ticket(call: Call, ticket_id: str) -> TicketChange:
    return desk.assign_ticket(wiring.ticket_context(), call.user, ticket_id, clock.now())


@api.route(
    "/desk/tickets/{ticket_id}/reply",
    "POST",
    summary="Ask the emitter for information, or answer with a solution",
    body=ReplyRequest,
    response=TicketChange,
    roles=AGENTS,
    errors=(404, 409),
)
def reply_ticket(call: Call, ticket_id: str) -> TicketChange:
    body: ReplyRequest = call.body
    return desk.reply_ticket(
        wiring.ticket_context(), call.user, ticket_id, body.text, body.status, clock.now()
    )


@api.route(
    "/desk/tickets/{ticket_id}/transfer",
    "POST",
    summary="Transfer a business ticket to the tool support",
    body=TransferRequest,
    response=TicketChange,
    roles=(BUSINESS_AGENTS,),
    errors=(404, 409),
)
def transfer_ticket(call: Call, ticket_id: str) -> TicketChange:
    body: TransferRequest = call.body
    return desk.transfer_ticket(
        wiring.ticket_context(), call.user, ticket_id, body.text, clock.now()
    )


@api.route(
    "/help/problems",
    summary="Connection problems and their self-help solutions (no account needed)",
    anonymous=True,
    response=list[help.HelpProblemOut],
)
def help_problems(call: Call) -> list[help.HelpProblemOut]:
    return help.help_problems(catalogue.get_catalogue(), help.load_solutions())


@api.route(
    "/help/requests",
    "POST",
    summary=(
        "Send a help request to the tool support without an account (with attachments:"
        " send the X-Upload-Token their uploads returned)"
    ),
    body=HelpRequest,
    response=help.HelpRequestAccepted,
    status=201,
    anonymous=True,
    idempotent=True,
    errors=(429,),
)
def help_request(call: Call) -> help.HelpRequestAccepted:
    return help.submit_help_request(
        wiring.ticket_context(),
        wiring.rate_limiter(),
        call.identity,
        call.body,
        call.client_ip,
        call.idempotency_key,
        clock.now(),
        upload_token=call.headers.get(UPLOAD_TOKEN_HEADER),
    )


# Every 15 minutes (app.py; the local stack's pump runs it too): reminders and
# automatic closings, idempotent, catching up after a missed run.
def ticket_lifecycle(event: CloudWatchEvent) -> dict[str, Any]:
    calendar = wiring.livechat_calendar(wiring.livechat_store())
    run = lifecycle.run_lifecycle(wiring.ticket_context(), calendar, clock.now())
    return run.model_dump(mode="json")
