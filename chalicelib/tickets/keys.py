"""The key layout of the tickets table: how tickets and their history are stored.

Items of the tickets table (pk / sk, item_type):
  TICKET#{id} / TICKET                  ticket   the ticket (status, recipient, routing counters)
  TICKET#{id} / EVENT#{at}#{event id}   event    one entry of its history (status change, comment,
                                                 delivery), with who and when
  ATTACHMENT#{id} / ATTACHMENT          -        an attachment (chalicelib/attachments)
  COUNTER#reference#{year} / COUNTER    counter  the last reference number of the year
  SATISFACTION / {desk}#{category}      satisfaction  the ratings of a desk's tickets of one
                                                 category: count and sum of stars, per star

Access patterns, each a key or an index (never a Scan):
  a ticket with its history      Query pk = TICKET#{id} (items sort: events by time, then TICKET)
  an emitter's tickets           gsi1: EMITTER#{user} / {created}#{id}, newest first
  an emitter's tickets by status gsi3: EMITTER#{user}#{status} / {created}#{id}, newest first
  a recipient's desk             gsi2: DESK#support or DESK#business#{org} /
                                 {rank}-{status}#{created}#{id}: with a status, begins_with;
                                 without, the whole desk in workflow order, oldest first
  a desk by date                 gsi4: the desk / {created}#{id}, newest or oldest first
  a desk by waiting time         gsi5 (sparse: only tickets waiting for their recipient,
                                 submitted or in_progress): the desk / {awaiting since}#{id}
  a desk's search terms          SEARCH#{desk}#{term} / {created}#{id} (chalicelib/tickets/
                                 search.py), written with the ticket in its transaction
  the tickets the lifecycle job  gsi6 (sparse: only these tickets carry it): LIFECYCLE#waiting
  watches                        (waiting for the emitter, not reminded yet), LIFECYCLE#reminded,
                                 LIFECYCLE#resolved / {since}#{id}, oldest first: the job reads
                                 each partition from its start and stops at the first ticket
                                 not due (due dates grow with `since`)
  the next reference             UpdateItem ADD on the year's counter
  the satisfaction report        Query pk = SATISFACTION (one item per desk and category)

gsi6 has three partition values: enough for a public service's open tickets (a GSI
partition takes 1,000 writes a second); past that, shard the partitions by a suffix.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from chalicelib.tickets.records import (
    STATUSES,
    RecipientType,
    TicketEvent,
    TicketRecord,
    TicketStatus,
    since,
)

LifecycleStage = Literal["waiting", "reminded", "resolved"]
LIFECYCLE_STAGES: tuple[LifecycleStage, ...] = ("waiting", "reminded", "resolved")
SATISFACTION_PK = "SATISFACTION"

# Attributes only the queue consumer writes; a lifecycle update never touches them.
CONSUMER_ATTRIBUTES = frozenset({"delivered_seq", "notified_seq"})


def sort_instant(instant: datetime) -> str:
    """An instant as a fixed-width UTC string, so keys sort by time."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ticket_pk(ticket_id: str) -> str:
    return f"TICKET#{ticket_id}"


def emitter_partition(user_id: str) -> str:
    return f"EMITTER#{user_id}"


def emitter_status_partition(user_id: str, status: TicketStatus) -> str:
    return f"EMITTER#{user_id}#{status}"


def desk_partition(recipient_type: RecipientType, organisation_id: str | None) -> str:
    if recipient_type == "support":
        return "DESK#support"
    return f"DESK#business#{organisation_id}"


def desk_status_prefix(status: TicketStatus) -> str:
    return f"{STATUSES.index(status) + 1}-{status}#"


def lifecycle_partition(stage: LifecycleStage) -> str:
    return f"LIFECYCLE#{stage}"


def lifecycle_stage(ticket: TicketRecord) -> tuple[LifecycleStage, datetime] | None:
    """Which of the lifecycle job's partitions a ticket is in, and since when."""
    if ticket.status == "waiting_for_user":
        if ticket.reminded_at is not None:
            return "reminded", ticket.reminded_at
        return "waiting", since(ticket)
    if ticket.status == "resolved":
        return "resolved", since(ticket)
    return None


def satisfaction_sk(desk: str, category: str) -> str:
    return f"{desk}#{category}"


def ticket_item(ticket: TicketRecord) -> dict[str, Any]:
    """The item of a ticket, with its index keys (which follow its status and recipient)."""
    created = f"{sort_instant(ticket.created_at)}#{ticket.ticket_id}"
    item: dict[str, Any] = {
        "pk": ticket_pk(ticket.ticket_id),
        "sk": "TICKET",
        "item_type": "ticket",
        **ticket.model_dump(mode="json", exclude_none=True),
        "gsi2pk": desk_partition(ticket.recipient.type, ticket.recipient.organisation_id),
        "gsi2sk": desk_status_prefix(ticket.status) + created,
    }
    item.update(desk_index_keys(ticket, created))
    stage = lifecycle_stage(ticket)
    if stage is not None:
        item["gsi6pk"] = lifecycle_partition(stage[0])
        item["gsi6sk"] = f"{sort_instant(stage[1])}#{ticket.ticket_id}"
    if ticket.emitter_user_id:
        item["gsi1pk"] = emitter_partition(ticket.emitter_user_id)
        item["gsi1sk"] = created
        item["gsi3pk"] = emitter_status_partition(ticket.emitter_user_id, ticket.status)
        item["gsi3sk"] = created
    return item


# The statuses in which a ticket waits for its recipient (its ageing clock runs).
RECIPIENT_COURT: frozenset[TicketStatus] = frozenset({"submitted", "in_progress"})


def desk_index_keys(ticket: TicketRecord, created: str) -> dict[str, str]:
    """gsi4 (the desk by date) and, while it waits for its recipient, gsi5 (by waiting)."""
    desk = desk_partition(ticket.recipient.type, ticket.recipient.organisation_id)
    keys = {"gsi4pk": desk, "gsi4sk": created}
    if ticket.status in RECIPIENT_COURT:
        awaiting = ticket.awaiting_since or ticket.created_at
        keys.update(gsi5pk=desk, gsi5sk=f"{sort_instant(awaiting)}#{ticket.ticket_id}")
    return keys


def event_item(event: TicketEvent) -> dict[str, Any]:
    return {
        "pk": ticket_pk(event.ticket_id),
        "sk": f"EVENT#{sort_instant(event.at)}#{event.event_id}",
        "item_type": "event",
        **event.model_dump(mode="json", exclude_none=True),
    }


# The index keys of a ticket item: a change rewrites those that moved.
INDEX_KEYS = frozenset({f"gsi{n}{part}" for n in (1, 2, 3, 4, 5, 6) for part in ("pk", "sk")})
KEY_ATTRIBUTES = frozenset({"pk", "sk", "item_type"}) | INDEX_KEYS


def strip_keys(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in KEY_ATTRIBUTES}
