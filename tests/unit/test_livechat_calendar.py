"""The LiveChat calendar at fixed instants: hours, weekends, holidays, DST, closures."""

from __future__ import annotations

import sys
from datetime import date, datetime, time

import pytest

from chalicelib.livechat.calendar import DayRule, OpeningRules, WorkingCalendar

PARIS = OpeningRules()


def at(instant: str) -> datetime:
    return datetime.fromisoformat(instant)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar(PARIS)


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        ("2026-12-04T18:29:00+01:00", True),  # Friday
        ("2026-12-04T18:30:00+01:00", False),
        ("2026-12-07T08:29:00+01:00", False),  # Monday
        ("2026-12-07T08:30:00+01:00", True),
        ("2026-12-05T11:00:00+01:00", False),  # Saturday
        ("2027-07-14T10:00:00+02:00", False),  # Fête nationale (Wednesday)
        ("2027-11-01T10:00:00+01:00", False),  # Toussaint (Monday)
        ("2027-03-29T10:00:00+02:00", False),  # Easter Monday
        ("2027-05-17T10:00:00+02:00", False),  # Whit Monday
        ("2027-07-13T10:00:00+02:00", True),  # an ordinary Tuesday
        ("2026-12-04T17:29:00Z", True),  # the same instant in UTC
        ("2026-12-04T17:30:00Z", False),
    ],
)
def test_is_open_at_fixed_instants(calendar: WorkingCalendar, instant: str, is_open: bool) -> None:
    assert calendar.is_open_at(at(instant)) is is_open


def test_saturday_next_opening_is_monday_0830(calendar: WorkingCalendar) -> None:
    assert calendar.next_opening(at("2026-12-05T11:00:00+01:00")) == at("2026-12-07T08:30:00+01:00")


def test_friday_evening_before_a_monday_holiday_opens_tuesday(calendar: WorkingCalendar) -> None:
    # Easter Monday 2027 is 29 March.
    after_closing = at("2027-03-26T18:30:00+01:00")

    assert calendar.next_opening(after_closing) == at("2027-03-30T08:30:00+02:00")


def test_before_opening_next_opening_is_the_same_morning(calendar: WorkingCalendar) -> None:
    assert calendar.next_opening(at("2026-12-07T08:29:00+01:00")) == at("2026-12-07T08:30:00+01:00")


def test_closes_at_while_open_and_none_when_closed(calendar: WorkingCalendar) -> None:
    assert calendar.closes_at(at("2026-12-04T18:29:00+01:00")) == at("2026-12-04T18:30:00+01:00")
    assert calendar.closes_at(at("2026-12-04T18:30:00+01:00")) is None


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        # Last Sunday of March 2027 is the 28th (a Sunday: closed); Monday 29 is Easter
        # Monday, so the first CEST morning is Tuesday 30: 08:30 CEST = 06:30 UTC.
        ("2027-03-30T06:29:00Z", False),
        ("2027-03-30T06:30:00Z", True),
        ("2027-03-30T16:29:00Z", True),
        ("2027-03-30T16:30:00Z", False),
        # The Friday before, still CET: 08:30 = 07:30 UTC.
        ("2027-03-26T07:29:00Z", False),
        ("2027-03-26T07:30:00Z", True),
        # Last Sunday of October 2027 is the 31st; Monday 1 November is a holiday;
        # Tuesday 2 November is CET again: 08:30 = 07:30 UTC, 18:30 = 17:30 UTC.
        ("2027-11-02T07:29:00Z", False),
        ("2027-11-02T07:30:00Z", True),
        ("2027-11-02T17:29:00Z", True),
        ("2027-11-02T17:30:00Z", False),
        # The Friday before, still CEST: 18:30 = 16:30 UTC.
        ("2027-10-29T16:29:00Z", True),
        ("2027-10-29T16:30:00Z", False),
    ],
)
def test_dst_changes_are_right_to_the_minute(
    calendar: WorkingCalendar, instant: str, is_open: bool
) -> None:
    assert calendar.is_open_at(at(instant)) is is_open


def test_next_opening_across_the_march_dst_change_has_the_summer_offset(
    calendar: WorkingCalendar,
) -> None:
    next_opening = calendar.next_opening(at("2027-03-26T20:00:00+01:00"))

    assert next_opening is not None
    assert next_opening.isoformat() == "2027-03-30T08:30:00+02:00"


def test_exceptional_closure_is_closed_and_skipped() -> None:
    closure = DayRule(date=date(2026, 12, 7), reason="Inventaire")
    calendar = WorkingCalendar(PARIS, [closure])

    assert not calendar.is_open_at(at("2026-12-07T10:00:00+01:00"))
    assert calendar.next_opening(at("2026-12-04T19:00:00+01:00")) == at("2026-12-08T08:30:00+01:00")


def test_a_long_run_of_closures_is_skipped() -> None:
    closures = [DayRule(date=date(2026, 12, day)) for day in range(7, 32)]
    calendar = WorkingCalendar(PARIS, closures)

    # 1 January is a holiday, 2-3 January 2027 a weekend.
    assert calendar.next_opening(at("2026-12-04T19:00:00+01:00")) == at("2027-01-04T08:30:00+01:00")


def test_special_hours_override_the_day() -> None:
    christmas_eve = DayRule(
        date=date(2026, 12, 24), closed=False, opens=time(8, 30), closes=time(16)
    )
    calendar = WorkingCalendar(PARIS, [christmas_eve])

    assert calendar.closes_at(at("2026-12-24T10:00:00+01:00")) == at("2026-12-24T16:00:00+01:00")
    assert not calendar.is_open_at(at("2026-12-24T16:00:00+01:00"))


def test_moselle_subdivision_closes_on_saint_stephen() -> None:
    metropolitan = WorkingCalendar(PARIS)
    moselle = WorkingCalendar(OpeningRules(subdivision="57"))
    saint_stephen = at("2025-12-26T10:00:00+01:00")  # a Friday

    assert metropolitan.is_open_at(saint_stephen)
    assert not moselle.is_open_at(saint_stephen)


def test_hours_are_settings_and_read_in_french() -> None:
    calendar = WorkingCalendar(OpeningRules(opens=time(9), closes=time(17, 45)))

    assert calendar.hours_text == "du lundi au vendredi de 9h à 17h45, jours ouvrés"
    assert WorkingCalendar(PARIS).hours_text == "du lundi au vendredi de 8h30 à 18h30, jours ouvrés"
    assert not calendar.is_open_at(at("2026-12-04T08:59:00+01:00"))


def test_last_transition_is_the_latest_boundary(calendar: WorkingCalendar) -> None:
    assert calendar.last_transition(at("2026-12-05T11:00:00+01:00")) == (
        "closed",
        at("2026-12-04T18:30:00+01:00"),
    )
    assert calendar.last_transition(at("2026-12-07T08:30:00+01:00")) == (
        "opened",
        at("2026-12-07T08:30:00+01:00"),
    )


def test_naive_instants_are_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="offset"):
        calendar.is_open_at(datetime(2026, 12, 4, 10))


def test_holidays_package_is_not_imported_by_the_app() -> None:
    code = "import app, sys; print('holidays' in sys.modules)"
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"


# Working days (the tickets' reminders count them)


def test_working_days_keep_the_wall_clock_time_across_a_dst_change(
    calendar: WorkingCalendar,
) -> None:
    # Summer time ends on Sunday 25 October 2026.
    friday = at("2026-10-23T10:00:00+02:00")

    assert calendar.add_working_days(friday, 1).isoformat() == "2026-10-26T10:00:00+01:00"


def test_working_days_skip_christmas_and_new_year(calendar: WorkingCalendar) -> None:
    thursday = at("2026-12-24T15:00:00+01:00")

    # Friday 25th and Friday 1st are public holidays.
    assert calendar.add_working_days(thursday, 4).isoformat() == "2026-12-31T15:00:00+01:00"
    assert calendar.add_working_days(thursday, 5).isoformat() == "2027-01-04T15:00:00+01:00"
    assert calendar.add_working_days(thursday, 0) == thursday
