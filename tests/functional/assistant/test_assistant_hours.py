"""The assistant offers the LiveChat by the LiveChat's own calendar (closures included)."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.endpoints.wiring import livechat_hours
from chalicelib.livechat.availability import forget_calendars
from chalicelib.shared import clock
from chalicelib.shared.config import get_settings


@pytest.fixture(autouse=True)
def _fresh_calendar(aws_env: dict[str, str]) -> None:
    """moto with the livechat table, and no calendar cached by another test."""
    forget_calendars()


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        ("2026-12-04T08:29:59+01:00", False),  # Friday, before opening
        ("2026-12-04T08:30:00+01:00", True),
        ("2026-12-04T18:29:00+01:00", True),
        ("2026-12-04T18:30:00+01:00", False),  # closing time is closed
        ("2026-12-05T10:00:00+01:00", False),  # Saturday
        ("2026-12-25T10:00:00+01:00", False),  # Christmas, a Friday
        ("2026-07-14T10:00:00+02:00", False),  # Bastille Day, a Tuesday
        ("2026-12-04T09:00:00+00:00", True),  # 10:00 in Paris
    ],
)
def test_the_livechat_is_open_on_working_days_from_0830_to_1830_paris_time(
    frozen_clock: object, instant: str, is_open: bool
) -> None:
    frozen_clock(instant)  # type: ignore[operator]

    assert livechat_hours().is_open_at(clock.now()) is is_open


@pytest.mark.parametrize(
    ("instant", "next_opening"),
    [
        ("2026-12-04T22:00:00+01:00", "2026-12-07T08:30:00+01:00"),  # Friday night -> Monday
        ("2026-12-07T07:00:00+01:00", "2026-12-07T08:30:00+01:00"),  # Monday morning
        ("2026-12-07T10:00:00+01:00", "2026-12-08T08:30:00+01:00"),  # open: the next one
        ("2026-12-24T19:00:00+01:00", "2026-12-28T08:30:00+01:00"),  # over Christmas
        ("2026-04-03T19:00:00+02:00", "2026-04-07T08:30:00+02:00"),  # over Easter Monday
        ("2026-03-27T19:00:00+01:00", "2026-03-30T08:30:00+02:00"),  # across the DST change
    ],
)
def test_the_next_opening_skips_week_ends_and_holidays(
    frozen_clock: object, instant: str, next_opening: str
) -> None:
    frozen_clock(instant)  # type: ignore[operator]

    found = livechat_hours().next_opening(clock.now())

    assert found == datetime.fromisoformat(next_opening)
    assert (
        found is not None and found.utcoffset() == datetime.fromisoformat(next_opening).utcoffset()
    )


def test_hours_and_holiday_subdivision_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIVECHAT_OPENS", "09:00")
    monkeypatch.setenv("LIVECHAT_CLOSES", "17:00")
    # Moselle: Good Friday is a holiday there.
    monkeypatch.setenv("LIVECHAT_HOLIDAY_SUBDIVISION", "57")
    get_settings.cache_clear()
    hours = livechat_hours()

    assert not hours.is_open_at(datetime.fromisoformat("2026-12-04T08:45:00+01:00"))
    assert not hours.is_open_at(datetime.fromisoformat("2026-12-04T17:00:00+01:00"))
    assert not hours.is_open_at(datetime.fromisoformat("2026-04-03T10:00:00+02:00"))
    assert hours.next_opening(datetime.fromisoformat("2026-04-02T18:00:00+02:00")) == (
        datetime.fromisoformat("2026-04-07T09:00:00+02:00")
    )
