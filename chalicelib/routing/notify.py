"""The notifications consumer: the e-mails an event of a ticket calls for, each sent once.

The stream dispatcher puts a `TicketNotice` on the notifications queue for every
history event that may concern someone. This consumer (Chalice `on_sqs_message`,
one message at a time, raising on anything to retry) reads the ticket with its
history (one Query), decides whom the event concerns (`audiences`), writes each
e-mail from the templates (chalicelib/routing/templates.py) with the link where
that person acts, and sends it through the ledger (chalicelib/routing/ledger.py):
claim, send, mark sent; on a failure the claim is released and the error raised,
so the message comes back and the e-mail goes on the retry, and never twice.

| event (by)                         | e-mailed                                   |
| ---------------------------------- | ------------------------------------------ |
| submitted (emitter)                | emitter: acknowledgement                   |
| replied, waiting_for_user (agent)  | emitter: information_asked                 |
| replied, resolved (agent)          | emitter: resolved                          |
| transferred (agent)                | emitter: transferred (the support's team:  |
|                                    | transferred_in, by the delivery consumer)  |
| reminded (system)                  | emitter: reminder                          |
| closed (emitter or system)         | emitter: closed; and the handler when the  |
|                                    | emitter closed it before its resolution    |
| reopened (emitter)                 | handler: reopened                          |
| commented (emitter)                | handler: user_answered                     |

The handler is the agent who took the ticket (their directory e-mail), or the
recipient's team when nobody did. The emitter's link is their ticket's page, or
for a help request without an account a fresh follow-up link (valid
`FOLLOW_LINK_DAYS`); an agent's link is the ticket on the desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from chalicelib.directory import Organisation, UserWithOrganisations
from chalicelib.routing.consumers import UndeliverableError, recipient_team_email
from chalicelib.routing.dispatch import TicketNotice
from chalicelib.routing.ledger import NoticeLedger, notice_key
from chalicelib.routing.mail import Mailer, OutgoingMail
from chalicelib.routing.templates import MailFacts, TemplateName, render
from chalicelib.shared.config import Settings
from chalicelib.shared.logs import get_logger
from chalicelib.tickets import followlink
from chalicelib.tickets.records import TicketEvent, TicketRecord, TicketStatus
from chalicelib.tickets.store import TicketStore

Audience = Literal["emitter", "handler"]
# A ticket closed by its emitter from one of these was still being handled.
BEING_HANDLED: frozenset[TicketStatus] = frozenset({"submitted", "in_progress", "waiting_for_user"})


class People(Protocol):
    """Where agents' and business services' addresses are found (the directory)."""

    def user(self, user_id: str) -> UserWithOrganisations | None: ...

    def organisation(self, organisation_id: str) -> Organisation | None: ...


class NoticeBusyError(Exception):
    """Another delivery of the same notice is sending it: retry later (it will be sent)."""


class Links:
    """Where each reader acts on a ticket: the portal's pages, or a follow-up link."""

    def __init__(self, settings: Settings, key: followlink.FollowKey) -> None:
        self._origin = settings.portal_origin.rstrip("/")
        self._days = settings.follow_link_days
        self._key = key

    def for_emitter(self, ticket: TicketRecord, now: datetime) -> tuple[str, bool]:
        """The emitter's link, and whether it is a follow-up link (no account)."""
        if ticket.emitter_user_id is not None:
            return f"{self._origin}/support/mes-tickets/{ticket.ticket_id}", False
        expires = now + timedelta(days=self._days)
        token = followlink.mint(self._key.key(), ticket.ticket_id, ticket.reference, expires)
        return f"{self._origin}/support/suivi#reference={ticket.reference}&jeton={token}", True

    def for_agents(self, ticket: TicketRecord) -> str:
        return f"{self._origin}/agent/tickets/{ticket.ticket_id}"


@dataclass(frozen=True)
class Notifying:
    """What the notifications consumer works with."""

    store: TicketStore
    people: People
    mailer: Mailer
    ledger: NoticeLedger
    links: Links
    settings: Settings


def audiences(
    event: TicketEvent, previous: TicketEvent | None
) -> list[tuple[Audience, TemplateName]]:
    """Whom an event concerns, and what they are told (the table above)."""
    by = event.by.role
    if event.kind == "submitted":
        return [("emitter", "acknowledgement")]
    if event.kind == "replied":
        asked = event.status == "waiting_for_user"
        return [("emitter", "information_asked" if asked else "resolved")]
    if event.kind == "transferred":
        return [("emitter", "transferred")]
    if event.kind == "reminded":
        return [("emitter", "reminder")]
    if event.kind == "closed":
        closing: list[tuple[Audience, TemplateName]] = [("emitter", "closed")]
        if by == "emitter" and previous is not None and previous.status in BEING_HANDLED:
            closing.append(("handler", "closed_by_emitter"))
        return closing
    if event.kind == "reopened":
        return [("handler", "reopened")]
    if event.kind == "commented" and by == "emitter":
        return [("handler", "user_answered")]
    return []


def handler_email(ticket: TicketRecord, ctx: Notifying) -> str:
    """The agent who took the ticket, or the recipient's team."""
    if ticket.assignee is not None and ticket.assignee.user_id:
        agent = ctx.people.user(ticket.assignee.user_id)
        if agent is not None and agent.email:
            return agent.email
    return recipient_team_email(ticket.recipient, ctx.people, ctx.settings)


def compose(
    ctx: Notifying,
    ticket: TicketRecord,
    event: TicketEvent,
    audience: Audience,
    template: TemplateName,
    now: datetime,
) -> OutgoingMail:
    if audience == "emitter":
        link, follow = ctx.links.for_emitter(ticket, now)
        facts = MailFacts(ticket, event, link, ctx.settings, follow_link=follow)
        return render(template, facts, ticket.contact_email)
    facts = MailFacts(ticket, event, ctx.links.for_agents(ticket), ctx.settings)
    return render(template, facts, handler_email(ticket, ctx))


def send_notices(body: str, ctx: Notifying, now: datetime) -> list[Audience]:
    """E-mail whom one notice concerns, once each; returns whom this delivery e-mailed."""
    notice = TicketNotice.model_validate_json(body)
    found = ctx.store.get_with_history(notice.ticket_id)
    if found is None:
        raise UndeliverableError(f"unknown ticket {notice.ticket_id}")
    ticket, events = found
    index = next((i for i, e in enumerate(events) if e.event_id == notice.event_id), None)
    if index is None:
        raise UndeliverableError(f"unknown event {notice.event_id} of {notice.ticket_id}")
    event, previous = events[index], events[index - 1] if index else None
    sent: list[Audience] = []
    for audience, template in audiences(event, previous):
        key = notice_key(ticket.ticket_id, event.event_id, audience)
        claim = ctx.ledger.claim(key, now)
        if claim == "sent":
            continue
        if claim == "busy":
            raise NoticeBusyError(key)
        try:
            ctx.mailer.send(compose(ctx, ticket, event, audience, template, now))
        except Exception:
            ctx.ledger.release(key)
            raise
        ctx.ledger.mark_sent(key, now)
        sent.append(audience)
        get_logger().info(
            "notice sent",
            extra={"ticket_id": ticket.ticket_id, "event": event.kind, "audience": audience},
        )
    return sent
