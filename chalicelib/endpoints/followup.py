"""Following a help request without an account: the routes its follow-up link opens.

Each takes the request's reference in the path and the link's token in
`X-Follow-Token` (never in a URL); a token that does not open that request is a
404 counted by the rate limiter (chalicelib/tickets/anonymous.py). Attachments of
an answer are uploaded as for the request (`POST /tickets/attachments` with an
`X-Upload-Token`), and the same `X-Upload-Token` comes with the answer.
"""

from __future__ import annotations

from chalicelib.attachments.models import UPLOAD_TOKEN_HEADER
from chalicelib.endpoints import wiring
from chalicelib.endpoints.api import Api, Call, RequestModel
from chalicelib.endpoints.tickets import CommentRequest, ReopenRequest
from chalicelib.shared import clock
from chalicelib.tickets import anonymous, satisfaction
from chalicelib.tickets.followlink import FOLLOW_TOKEN_HEADER
from chalicelib.tickets.views import FollowedRequest, SatisfactionOut, TicketChange

api = Api("help")
TOKEN = ("X-Follow-Token",)


class RatingRequest(RequestModel, satisfaction.NewRating):
    """`PUT .../satisfaction`."""


def _access(call: Call, reference: str) -> anonymous.FollowAccess:
    return anonymous.FollowAccess(
        reference=reference, token=call.headers.get(FOLLOW_TOKEN_HEADER), client_ip=call.client_ip
    )


@api.route(
    "/help/requests/{reference}",
    summary=(
        "A help request followed with its link's token (X-Follow-Token): status, history,"
        " the support's replies, attachments"
    ),
    response=FollowedRequest,
    anonymous=True,
    errors=(404, 429),
    headers=TOKEN,
)
def followed_request(call: Call, reference: str) -> FollowedRequest:
    return anonymous.get_request(
        wiring.ticket_context(),
        wiring.follow_key(),
        wiring.rate_limiter(),
        _access(call, reference),
        clock.now(),
    )


@api.route(
    "/help/requests/{reference}/comments",
    "POST",
    summary=(
        "Answer a help request with its link's token (attachments: the X-Upload-Token"
        " their uploads used); a request waiting for the person goes back to the support"
    ),
    body=CommentRequest,
    response=TicketChange,
    status=201,
    anonymous=True,
    errors=(404, 409, 422, 429),
    headers=(*TOKEN, "X-Upload-Token"),
)
def comment_request(call: Call, reference: str) -> TicketChange:
    body: CommentRequest = call.body
    return anonymous.comment_request(
        wiring.ticket_context(),
        wiring.follow_key(),
        wiring.rate_limiter(),
        _access(call, reference),
        body.text,
        body.attachment_ids,
        call.headers.get(UPLOAD_TOKEN_HEADER),
        clock.now(),
    )


@api.route(
    "/help/requests/{reference}/reopen",
    "POST",
    summary="Reopen a resolved help request with its link's token",
    body=ReopenRequest,
    response=TicketChange,
    anonymous=True,
    errors=(404, 409, 429),
    headers=TOKEN,
)
def reopen_request(call: Call, reference: str) -> TicketChange:
    body: ReopenRequest = call.body
    return anonymous.reopen_request(
        wiring.ticket_context(),
        wiring.follow_key(),
        wiring.rate_limiter(),
        _access(call, reference),
        body.text,
        clock.now(),
    )


@api.route(
    "/help/requests/{reference}/close",
    "POST",
    summary="Close a help request with its link's token (the link stops working)",
    response=TicketChange,
    anonymous=True,
    errors=(404, 409, 429),
    headers=TOKEN,
)
def close_request(call: Call, reference: str) -> TicketChange:
    return anonymous.close_request(
        wiring.ticket_context(),
        wiring.follow_key(),
        wiring.rate_limiter(),
        _access(call, reference),
        clock.now(),
    )


@api.route(
    "/help/requests/{reference}/satisfaction",
    "PUT",
    summary="Rate the answer to a resolved help request, once, with its link's token",
    body=RatingRequest,
    response=SatisfactionOut,
    anonymous=True,
    errors=(404, 409, 422, 429),
    headers=TOKEN,
)
def rate_request(call: Call, reference: str) -> SatisfactionOut:
    return anonymous.rate_request(
        wiring.ticket_context(),
        wiring.follow_key(),
        wiring.rate_limiter(),
        _access(call, reference),
        call.body,
        clock.now(),
    )
