"""When the LiveChat is open, as the assistant needs it to offer a human.

The dialogue depends on the small `LiveChatHours` protocol only; `livechat_hours()`
gives it the LiveChat's own calendar (chalicelib/livechat/calendar.py, closures
included), so the assistant and the LiveChat never disagree about opening hours.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from chalicelib.shared.config import get_settings

if TYPE_CHECKING:
    from chalicelib.livechat.calendar import WorkingCalendar


class LiveChatHours(Protocol):
    """The LiveChat's opening hours, as the assistant asks about them."""

    def is_open(self, now: datetime) -> bool:
        """Whether a person can be reached at this instant."""
        ...

    def next_opening(self, now: datetime) -> datetime | None:
        """The next opening after `now` (None when there is none in sight)."""
        ...


class CalendarHours:
    """The LiveChat's own working-day calendar (with the stored closures), as the assistant asks."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self._calendar = calendar

    def is_open(self, now: datetime) -> bool:
        return self._calendar.is_open_at(now)

    def next_opening(self, now: datetime) -> datetime | None:
        return self._calendar.next_opening(now)


def livechat_hours() -> LiveChatHours:
    """The LiveChat's hours: the very calendar its availability route uses (cached 60 s)."""
    from chalicelib.livechat.availability import current_calendar, opening_rules
    from chalicelib.livechat.store import get_store

    return CalendarHours(current_calendar(get_store(), opening_rules(get_settings())))
