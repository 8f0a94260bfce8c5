"""When the LiveChat is open, as the assistant needs it to offer a human.

The dialogue depends on the small `LiveChatHours` protocol only. `livechat_hours()`
is the ONE place that picks the provider: for now a self-contained fallback
(`OfficeHours`, working days from the settings), to be re-pointed to the LiveChat's
own business-hours calendar (chalicelib/livechat/calendar.py) when the branches merge,
so that the assistant and the LiveChat can never disagree about opening hours.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

from chalicelib.config import Settings, get_settings

# Far enough to cross any run of holidays and week-ends; a calendar with no opening
# within a year is a configuration error, reported as "no next opening".
SEARCH_HORIZON_DAYS = 366


class LiveChatHours(Protocol):
    """The LiveChat's opening hours, as the assistant asks about them."""

    def is_open(self, now: datetime) -> bool:
        """Whether a person can be reached at this instant."""
        ...

    def next_opening(self, now: datetime) -> datetime | None:
        """The first opening strictly after `now` (None when there is none within a year)."""
        ...


class OfficeHours:
    """Open on working days (Monday to Friday, not a public holiday) between two local times."""

    def __init__(self, timezone: str, opens: time, closes: time, holiday_subdivision: str) -> None:
        self.timezone = ZoneInfo(timezone)
        self.opens = opens
        self.closes = closes
        self.holiday_subdivision = holiday_subdivision or None

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _french_holidays(self.holiday_subdivision, day.year)

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.timezone)
        return self.is_working_day(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, now: datetime) -> datetime | None:
        local = now.astimezone(self.timezone)
        for offset in range(SEARCH_HORIZON_DAYS):
            day = local.date() + timedelta(days=offset)
            if not self.is_working_day(day):
                continue
            # Built from the local date and wall time, so DST changes give the right offset.
            opening = datetime.combine(day, self.opens, tzinfo=self.timezone)
            if opening > local:
                return opening
        return None


@cache
def _french_holidays(subdivision: str | None, year: int) -> frozenset[date]:
    # Imported here: `holidays` costs ~130 ms at import, paid only when hours are asked.
    import holidays

    return frozenset(holidays.country_holidays("FR", subdiv=subdivision, years=year))


def office_hours_from(settings: Settings) -> OfficeHours:
    """The fallback calendar described by the LIVECHAT_* settings."""
    return OfficeHours(
        settings.livechat_timezone,
        time.fromisoformat(settings.livechat_opens),
        time.fromisoformat(settings.livechat_closes),
        settings.livechat_holiday_subdivision,
    )


def livechat_hours() -> LiveChatHours:
    """The LiveChat's hours for the assistant.

    FALLBACK, to be replaced at merge time by the LiveChat's calendar
    (chalicelib/livechat/calendar.py): keep this the only function to change.
    """
    return office_hours_from(get_settings())
