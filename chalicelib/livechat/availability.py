"""The LiveChat's availability (open now? until when? next opening?) and the opening check.

The calendar of the moment is the settings' hours plus support agents' closures
(one GetItem), kept in the process for `CALENDAR_CACHE_SECONDS`: a warm
availability request costs no AWS call, a cold one exactly one. A change of
closures clears this process's copy at once; other warm Lambda instances see
it within the cache time.

The opening check runs on a schedule (every 5 minutes; EventBridge speaks UTC,
so the Paris boundaries are computed here, not in a cron expression). Each run
records the latest boundary (opening or closing) at or before its instant with
a conditional Put keyed by that boundary, so a re-run or a late run records
nothing twice. While the LiveChat is closed, every chat still waiting is closed
with a notice carrying a ticket draft; since no chat can be created while
closed, those are the ones left at closing, and a run missed at 18:30 is made
good by the next one. Active chats with an advisor are left to finish.
"""

from __future__ import annotations

import time as monotonic_time
from datetime import datetime, time
from typing import TYPE_CHECKING

from chalicelib.livechat.calendar import OpeningRules, Transition, WorkingCalendar
from chalicelib.livechat.closing import close_waiting_sessions
from chalicelib.livechat.push import Push
from chalicelib.livechat.store import LiveChatStore
from chalicelib.shared.models import Model

if TYPE_CHECKING:
    from chalicelib.shared.config import Settings

CALENDAR_CACHE_SECONDS = 60.0
_calendars: dict[tuple[str, OpeningRules], tuple[float, WorkingCalendar]] = {}


class Availability(Model):
    """Whether the LiveChat is open at an instant, and the hours around it."""

    open: bool
    timezone: str
    now: datetime
    closes_at: datetime | None
    next_opening: datetime | None
    hours: str


class OpeningCheck(Model):
    """What one run of the scheduled check did."""

    checked_at: datetime
    open: bool
    transition: Transition | None = None
    transition_at: datetime | None = None
    recorded: bool = False
    closed_waiting_sessions: int = 0


def opening_rules(settings: Settings) -> OpeningRules:
    return OpeningRules(
        timezone=settings.livechat_timezone,
        opens=time.fromisoformat(settings.livechat_opens),
        closes=time.fromisoformat(settings.livechat_closes),
        subdivision=settings.livechat_holiday_subdivision,
    )


def current_calendar(store: LiveChatStore, rules: OpeningRules) -> WorkingCalendar:
    """The calendar with the stored closures, from this process's cache when fresh."""
    key = (store.name, rules)
    cached = _calendars.get(key)
    now = monotonic_time.monotonic()
    if cached is not None and now - cached[0] < CALENDAR_CACHE_SECONDS:
        return cached[1]
    day_rules, _ = store.day_rules()
    calendar = WorkingCalendar(rules, day_rules)
    _calendars[key] = (now, calendar)
    return calendar


def forget_calendars() -> None:
    """Drop the cached calendars (after a change of closures; tests)."""
    _calendars.clear()


def availability_at(calendar: WorkingCalendar, instant: datetime) -> Availability:
    closes_at = calendar.closes_at(instant)
    return Availability(
        open=closes_at is not None,
        timezone=calendar.rules.timezone,
        now=calendar.local(instant),
        closes_at=closes_at,
        next_opening=None if closes_at is not None else calendar.next_opening(instant),
        hours=calendar.hours_text,
    )


def run_opening_check(
    store: LiveChatStore, calendar: WorkingCalendar, push: Push, now: datetime
) -> OpeningCheck:
    """Record the latest transition once; while closed, close the chats still waiting."""
    check = OpeningCheck(checked_at=now, open=calendar.is_open_at(now))
    last = calendar.last_transition(now)
    if last is not None:
        check.transition, check.transition_at = last
        check.recorded = store.record_transition(last[0], last[1], now)
    if not check.open:
        check.closed_waiting_sessions = close_waiting_sessions(store, push, now)
    return check
