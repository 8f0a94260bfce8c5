"""The lifecycle job on fakes, with a fixed clock across a weekend and a public holiday.

November 2026 in Paris: Wednesday the 11th is Armistice Day. A ticket waiting for
its emitter since Thursday 5th 10:00 is reminded on Friday 13th 10:00 (5 working
days: 6, 9, 10, 12, 13) and closed on Friday 27th 10:00 (10 more); a ticket
resolved on Monday 9th is closed 7 days later. Each change is a history event by
`system`, and becomes an e-mail to the emitter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.livechat.calendar import DayRule, OpeningRules, WorkingCalendar
from chalicelib.routing.dispatch import TicketNotice
from chalicelib.routing.notify import send_notices
from chalicelib.tickets import desk, followup
from chalicelib.tickets.lifecycle import LifecycleRun, run_lifecycle
from chalicelib.tickets.records import TicketRecord
from tests.fakes.context import Fakes
from tests.unit.given import ALICE, SOPHIE, submitted

PARIS = ZoneInfo("Europe/Paris")
CALENDAR = WorkingCalendar(OpeningRules())
ALICE_EMAIL = "alice.martin@boulangerie-martin.example.fr"


def paris(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


def replied(fakes: Fakes, status: str, at: datetime) -> str:
    """alice's support ticket, taken and answered by sophie at `at`."""
    ctx = fakes.ticket_context()
    ticket_id = submitted(ctx, now=at - timedelta(hours=1)).ticket_id
    desk.assign_ticket(ctx, SOPHIE, ticket_id, at - timedelta(minutes=30))
    desk.reply_ticket(ctx, SOPHIE, ticket_id, "Votre SIRET ?", status, at)  # type: ignore[arg-type]
    return ticket_id


def run(fakes: Fakes, now: datetime, calendar: WorkingCalendar = CALENDAR) -> LifecycleRun:
    return run_lifecycle(fakes.ticket_context(), calendar, now)


def stored(fakes: Fakes, ticket_id: str) -> TicketRecord:
    found = fakes.store.get(ticket_id)
    assert found is not None
    return found


def system_events(fakes: Fakes, ticket_id: str) -> list[tuple[str, str, datetime]]:
    found = fakes.store.get_with_history(ticket_id)
    assert found is not None
    return [(e.kind, e.status, e.at) for e in found[1] if e.by.role == "system"]


def mail_subjects(fakes: Fakes, ticket_id: str) -> list[str]:
    """The e-mails the job's events call for, as the notifications consumer sends them."""
    found = fakes.store.get_with_history(ticket_id)
    assert found is not None
    for event in found[1]:
        if event.by.role == "system":
            notice = TicketNotice(ticket_id=ticket_id, event_id=event.event_id, kind=event.kind)
            send_notices(notice.model_dump_json(), fakes.notifying(), event.at)
    return [mail.subject for mail in fakes.mailer.to(ALICE_EMAIL)]


def test_working_days_skip_the_weekend_and_armistice_day() -> None:
    assert CALENDAR.add_working_days(paris(5, 10), 5) == paris(13, 10)
    assert CALENDAR.add_working_days(paris(13, 10), 10) == paris(27, 10)
    # From a Saturday: Monday is the first working day after it.
    assert CALENDAR.add_working_days(paris(7, 10), 1) == paris(9, 10)


def test_a_ticket_waiting_for_its_emitter_is_reminded_after_5_working_days(
    fakes: Fakes,
) -> None:
    ticket_id = replied(fakes, "waiting_for_user", paris(5, 10))

    before = run(fakes, paris(13, 9, 59))
    due = run(fakes, paris(13, 10))
    again = run(fakes, paris(13, 10, 15))

    assert (before.reminded, due.reminded, again.reminded) == (0, 1, 0)
    assert system_events(fakes, ticket_id) == [("reminded", "waiting_for_user", paris(13, 10))]
    assert stored(fakes, ticket_id).reminded_at == paris(13, 10)
    assert mail_subjects(fakes, ticket_id) == [
        "[T-2026-000001] Rappel : des informations vous sont toujours demandées"
    ]


def test_an_unanswered_ticket_is_closed_10_working_days_after_its_reminder(
    fakes: Fakes,
) -> None:
    ticket_id = replied(fakes, "waiting_for_user", paris(5, 10))
    run(fakes, paris(13, 10))

    before = run(fakes, paris(27, 9, 59))
    due = run(fakes, paris(27, 10))
    again = run(fakes, paris(30, 12))

    assert (before.closed_unanswered, due.closed_unanswered) == (0, 1)
    assert again == LifecycleRun(ran_at=paris(30, 12))
    assert stored(fakes, ticket_id).status == "closed"
    assert system_events(fakes, ticket_id) == [
        ("reminded", "waiting_for_user", paris(13, 10)),
        ("closed", "closed", paris(27, 10)),
    ]
    assert mail_subjects(fakes, ticket_id) == [
        "[T-2026-000001] Rappel : des informations vous sont toujours demandées",
        "[T-2026-000001] Votre demande est clôturée",
    ]


def test_a_resolved_ticket_is_closed_7_days_after_its_resolution(fakes: Fakes) -> None:
    ticket_id = replied(fakes, "resolved", paris(9, 16))

    before = run(fakes, paris(16, 15, 59))
    due = run(fakes, paris(16, 16))
    again = run(fakes, paris(16, 16, 15))

    assert (before.closed_resolved, due.closed_resolved, again.closed_resolved) == (0, 1, 0)
    assert system_events(fakes, ticket_id) == [("closed", "closed", paris(16, 16))]
    found = fakes.store.get_with_history(ticket_id)
    assert found is not None
    assert "7 jours après sa résolution" in str(found[1][-1].text)


def test_a_missed_run_catches_up_and_still_leaves_the_emitter_their_10_days(
    fakes: Fakes,
) -> None:
    waiting = replied(fakes, "waiting_for_user", paris(5, 10))
    resolved = replied(fakes, "resolved", paris(5, 11))

    late = run(fakes, paris(1, 9, month=12))

    assert (late.reminded, late.closed_resolved, late.closed_unanswered) == (1, 1, 0)
    assert stored(fakes, waiting).reminded_at == paris(1, 9, month=12)
    assert stored(fakes, resolved).status == "closed"
    assert run(fakes, paris(1, 9, 30, month=12)).reminded == 0


def test_an_answer_after_the_reminder_stops_the_closing(fakes: Fakes) -> None:
    ticket_id = replied(fakes, "waiting_for_user", paris(5, 10))
    run(fakes, paris(13, 10))
    followup.comment_ticket(
        fakes.ticket_context(), ALICE, ticket_id, "Voici le SIRET.", [], paris(16, 9)
    )

    closing = run(fakes, paris(27, 10))

    assert closing.closed_unanswered == 0
    assert stored(fakes, ticket_id).status == "in_progress"
    assert stored(fakes, ticket_id).reminded_at is None


def test_asked_again_after_an_answer_the_emitter_gets_5_new_working_days(fakes: Fakes) -> None:
    ticket_id = replied(fakes, "waiting_for_user", paris(5, 10))
    run(fakes, paris(13, 10))
    ctx = fakes.ticket_context()
    followup.comment_ticket(ctx, ALICE, ticket_id, "Voici.", [], paris(16, 9))
    desk.reply_ticket(ctx, SOPHIE, ticket_id, "Et le bon ?", "waiting_for_user", paris(16, 10))

    assert run(fakes, paris(20, 10)).reminded == 0
    assert run(fakes, paris(23, 10)).reminded == 1


def test_the_supports_closures_are_not_working_days() -> None:
    closed_friday = DayRule(date=paris(13, 0).date(), reason="Séminaire")
    calendar = WorkingCalendar(OpeningRules(), [closed_friday])

    assert calendar.add_working_days(paris(5, 10), 5) == paris(16, 10)


@pytest.mark.parametrize("status", ["submitted", "in_progress", "closed"])
def test_tickets_in_other_states_are_left_alone(fakes: Fakes, status: str) -> None:
    ctx = fakes.ticket_context()
    ticket_id = submitted(ctx, now=paris(2, 10)).ticket_id
    if status != "submitted":
        desk.assign_ticket(ctx, SOPHIE, ticket_id, paris(2, 11))
    if status == "closed":
        followup.close_ticket(ctx, ALICE, ticket_id, paris(2, 12))

    assert run(fakes, paris(1, 10, month=12)) == LifecycleRun(ran_at=paris(1, 10, month=12))
    assert system_events(fakes, ticket_id) == []
