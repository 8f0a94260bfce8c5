"""Following a help request without an account, with its follow-up link.

The link's token (chalicelib/tickets/followlink.py) comes in `X-Follow-Token` with
the request's reference in the path. With a valid one, the person reads the
request (status, history, the support's replies, attachments), answers it with
text and attachments (uploaded with their `X-Upload-Token`, as for the request),
reopens it, closes it, or rates the answer: the same services as a signed-in
emitter's, on the ticket the token opens.

A token that is malformed, signed for another reference or with another key,
expired, or whose request is closed (or not a help request) is a 404 that never
says which, and costs the caller's address one hit of the rate limiter
(`FOLLOW_LINK_FAILURES_PER_ADDRESS_HOUR`, 20; a 429 past it). A forged token is
refused before any read of the tickets table. The token is never logged: it
lives in a header, and nothing here writes it anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.shared.errors import NotFoundError
from chalicelib.shared.ratelimit import RateLimiter
from chalicelib.tickets import followlink
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.followup import close, comment_on, reopen
from chalicelib.tickets.records import TicketRecord
from chalicelib.tickets.satisfaction import NewRating, rate
from chalicelib.tickets.views import FollowedRequest, SatisfactionOut, TicketChange, followed

RATE_SCOPE = "follow-link"
RATE_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class FollowAccess:
    """What the caller brings: the reference and token, and the address they call from."""

    reference: str
    token: str | None
    client_ip: str


def link_refused() -> NotFoundError:
    return NotFoundError(
        "Demande introuvable, ou lien de suivi expiré : utilisez le lien du dernier e-mail reçu."
    )


def opened_request(
    ctx: TicketContext,
    key: followlink.FollowKey,
    limiter: RateLimiter,
    access: FollowAccess,
    now: datetime,
) -> tuple[TicketRecord, followlink.FollowToken]:
    """The help request the token opens (one GetItem), or a 404 counted against the address."""
    token = followlink.read(key.key(), access.token, access.reference, now)
    ticket = ctx.store.get(token.ticket_id) if token else None
    if token is None or ticket is None or not opens(ticket, access):
        raise refused(ctx, limiter, access, now)
    return ticket, token


def opens(ticket: TicketRecord, access: FollowAccess) -> bool:
    """Whether a ticket a valid token names is still followed with a link."""
    return (
        ticket.reference == access.reference
        and ticket.channel == "help_request"
        and ticket.status != "closed"
    )


def refused(
    ctx: TicketContext, limiter: RateLimiter, access: FollowAccess, now: datetime
) -> NotFoundError:
    """The 404 of a refused link, once counted against the caller's address (a 429 past
    the limit is raised from here)."""
    limiter.hit(
        RATE_SCOPE,
        access.client_ip,
        limit=ctx.settings.follow_link_failures_per_address_hour,
        window_seconds=RATE_WINDOW_SECONDS,
        now=now,
    )
    return link_refused()


def get_request(
    ctx: TicketContext,
    key: followlink.FollowKey,
    limiter: RateLimiter,
    access: FollowAccess,
    now: datetime,
) -> FollowedRequest:
    """The request, its history, replies and attachments (download URLs valid 5 minutes):
    one Query, the ticket coming with its history."""
    token = followlink.read(key.key(), access.token, access.reference, now)
    found = ctx.store.get_with_history(token.ticket_id) if token else None
    if token is None or found is None or not opens(found[0], access):
        raise refused(ctx, limiter, access, now)
    current, events = found
    links = ctx.attachments.links(current.ticket_id, current.attachment_ids, now)
    return followed(ctx.catalogue, current, events, links, token.expires_at)


def comment_request(
    ctx: TicketContext,
    key: followlink.FollowKey,
    limiter: RateLimiter,
    access: FollowAccess,
    text: str,
    attachment_ids: list[str],
    upload_token: str | None,
    now: datetime,
) -> TicketChange:
    """The person answers (with the files they uploaded with `upload_token`)."""
    ticket, _ = opened_request(ctx, key, limiter, access, now)
    owner = ctx.attachments.owner_for(None, upload_token)
    return comment_on(ctx, ticket, owner, text, attachment_ids, now)


def reopen_request(
    ctx: TicketContext,
    key: followlink.FollowKey,
    limiter: RateLimiter,
    access: FollowAccess,
    text: str,
    now: datetime,
) -> TicketChange:
    ticket, _ = opened_request(ctx, key, limiter, access, now)
    return reopen(ctx, ticket, text, now)


def close_request(
    ctx: TicketContext,
    key: followlink.FollowKey,
    limiter: RateLimiter,
    access: FollowAccess,
    now: datetime,
) -> TicketChange:
    ticket, _ = opened_request(ctx, key, limiter, access, now)
    return close(ctx, ticket, now)


def rate_request(
    ctx: TicketContext,
    key: followlink.FollowKey,
    limiter: RateLimiter,
    access: FollowAccess,
    rating: NewRating,
    now: datetime,
) -> SatisfactionOut:
    ticket, _ = opened_request(ctx, key, limiter, access, now)
    return rate(ctx, ticket, rating, now)
