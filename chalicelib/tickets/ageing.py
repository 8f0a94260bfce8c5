"""Ageing: how long a ticket has waited for its recipient, in working hours, and when it is late.

Working time is the LiveChat's working-day calendar, the one source of working
hours (open days, hours, public holidays, the support's closures): the edge hands
it in as `WorkingTime` (chalicelib/endpoints/wiring.py), the tickets area imports
nothing of the LiveChat.

Rules:
- A ticket waits for its recipient while it is `submitted` or `in_progress`
  (taking it does not stop the clock: answering does). The wait starts at
  submission, and starts again each time the ticket comes back to its recipient:
  the emitter answers a request for information, reopens it, or it is transferred
  (`awaiting_since`, set by `restart_wait` in the change's own write).
- Its age is the working time between `awaiting_since` and now (frozen at 0 while
  it waits for the user, is resolved or closed).
- It is overdue once its age passes its category's target (chalicelib/data/desk.yaml:
  e.g. a first answer within 2 working days). A working day is the calendar's
  ordinary opening (08:30-18:30: 10 working hours).
- The desk sorts by it: the tickets waiting longest first (gsi5, by `awaiting_since`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Protocol

from chalicelib.shared.models import Model
from chalicelib.tickets.keys import RECIPIENT_COURT
from chalicelib.tickets.records import TicketRecord

TARGETS_FILE = Path(__file__).resolve().parent.parent / "data" / "desk.yaml"
# Past this many calendar days the walk stops (a ticket older than that is late anyway).
MAX_DAYS = 400


class WorkingTime(Protocol):
    """The working-day calendar as ageing reads it (livechat.calendar.WorkingCalendar)."""

    def period_on(self, day: date) -> tuple[datetime, datetime] | None:
        """The working period of a date (start, end), None when not worked."""
        ...

    def local(self, instant: datetime) -> datetime:
        """The instant in the calendar's time zone."""
        ...


class Targets(Model):
    """How long a ticket may wait for its recipient, in working days, per category."""

    default_working_days: float = 2
    categories: dict[str, float] = {}

    def working_days(self, category: str) -> float:
        return self.categories.get(category, self.default_working_days)


@cache
def load_targets() -> Targets:
    """chalicelib/data/desk.yaml, read once."""
    import yaml

    return Targets.model_validate(yaml.safe_load(TARGETS_FILE.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Ageing:
    """The calendar, the length of its working day and the targets: what ages a ticket."""

    calendar: WorkingTime
    day_hours: float
    targets: Targets

    def categories(self) -> list[str]:
        """The configured categories, and "" for every other one (the default target)."""
        return [*self.targets.categories, ""]

    def target(self, category: str) -> timedelta:
        return timedelta(hours=self.targets.working_days(category) * self.day_hours)


def working_time_between(calendar: WorkingTime, start: datetime, end: datetime) -> timedelta:
    """The working time between two instants (0 when `end` is not after `start`)."""
    total = timedelta()
    if end <= start:
        return total
    day = calendar.local(start).date()
    last = calendar.local(end).date()
    for _ in range(MAX_DAYS + (last - day).days):
        if day > last:
            break
        period = calendar.period_on(day)
        if period is not None:
            overlap = min(period[1], end) - max(period[0], start)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total


def working_instant_after(
    calendar: WorkingTime, start: datetime, amount: timedelta
) -> datetime | None:
    """The instant when `amount` of working time has passed since `start`."""
    left = amount
    day = calendar.local(start).date()
    for _ in range(MAX_DAYS):
        period = calendar.period_on(day)
        if period is not None and period[1] > start:
            begin = max(period[0], start)
            if begin + left <= period[1]:
                return begin + left
            left -= period[1] - begin
        day += timedelta(days=1)
    return None


def working_instant_before(calendar: WorkingTime, end: datetime, amount: timedelta) -> datetime:
    """The latest instant from which `amount` of working time has passed by `end`."""
    left = amount
    day = calendar.local(end).date()
    for _ in range(MAX_DAYS):
        period = calendar.period_on(day)
        if period is not None and period[0] < end:
            finish = min(period[1], end)
            if finish - left >= period[0]:
                return finish - left
            left -= finish - period[0]
        day -= timedelta(days=1)
    return end - timedelta(days=MAX_DAYS)


class TicketAge(Model):
    """What the desk shows of a ticket's wait."""

    awaiting_since: datetime
    # Waiting for its recipient now (its clock runs).
    waiting: bool
    working_hours: float
    target_working_hours: float
    due_at: datetime | None
    overdue: bool


def awaiting_since(ticket: TicketRecord) -> datetime:
    return ticket.awaiting_since or ticket.created_at


def age_of(ageing: Ageing, ticket: TicketRecord, now: datetime) -> TicketAge:
    since = awaiting_since(ticket)
    target = ageing.target(ticket.category)
    waiting = ticket.status in RECIPIENT_COURT
    elapsed = working_time_between(ageing.calendar, since, now) if waiting else timedelta()
    return TicketAge(
        awaiting_since=since,
        waiting=waiting,
        working_hours=round(elapsed.total_seconds() / 3600, 1),
        target_working_hours=round(target.total_seconds() / 3600, 1),
        due_at=working_instant_after(ageing.calendar, since, target) if waiting else None,
        overdue=waiting and elapsed > target,
    )


def overdue_threshold(ageing: Ageing, category: str, now: datetime) -> datetime:
    """A ticket of `category` waiting since before this instant is overdue now."""
    return working_instant_before(ageing.calendar, now, ageing.target(category))


def restart_wait(before: TicketRecord, after: TicketRecord, now: datetime) -> TicketRecord:
    """`after` with its wait restarted when the change hands the ticket back to its recipient."""
    if after.status not in RECIPIENT_COURT:
        return after
    if before.status in RECIPIENT_COURT and before.recipient == after.recipient:
        return after
    return after.model_copy(update={"awaiting_since": now})
