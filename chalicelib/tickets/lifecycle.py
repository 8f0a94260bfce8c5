"""The tickets' lifecycle job: remind, then close, what waits for its emitter; close what
was resolved and not reopened.

Rules (durations in the settings, chalicelib/shared/config.py):
- a ticket waiting for its emitter (`waiting_for_user`) gets a reminder after
  `TICKET_REMINDER_WORKING_DAYS` (5) working days without an answer;
- it is closed `TICKET_UNANSWERED_CLOSE_WORKING_DAYS` (10) working days after the
  reminder if still unanswered (counted from the reminder sent, so a reminder a
  late run sends still leaves the person those days);
- a resolved ticket is closed `TICKET_RESOLVED_CLOSE_DAYS` (7) calendar days after
  its resolution if nobody reopened it.
Working days come from the LiveChat's calendar (chalicelib/livechat/calendar.py,
handed in by the edge): weekends, French public holidays and the support's
closures are not working days; "n working days after" is the same wall-clock time
on the n-th working day after.

Each change is a ticket change like any other (`apply_change`): a history event by
the actor `system` ("reminded", "closed" with the reason), under the ticket's
version condition, and the e-mail follows from the event (notifications consumer).

Finding the tickets costs no Scan: gsi6 holds only the tickets in one of the three
stages, sorted by since when (chalicelib/tickets/keys.py). Due dates grow with that
instant, so the job reads each stage from its oldest ticket and stops at the first
one not due: a run reads what it changes, plus one ticket (or an empty page).

Idempotent and catching up: a ticket changed leaves its stage (or moves to the
next one with a later `since`), so a second run finds nothing more; a run that did
not happen leaves its tickets due, and the next run does what they were due for.
A ticket that moved meanwhile (the emitter answered) fails the version condition
and is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.shared.errors import ConflictError
from chalicelib.shared.models import Model
from chalicelib.tickets.changes import apply_change
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.keys import LifecycleStage, lifecycle_stage
from chalicelib.tickets.records import SYSTEM, TicketRecord

PAGE_SIZE = 50
UNANSWERED_TEXT = (
    "Votre demande a été clôturée automatiquement : les informations demandées ne nous "
    "sont pas parvenues malgré la relance."
)
RESOLVED_TEXT = (
    "Votre demande a été clôturée automatiquement, {days} jours après sa résolution, "
    "sans avoir été rouverte."
)


class WorkingDays(Protocol):
    """The working-day arithmetic of a calendar (the LiveChat's)."""

    def add_working_days(self, instant: datetime, count: int) -> datetime:
        """The same wall-clock time, `count` working days after `instant`."""
        ...


class LifecycleRun(Model):
    """What one run of the job did."""

    ran_at: datetime
    reminded: int = 0
    closed_unanswered: int = 0
    closed_resolved: int = 0
    # Tickets that moved while the job looked at them (left for the next run).
    skipped: int = 0


def due_at(
    ctx: TicketContext, calendar: WorkingDays, stage: LifecycleStage, since: datetime
) -> datetime:
    """When a ticket that entered `stage` at `since` is due for the job."""
    settings = ctx.settings
    if stage == "waiting":
        return calendar.add_working_days(since, settings.reminder_working_days)
    if stage == "reminded":
        return calendar.add_working_days(since, settings.unanswered_close_working_days)
    return since + timedelta(days=settings.resolved_close_days)


def due_tickets(
    ctx: TicketContext, calendar: WorkingDays, stage: LifecycleStage, now: datetime
) -> Iterator[TicketRecord]:
    """The tickets of a stage due at `now`, oldest first; stops at the first not due."""
    cursor: str | None = None
    while True:
        page = ctx.store.list_lifecycle(stage, PAGE_SIZE, cursor)
        for ticket in page.items:
            entered = lifecycle_stage(ticket)
            if entered is None or entered[0] != stage:
                continue  # the index lags behind a change: nothing to do for this stage
            if due_at(ctx, calendar, stage, entered[1]) > now:
                return
            yield ticket
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def run_lifecycle(ctx: TicketContext, calendar: WorkingDays, now: datetime) -> LifecycleRun:
    """Remind and close what is due at `now` (see the module's docstring)."""
    run = LifecycleRun(ran_at=now)
    for stage in ("waiting", "reminded", "resolved"):
        for ticket in list(due_tickets(ctx, calendar, stage, now)):
            try:
                act(ctx, stage, ticket, now)
            except ConflictError:
                run.skipped += 1
                continue
            if stage == "waiting":
                run.reminded += 1
            elif stage == "reminded":
                run.closed_unanswered += 1
            else:
                run.closed_resolved += 1
    return run


def act(ctx: TicketContext, stage: LifecycleStage, ticket: TicketRecord, now: datetime) -> None:
    """The job's change of one due ticket, by the actor `system`."""
    if stage == "waiting":
        apply_change(ctx, ticket, {"reminded_at": now}, "reminded", SYSTEM, now)
    elif stage == "reminded":
        changes = {"status": "closed"}
        apply_change(ctx, ticket, changes, "closed", SYSTEM, now, UNANSWERED_TEXT)
    else:
        text = RESOLVED_TEXT.format(days=ctx.settings.resolved_close_days)
        apply_change(ctx, ticket, {"status": "closed"}, "closed", SYSTEM, now, text)
