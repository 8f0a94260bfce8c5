"""The working-day calendar exactly at its transitions (where `<` and `<=` differ)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from chalicelib.livechat.calendar import DayRule, OpeningRules, WorkingCalendar

MONDAY_OPENS = datetime.fromisoformat("2026-12-07T08:30:00+01:00")
MONDAY_CLOSES = datetime.fromisoformat("2026-12-07T18:30:00+01:00")
TUESDAY_OPENS = datetime.fromisoformat("2026-12-08T08:30:00+01:00")


def test_at_the_opening_instant_it_is_open_until_the_closing() -> None:
    calendar = WorkingCalendar(OpeningRules())

    assert calendar.is_open_at(MONDAY_OPENS)
    assert calendar.closes_at(MONDAY_OPENS) == MONDAY_CLOSES


def test_at_an_opening_instant_the_next_opening_is_the_following_one() -> None:
    calendar = WorkingCalendar(OpeningRules())

    assert calendar.next_opening(MONDAY_OPENS) == TUESDAY_OPENS


def test_at_the_closing_instant_the_last_transition_is_the_closing() -> None:
    calendar = WorkingCalendar(OpeningRules())

    assert calendar.last_transition(MONDAY_CLOSES) == ("closed", MONDAY_CLOSES)
    assert calendar.last_transition(MONDAY_OPENS) == ("opened", MONDAY_OPENS)
    assert calendar.closes_at(MONDAY_CLOSES) is None


def test_a_closed_day_rule_closes_even_when_it_carries_hours() -> None:
    closed = DayRule(date=date(2026, 12, 7), closed=True, opens=time(9), closes=time(12))
    calendar = WorkingCalendar(OpeningRules(), [closed])

    assert calendar.period_on(date(2026, 12, 7)) is None
    assert calendar.next_opening(MONDAY_OPENS) == TUESDAY_OPENS


def test_the_day_is_the_calendars_not_utcs() -> None:
    calendar = WorkingCalendar(OpeningRules())
    # Saturday 00:30 in Paris is still Friday 23:30 in UTC.
    saturday_paris = datetime.fromisoformat("2026-12-05T00:30:00+01:00")

    assert calendar.local(saturday_paris).date() == date(2026, 12, 5)
    assert calendar.last_transition(saturday_paris) == (
        "closed",
        datetime.fromisoformat("2026-12-04T18:30:00+01:00"),
    )


def test_a_naive_instant_is_refused() -> None:
    calendar = WorkingCalendar(OpeningRules())

    with pytest.raises(ValueError, match="^instant needs a UTC offset$"):
        calendar.is_open_at(datetime(2026, 12, 7, 10, 0))


def test_more_working_days_than_the_search_reaches_are_refused_by_name() -> None:
    calendar = WorkingCalendar(OpeningRules())

    # About 280 working days in 400 calendar days: 365 cannot be reached.
    with pytest.raises(
        ValueError, match=r"^no 365 working days within 400 days of 2026-12-07 08:30:00\+01:00$"
    ):
        calendar.add_working_days(MONDAY_OPENS, 365)
