"""The working-day calendar's rules hold for any instant of 2026-2035 (hypothesis).

is-open agrees with closes-at and next-opening; the next opening is an opening
instant after `t`, with nothing open in between; openings are 08:30 Paris wall
clock on both sides of a DST change; advisors' closures and special hours win.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.livechat.calendar import DayRule, OpeningRules, WorkingCalendar

PARIS = ZoneInfo("Europe/Paris")
RULES = OpeningRules()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MICROSECOND = timedelta(microseconds=1)

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2035, 12, 31, 23, 59), timezones=st.just(UTC)
)
# Instants within two hours of a DST change (last Sundays of March and October, 01:00 UTC).
dst_changes = [
    datetime(year, month, 31, 1, 0, tzinfo=UTC)
    - timedelta(days=(datetime(year, month, 31).weekday() + 1) % 7)
    for year in range(2026, 2036)
    for month in (3, 10)
]
around_dst = st.builds(
    lambda change, minutes: change + timedelta(minutes=minutes),
    st.sampled_from(dst_changes),
    st.integers(min_value=-2 * 24 * 60, max_value=3 * 24 * 60),
)
wall_times = st.times(min_value=time(0, 0), max_value=time(23, 0)).map(
    lambda t: t.replace(second=0, microsecond=0)
)


@st.composite
def day_rules_near(draw: st.DrawFn, instant: datetime) -> list[DayRule]:
    """A few closures or special hours within a week of `instant`."""
    start = instant.astimezone(PARIS).date()
    rules: dict[date, DayRule] = {}
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        day = start + timedelta(days=draw(st.integers(min_value=-1, max_value=7)))
        if draw(st.booleans()):
            rules[day] = DayRule(date=day, reason="Fermeture")
        else:
            opens = draw(wall_times)
            length = draw(st.integers(min_value=1, max_value=23 * 60 - 1))
            closes_at = datetime.combine(day, opens) + timedelta(minutes=length)
            closes = closes_at.time() if closes_at.date() == day else time(23, 59)
            if closes <= opens:
                continue
            rules[day] = DayRule(date=day, closed=False, opens=opens, closes=closes)
    return list(rules.values())


def check_agreement(calendar: WorkingCalendar, t: datetime, between: float) -> None:
    is_open = calendar.is_open_at(t)
    closes_at = calendar.closes_at(t)
    opening = calendar.next_opening(t)

    assert (closes_at is not None) is is_open
    if closes_at is not None:
        assert closes_at > t
        assert calendar.is_open_at(closes_at - MICROSECOND)
        assert not calendar.is_open_at(closes_at)
        assert calendar.local(closes_at).date() == calendar.local(t).date()
    assert opening is not None  # always one within SEARCH_DAYS in these calendars
    assert opening > t
    assert calendar.is_open_at(opening)
    assert not calendar.is_open_at(opening - MICROSECOND)
    if not is_open:
        # Nothing opens between t and the next opening.
        probe = t + (opening - t) * between
        assert probe >= opening or not calendar.is_open_at(probe)


@FAST
@given(t=instants, between=st.floats(min_value=0, max_value=1))
def test_is_open_agrees_with_closes_at_and_next_opening_on_the_ordinary_week(
    t: datetime, between: float
) -> None:
    calendar = WorkingCalendar(RULES)

    check_agreement(calendar, t, between)
    opening = calendar.next_opening(t)
    assert opening is not None
    local = calendar.local(opening)
    assert (local.hour, local.minute, local.weekday() < 5) == (8, 30, True)
    closes_at = calendar.closes_at(t)
    if closes_at is not None:
        assert (calendar.local(closes_at).hour, calendar.local(closes_at).minute) == (18, 30)


@FAST
@given(t=around_dst, between=st.floats(min_value=0, max_value=1))
def test_around_dst_changes_openings_stay_at_0830_paris_wall_clock(
    t: datetime, between: float
) -> None:
    calendar = WorkingCalendar(RULES)

    check_agreement(calendar, t, between)
    opening = calendar.next_opening(t)
    assert opening is not None
    local = opening.astimezone(PARIS)
    assert (local.hour, local.minute) == (8, 30)
    assert opening.utcoffset() == local.utcoffset()
    # 08:30 in Paris is 07:30 UTC in winter, 06:30 UTC in summer.
    assert opening.astimezone(UTC).hour in (6, 7)


@FAST
@given(data=st.data(), t=instants, between=st.floats(min_value=0, max_value=1))
def test_closures_and_special_hours_keep_the_calendar_consistent_and_win(
    data: st.DataObject, t: datetime, between: float
) -> None:
    rules = data.draw(day_rules_near(t))
    calendar = WorkingCalendar(RULES, rules)

    check_agreement(calendar, t, between)
    by_date = {rule.date: rule for rule in rules}
    rule = by_date.get(calendar.local(t).date())
    if rule is not None and rule.closed:
        assert not calendar.is_open_at(t)
    if rule is not None and not rule.closed and rule.opens and rule.closes:
        wall = calendar.local(t).time().replace(tzinfo=None)
        assert calendar.is_open_at(t) is (rule.opens <= wall < rule.closes)


@FAST
@given(t=instants)
def test_the_last_transition_is_at_or_before_t_and_says_what_t_is(t: datetime) -> None:
    calendar = WorkingCalendar(RULES)

    last = calendar.last_transition(t)

    assert last is not None
    kind, at = last
    assert at <= t
    assert (kind == "opened") is calendar.is_open_at(t)


@pytest.mark.parametrize("year", range(2026, 2036))
def test_by_default_good_friday_and_26_december_are_working_days(year: int) -> None:
    calendar = WorkingCalendar(RULES)
    good_friday = {
        2026: date(2026, 4, 3), 2027: date(2027, 3, 26), 2028: date(2028, 4, 14),
        2029: date(2029, 3, 30), 2030: date(2030, 4, 19), 2031: date(2031, 4, 11),
        2032: date(2032, 3, 26), 2033: date(2033, 4, 15), 2034: date(2034, 4, 7),
        2035: date(2035, 3, 23),
    }[year]  # fmt: skip
    boxing_day = date(year, 12, 26)

    assert calendar.period_on(good_friday) is not None
    if boxing_day.weekday() < 5:
        assert calendar.period_on(boxing_day) is not None
    moselle = WorkingCalendar(OpeningRules(subdivision="57"))
    assert moselle.period_on(good_friday) is None
    assert moselle.period_on(boxing_day) is None
