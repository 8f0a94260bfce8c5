"""Tickets as the domain knows them: statuses, history events, who did what, recipients.

The DynamoDB layout of these records is chalicelib/tickets/keys.py.
Routing counters: `dispatch_seq` grows each time the ticket must be (re)sent to a
recipient queue (1 at submission, +1 on transfer); the stream dispatcher sends
when it grows. `delivered_seq` and `notified_seq` record what the consumer did,
which makes a redelivered message a no-op.

Lifecycle: `status_since` is when the ticket entered its status, `reminded_at`
when the emitter was reminded of a ticket waiting for them (cleared when it
leaves that status), `resolved_at` its last resolution; the lifecycle job
(chalicelib/tickets/lifecycle.py) decides from them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from chalicelib.shared.models import Model

RecipientType = Literal["support", "business"]
TicketStatus = Literal["submitted", "in_progress", "waiting_for_user", "resolved", "closed"]
STATUSES: tuple[TicketStatus, ...] = (
    "submitted",
    "in_progress",
    "waiting_for_user",
    "resolved",
    "closed",
)
EventKind = Literal[
    "submitted",
    "delivered",
    "assigned",
    "commented",
    "reopened",
    "replied",
    "transferred",
    "reminded",
    "closed",
    "rated",
]
ActorRole = Literal["emitter", "agent", "system"]
Channel = Literal["portal", "help_request"]


class Actor(Model):
    """Who did something: a user, or the service itself."""

    user_id: str | None = None
    name: str
    role: ActorRole


SYSTEM = Actor(name="Guichet", role="system")


class Recipient(Model):
    """Who handles a ticket: the tool support, or a public body's business service."""

    type: RecipientType
    organisation_id: str | None = None
    designation: str


class EmitterOrganisation(Model):
    id: str
    designation: str


class Satisfaction(Model):
    """The emitter's rating of the answer to a resolved ticket, given once."""

    stars: int
    comment: str | None = None
    at: datetime


class TicketRecord(Model):
    """A ticket, as stored."""

    ticket_id: str
    reference: str
    channel: Channel = "portal"
    status: TicketStatus
    emitter_user_id: str | None = None
    emitter_name: str
    organisation: EmitterOrganisation | None = None
    siret: str | None = None
    category: str
    subcategory: str
    object_number: str | None = None
    title: str
    description: str
    contact_email: str
    recipient: Recipient
    assignee: Actor | None = None
    # Every attachment the ticket carries (submission and comments), in order,
    # and their bytes: the 5 / 20 MB limits are checked against these, under
    # the ticket's version condition, so concurrent comments cannot pass them.
    attachment_ids: list[str] = []
    attachment_bytes: int = 0
    created_at: datetime
    updated_at: datetime
    status_since: datetime | None = None
    reminded_at: datetime | None = None
    resolved_at: datetime | None = None
    satisfaction: Satisfaction | None = None
    # The desk: since when the ticket waits for its recipient (None: since
    # it was created; chalicelib/tickets/ageing.py), and the assistant conversation
    # it came from (its transcript is shown to the agents).
    awaiting_since: datetime | None = None
    conversation_id: str | None = None
    version: int = 1
    dispatch_seq: int = 1
    delivered_seq: int = 0
    notified_seq: int = 0


class TicketEvent(Model):
    """One entry of a ticket's history."""

    event_id: str
    ticket_id: str
    kind: EventKind
    at: datetime
    by: Actor
    # The ticket's status once the event happened.
    status: TicketStatus
    text: str | None = None
    recipient: Recipient | None = None
    # The attachments this event brought (a submission or a comment).
    attachment_ids: list[str] = []
    # A rating's stars ("rated").
    stars: int | None = None


class SatisfactionCount(Model):
    """The ratings of one desk's tickets of one category (the report sums these)."""

    desk: str
    designation: str
    category: str
    count: int
    stars_total: int
    # How many ratings gave each number of stars ("1".."5").
    per_stars: dict[str, int] = {}


class TicketDigest(Model):
    """A ticket in one line: what the assistant and the lists say about it."""

    ticket_id: str
    reference: str
    title: str
    status: TicketStatus
    updated_at: datetime


def since(ticket: TicketRecord) -> datetime:
    """When the ticket entered its status (tickets stored before `status_since`: their
    last change)."""
    return ticket.status_since or ticket.updated_at


def rateable(ticket: TicketRecord) -> bool:
    """Whether the emitter may still rate the answer: resolved (or closed after a
    resolution) and not rated yet."""
    answered = ticket.status == "resolved" or (
        ticket.status == "closed" and ticket.resolved_at is not None
    )
    return answered and ticket.satisfaction is None


def digest(ticket: TicketRecord) -> TicketDigest:
    return TicketDigest(
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        title=ticket.title,
        status=ticket.status,
        updated_at=ticket.updated_at,
    )
