"""Ticket routes (emitters, desk, help without an account) and the routing event handlers.

Event handlers: `dispatch_tickets` reads the tickets table's stream and sends
tickets to their queue (chalicelib/routing/dispatch.py); `deliver_support_tickets`
and `deliver_business_tickets` consume those queues, one message at a time.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from chalice.app import DynamoDBEvent, SQSEvent

from chalicelib import desk, help, tickets
from chalicelib.attachments import UPLOAD_TOKEN_HEADER
from chalicelib.auth import BUSINESS_AGENTS, SUPPORT_AGENTS
from chalicelib.endpoints.api import Api, Call
from chalicelib.routing import catalogue, consumers, dispatch
from chalicelib.shared import clock
from chalicelib.shared.config import current_stage, get_settings, resource_name
from chalicelib.shared.pagination import Page

blueprint = Blueprint(__name__)
api = Api(blueprint, "tickets")
AGENTS = (SUPPORT_AGENTS, BUSINESS_AGENTS)


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
    body=tickets.TicketSubmission,
    response=tickets.SubmittedTicket,
    status=201,
    idempotent=True,
    errors=(403,),
)
def submit_ticket(call: Call) -> tickets.SubmittedTicket:
    return tickets.submit_ticket(
        tickets.get_ticket_context(), call.user, call.body, call.idempotency_key, clock.now()
    )


@api.route(
    "/tickets",
    summary="The caller's tickets, newest first",
    query=tickets.TicketListQuery,
    response=Page[tickets.TicketSummary],
    errors=(422,),
)
def list_tickets(call: Call) -> Page[tickets.TicketSummary]:
    return tickets.list_my_tickets(tickets.get_ticket_context(), call.user, call.query)


@api.route(
    "/tickets/{ticket_id}",
    summary=(
        "A ticket with its history, comments and attachments (download URLs valid 5 minutes):"
        " for its emitter and the agents it is addressed to"
    ),
    response=tickets.TicketView,
    errors=(404,),
)
def get_ticket(call: Call, ticket_id: str) -> tickets.TicketView:
    return tickets.get_ticket(tickets.get_ticket_context(), call.user, ticket_id, clock.now())


@api.route(
    "/tickets/{ticket_id}/comments",
    "POST",
    summary="Add information (and attachments) to a ticket",
    body=tickets.CommentRequest,
    response=tickets.TicketChange,
    status=201,
    errors=(404, 409),
)
def comment_ticket(call: Call, ticket_id: str) -> tickets.TicketChange:
    ctx = tickets.get_ticket_context()
    return tickets.comment_ticket(ctx, call.user, ticket_id, call.body, clock.now())


@api.route(
    "/tickets/{ticket_id}/reopen",
    "POST",
    summary="Send a resolved ticket back: the answer did not solve it",
    body=tickets.ReopenRequest,
    response=tickets.TicketChange,
    errors=(404, 409),
)
def reopen_ticket(call: Call, ticket_id: str) -> tickets.TicketChange:
    ctx = tickets.get_ticket_context()
    return tickets.reopen_ticket(ctx, call.user, ticket_id, call.body, clock.now())


@api.route(
    "/tickets/{ticket_id}/close",
    "POST",
    summary="Close a ticket",
    response=tickets.TicketChange,
    errors=(404, 409),
)
def close_ticket(call: Call, ticket_id: str) -> tickets.TicketChange:
    return tickets.close_ticket(tickets.get_ticket_context(), call.user, ticket_id, clock.now())


@api.route(
    "/desk/tickets",
    summary="An agent's desk: the tickets addressed to them, by status",
    query=desk.DeskQuery,
    response=Page[tickets.TicketSummary],
    roles=AGENTS,
    errors=(422,),
)
def desk_tickets(call: Call) -> Page[tickets.TicketSummary]:
    return desk.list_desk(tickets.get_ticket_context(), call.user, call.query)


@api.route(
    "/desk/tickets/{ticket_id}",
    summary="A ticket of the agent's desk, with its history and attachments (download URLs)",
    response=tickets.TicketView,
    roles=AGENTS,
    errors=(404,),
)
def desk_ticket(call: Call, ticket_id: str) -> tickets.TicketView:
    ctx = tickets.get_ticket_context()
    return desk.get_desk_ticket(ctx, call.user, ticket_id, clock.now())


@api.route(
    "/desk/tickets/{ticket_id}/assign",
    "POST",
    summary="Take a ticket (needed before replying)",
    response=tickets.TicketChange,
    roles=AGENTS,
    errors=(404, 409),
)
def assign_ticket(call: Call, ticket_id: str) -> tickets.TicketChange:
    return desk.assign_ticket(tickets.get_ticket_context(), call.user, ticket_id, clock.now())


@api.route(
    "/desk/tickets/{ticket_id}/reply",
    "POST",
    summary="Ask the emitter for information, or answer with a solution",
    body=desk.ReplyRequest,
    response=tickets.TicketChange,
    roles=AGENTS,
    errors=(404, 409),
)
def reply_ticket(call: Call, ticket_id: str) -> tickets.TicketChange:
    ctx = tickets.get_ticket_context()
    return desk.reply_ticket(ctx, call.user, ticket_id, call.body, clock.now())


@api.route(
    "/desk/tickets/{ticket_id}/transfer",
    "POST",
    summary="Transfer a business ticket to the tool support",
    body=desk.TransferRequest,
    response=tickets.TicketChange,
    roles=(BUSINESS_AGENTS,),
    errors=(404, 409),
)
def transfer_ticket(call: Call, ticket_id: str) -> tickets.TicketChange:
    ctx = tickets.get_ticket_context()
    return desk.transfer_ticket(ctx, call.user, ticket_id, call.body, clock.now())


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
    body=help.HelpRequest,
    response=help.HelpRequestAccepted,
    status=201,
    anonymous=True,
    idempotent=True,
    errors=(429,),
)
def help_request(call: Call) -> help.HelpRequestAccepted:
    from chalicelib.shared.ratelimit import get_rate_limiter

    return help.submit_help_request(
        tickets.get_ticket_context(),
        get_rate_limiter(),
        call.identity,
        call.body,
        call.client_ip,
        call.idempotency_key,
        clock.now(),
        upload_token=call.headers.get(UPLOAD_TOKEN_HEADER),
    )


# TRIM_HORIZON: tickets written before the mapping existed are dispatched too.
@blueprint.on_dynamodb_record(
    stream_arn=dispatch.tickets_stream_arn(), batch_size=25, starting_position="TRIM_HORIZON"
)
def dispatch_tickets(event: DynamoDBEvent) -> None:
    from chalicelib.routing.mail import get_mailer

    records = [
        dispatch.StreamRecord(
            event_name=record.event_name, new_image=record.new_image, old_image=record.old_image
        )
        for record in event
    ]
    dispatch.dispatch_changes(records, dispatch.get_ticket_queues(), get_mailer(), get_settings())


def _deliver(event: SQSEvent, queue: Any) -> None:
    from chalicelib.directory import get_directory
    from chalicelib.routing.mail import get_mailer
    from chalicelib.ticket_store import get_ticket_store

    for record in event:
        consumers.deliver_ticket(
            record.body,
            queue,
            get_ticket_store(),
            get_directory(),
            get_mailer(),
            get_settings(),
            clock.now(),
        )


@blueprint.on_sqs_message(queue=resource_name(current_stage(), "support-tickets"), batch_size=1)
def deliver_support_tickets(event: SQSEvent) -> None:
    _deliver(event, "support")


@blueprint.on_sqs_message(queue=resource_name(current_stage(), "business-tickets"), batch_size=1)
def deliver_business_tickets(event: SQSEvent) -> None:
    _deliver(event, "business")
