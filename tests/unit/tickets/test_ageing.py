"""Ageing in working hours on the LiveChat's calendar: weekends, public holidays, closures."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from chalicelib.livechat.calendar import DayRule, OpeningRules, WorkingCalendar
from chalicelib.tickets.ageing import (
    Ageing,
    Targets,
    age_of,
    overdue_threshold,
    restart_wait,
    working_instant_after,
    working_time_between,
)
from chalicelib.tickets.records import Recipient
from tests.records import ticket

PARIS = WorkingCalendar(OpeningRules()).zone
CALENDAR = WorkingCalendar(OpeningRules())
AGEING = Ageing(CALENDAR, 10, Targets(default_working_days=2, categories={"CONNEXION": 1}))


def paris(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


def test_a_weekend_does_not_count() -> None:
    # Friday 4 December 17:30 -> Monday 7 December 09:30: 1 h on Friday, 1 h on Monday.
    elapsed = working_time_between(CALENDAR, paris(4, 17, 30), paris(7, 9, 30))

    assert elapsed == timedelta(hours=2)


def test_a_public_holiday_does_not_count() -> None:
    # Christmas is a Friday: Thursday 24 December 18:00 -> Monday 28 December 09:00.
    christmas = working_time_between(CALENDAR, paris(24, 18), paris(28, 9))
    # 11 November (a Wednesday): Tuesday 18:00 -> Thursday 09:30.
    armistice = working_time_between(CALENDAR, paris(10, 18, month=11), paris(12, 9, 30, month=11))

    assert christmas == timedelta(hours=1)
    assert armistice == timedelta(hours=1, minutes=30)


def test_the_supports_closures_do_not_count() -> None:
    closed = WorkingCalendar(OpeningRules(), [DayRule(date=date(2026, 12, 7), closed=True)])

    assert working_time_between(closed, paris(4, 17, 30), paris(8, 9, 30)) == timedelta(hours=2)


def test_nights_and_an_end_before_the_start_count_nothing() -> None:
    assert working_time_between(CALENDAR, paris(2, 19), paris(3, 8)) == timedelta()
    assert working_time_between(CALENDAR, paris(3, 10), paris(2, 10)) == timedelta()


def test_a_ticket_is_due_its_categorys_target_after_it_started_waiting() -> None:
    # CONNEXION: 1 working day (10 h). Friday 10:00 -> due Monday 10:00.
    submitted = ticket("t1", category="CONNEXION", created_at=paris(4, 10))

    before = age_of(AGEING, submitted, paris(7, 9, 59))
    after = age_of(AGEING, submitted, paris(7, 10, 1))

    assert before.due_at == after.due_at == paris(7, 10)
    assert (before.overdue, after.overdue) == (False, True)
    assert after.target_working_hours == 10
    assert after.working_hours == 10.0


def test_the_due_date_skips_a_holiday() -> None:
    # FACTURE (default, 2 days = 20 h) submitted Thursday 24 December 09:30:
    # 9 h that day, nothing on the 25th nor the weekend, 10 h Monday, 1 h Tuesday.
    submitted = ticket("t1", category="FACTURE", created_at=paris(24, 9, 30))

    assert age_of(AGEING, submitted, paris(28, 12)).due_at == paris(29, 9, 30)
    assert working_instant_after(CALENDAR, paris(24, 9, 30), timedelta(hours=20)) == paris(
        29, 9, 30
    )


def test_overdue_threshold_is_the_target_counted_back_from_now() -> None:
    threshold = overdue_threshold(AGEING, "CONNEXION", paris(7, 10))

    assert threshold == paris(4, 10)


def test_a_ticket_waiting_for_its_emitter_does_not_age() -> None:
    waiting = ticket("t1", status="waiting_for_user", created_at=paris(1, 9))

    age = age_of(AGEING, waiting, paris(4, 18))

    assert (age.waiting, age.working_hours, age.overdue, age.due_at) == (False, 0, False, None)


def test_the_wait_starts_again_when_the_ticket_comes_back_to_its_recipient() -> None:
    asked = ticket("t1", status="waiting_for_user", created_at=paris(1, 9))
    taken = ticket("t1", status="in_progress", created_at=paris(1, 9))
    business = Recipient(type="business", organisation_id="o", designation="Mairie")

    answered = restart_wait(asked, asked.model_copy(update={"status": "in_progress"}), paris(3, 9))
    still = restart_wait(taken, taken.model_copy(update={"status": "in_progress"}), paris(3, 9))
    moved = restart_wait(
        taken, taken.model_copy(update={"status": "submitted", "recipient": business}), paris(3, 9)
    )

    assert answered.awaiting_since == paris(3, 9)
    assert still.awaiting_since is None
    assert moved.awaiting_since == paris(3, 9)
    assert time(8, 30) == CALENDAR.rules.opens
