"""The LiveChat's working-day calendar: pure, no AWS, no clock.

Open Monday to Friday between two wall-clock times in one time zone (settings,
not code), on working days: French public holidays (the `holidays` package,
metropolitan France or a subdivision such as "57" for Moselle) are closed, and
support agents' exceptions win over everything: a date can be closed, or given
other hours (even a Saturday). The exceptions arrive here as data (`DayRule`s),
loaded by the caller.

Decisions:
- Opening hours are wall-clock times turned into instants per date with
  zoneinfo, so 08:30 is 08:30 in Paris on both sides of a DST change; every
  answer is an aware datetime in the calendar's zone.
- A date's open period is computed once and kept in the calendar (a dict), and
  public holidays once per (year, subdivision) for the process: an is-open
  check is then a time-zone conversion, a dict lookup and two comparisons.
- `holidays` is imported only when a year's holidays are first needed (it costs
  ~130 ms at import), never when the app is imported.
- Searches (next opening, last transition) give up after `SEARCH_DAYS`, which
  covers any realistic run of closures; past it the answer is None.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, model_validator

from chalicelib.shared.config import SERVICE_TIMEZONE
from chalicelib.shared.models import Model

SEARCH_DAYS = 400
WEEKEND = (5, 6)
Transition = Literal["opened", "closed"]
Period = tuple[datetime, datetime]


class DayRule(Model):
    """A support agents' exception for one date: closed, or open with other hours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: date
    closed: bool = True
    opens: time | None = None
    closes: time | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _hours_when_open(self) -> DayRule:
        if not self.closed and (self.opens is None or self.closes is None):
            raise ValueError("Un jour à horaires particuliers a besoin de opens et closes.")
        if not self.closed and self.opens is not None and self.closes is not None:
            if self.opens >= self.closes:
                raise ValueError("L'ouverture doit précéder la fermeture.")
        return self


class OpeningRules(Model):
    """The ordinary week: hours, zone and which public holidays apply."""

    model_config = ConfigDict(frozen=True)

    timezone: str = SERVICE_TIMEZONE
    opens: time = time(8, 30)
    closes: time = time(18, 30)
    # A `holidays` subdivision of France ("57", "67", "68"...); empty: metropolitan.
    subdivision: str = ""


@functools.cache
def public_holidays(year: int, subdivision: str = "") -> frozenset[date]:
    """France's public holidays of a year (with the subdivision's extra days)."""
    # Lazy: `import holidays` costs ~130 ms quiet (TRAPS.md), 180-220 ms measured here on a
    # loaded machine (python -X importtime, 2026-11), and France's holidays of a year ~330 ms
    # more; paid by the first is-open check only, never by `import app`.
    import holidays

    calendar = holidays.country_holidays("FR", subdiv=subdivision or None, years=year)
    return frozenset(calendar.keys())


def french_time(moment: time) -> str:
    """A wall-clock time written the French way: 8h30, 18h."""
    return f"{moment.hour}h{moment.minute:02d}" if moment.minute else f"{moment.hour}h"


class WorkingCalendar:
    """Answers is-open, closes-at and next-opening for any aware instant."""

    def __init__(self, rules: OpeningRules, day_rules: Iterable[DayRule] = ()) -> None:
        self.rules = rules
        self.zone = ZoneInfo(rules.timezone)
        self._day_rules = {rule.date: rule for rule in day_rules}
        self._periods: dict[date, Period | None] = {}

    @property
    def hours_text(self) -> str:
        """The ordinary hours, in French."""
        opens, closes = french_time(self.rules.opens), french_time(self.rules.closes)
        return f"du lundi au vendredi de {opens} à {closes}, jours ouvrés"

    def period_on(self, day: date) -> Period | None:
        """The open period of a date (opening, closing instants), None when closed."""
        try:
            return self._periods[day]
        except KeyError:
            period = self._periods[day] = self._compute_period(day)
            return period

    def _compute_period(self, day: date) -> Period | None:
        rule = self._day_rules.get(day)
        if rule is not None:
            if rule.closed or rule.opens is None or rule.closes is None:
                return None
            return self._instant(day, rule.opens), self._instant(day, rule.closes)
        if day.weekday() in WEEKEND or day in public_holidays(day.year, self.rules.subdivision):
            return None
        return self._instant(day, self.rules.opens), self._instant(day, self.rules.closes)

    def _instant(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.zone)

    def local(self, instant: datetime) -> datetime:
        """The instant in the calendar's zone (naive instants are refused)."""
        if instant.tzinfo is None:
            raise ValueError("instant needs a UTC offset")
        return instant.astimezone(self.zone)

    def is_open_at(self, instant: datetime) -> bool:
        period = self.period_on(self.local(instant).date())
        return period is not None and period[0] <= instant < period[1]

    def closes_at(self, instant: datetime) -> datetime | None:
        """When the current open period ends; None when closed at `instant`."""
        period = self.period_on(self.local(instant).date())
        if period is not None and period[0] <= instant < period[1]:
            return period[1]
        return None

    def next_opening(self, instant: datetime) -> datetime | None:
        """The first opening strictly after `instant` (skipping closed days)."""
        day = self.local(instant).date()
        for offset in range(SEARCH_DAYS):
            period = self.period_on(day + timedelta(days=offset))
            if period is not None and period[0] > instant:
                return period[0]
        return None

    def is_working_day(self, day: date) -> bool:
        """A day the LiveChat opens: not a weekend, a public holiday or a closure (and a
        Saturday the support opens exceptionally is one). Tickets' reminders count these."""
        return self.period_on(day) is not None

    def add_working_days(self, instant: datetime, count: int) -> datetime:
        """The same wall-clock time on the `count`-th working day after `instant`'s date
        (Thursday 10:00 + 2, with Friday a holiday: Tuesday 10:00)."""
        local = self.local(instant)
        if count <= 0:
            return local
        day, counted = local.date(), 0
        for _ in range(SEARCH_DAYS):
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted >= count:
                    return datetime.combine(day, local.time(), tzinfo=self.zone)
        raise ValueError(f"no {count} working days within {SEARCH_DAYS} days of {instant}")

    def last_transition(self, instant: datetime) -> tuple[Transition, datetime] | None:
        """The latest opening or closing at or before `instant`."""
        day = self.local(instant).date()
        for offset in range(SEARCH_DAYS):
            period = self.period_on(day - timedelta(days=offset))
            if period is None:
                continue
            if period[1] <= instant:
                return "closed", period[1]
            if period[0] <= instant:
                return "opened", period[0]
        return None
