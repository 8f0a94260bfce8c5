"""The scheduled lifecycle job on moto, with a fixed clock: through the handler EventBridge
invokes, the gsi6 Queries, the ticket's transactions, the e-mails that follow.

Wednesday 11 November 2026 is a public holiday: a ticket waiting for alice since
Thursday 5th 10:00 (Paris) is reminded on Friday 13th 10:00 and closed on Friday
27th 10:00; one resolved on Monday 9th 16:00 is closed on Monday 16th 16:00.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from chalicelib.livechat.availability import forget_calendars
from tests.conftest import AwsCalls
from tests.functional.tickets_support import SUPPORT_BODY, RoutingPump, post, submit

Auth = Callable[[str], dict[str, str]]
Freeze = Callable[[str], datetime]


@pytest.fixture(autouse=True)
def _fresh_calendar() -> None:
    forget_calendars()


def run_job(client: Any) -> dict[str, Any]:
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    payload: dict[str, Any] = client.lambda_.invoke("ticket_lifecycle", event).payload
    return payload


def answered(client: Any, auth: Auth, freeze: Freeze, status: str, day: int, hour: int) -> str:
    freeze(f"2026-11-{day:02d}T{hour - 1:02d}:00:00+01:00")
    response = submit(client, auth("alice"), base=SUPPORT_BODY)
    assert response.status_code == 201, response.body
    ticket_id: str = json.loads(response.body)["ticket_id"]
    post(client, f"/desk/tickets/{ticket_id}/assign", auth("sophie"))
    freeze(f"2026-11-{day:02d}T{hour:02d}:00:00+01:00")
    reply = post(
        client,
        f"/desk/tickets/{ticket_id}/reply",
        auth("sophie"),
        {"text": "Votre SIRET ?", "status": status},
    )
    assert reply.status_code == 200, reply.body
    return ticket_id


def history(client: Any, auth: Auth, ticket_id: str) -> list[tuple[str, str, str]]:
    ticket = json.loads(client.http.get(f"/tickets/{ticket_id}", headers=auth("alice")).body)
    return [
        (entry["event"], entry["by"]["role"], entry["at"])
        for entry in ticket["history"]
        if entry["by"]["role"] == "system" and entry["event"] != "delivered"
    ]


def test_reminder_then_closing_across_a_weekend_and_armistice_day(
    client: Any,
    auth: Auth,
    frozen_clock: Freeze,
    routing: RoutingPump,
    sent_mail: Callable[[], list[Any]],
    aws_calls: AwsCalls,
) -> None:
    waiting = answered(client, auth, frozen_clock, "waiting_for_user", 5, 10)
    resolved = answered(client, auth, frozen_clock, "resolved", 9, 16)
    routing.run()
    before = len(sent_mail())

    frozen_clock("2026-11-13T09:59:00+01:00")
    aws_calls.reset()
    early = run_job(client)
    idle = dict(aws_calls.calls)
    frozen_clock("2026-11-13T10:00:00+01:00")
    reminded = run_job(client)
    again = run_job(client)
    frozen_clock("2026-11-16T16:00:00+01:00")
    closed_resolved = run_job(client)
    frozen_clock("2026-11-27T10:00:00+01:00")
    closed_waiting = run_job(client)
    later = run_job(client)

    assert [r["reminded"] for r in (early, reminded, again)] == [0, 1, 0]
    assert closed_resolved["closed_resolved"] == 1
    assert (closed_waiting["closed_unanswered"], later["closed_unanswered"]) == (1, 0)
    assert aws_calls.count("Scan") == 0
    # Nothing due: one Query per stage (gsi4) and the LiveChat's closures (read once).
    assert idle == {"dynamodb.Query": 3, "dynamodb.GetItem": 1}
    assert history(client, auth, waiting) == [
        ("reminded", "system", "2026-11-13T10:00:00+01:00"),
        ("closed", "system", "2026-11-27T10:00:00+01:00"),
    ]
    assert history(client, auth, resolved) == [("closed", "system", "2026-11-16T16:00:00+01:00")]
    routing.run()
    subjects = [m.subject.split("] ", 1)[1] for m in sent_mail()[before:]]
    assert subjects == [
        "Rappel : des informations vous sont toujours demandées",
        "Votre demande est clôturée",
        "Votre demande est clôturée",
    ]


def test_the_job_is_declared_on_a_schedule() -> None:
    from chalice import Rate
    from chalice.app import ScheduledEventConfig

    from app import app

    [source] = [s for s in app.event_sources if s.name == "ticket_lifecycle"]

    assert isinstance(source, ScheduledEventConfig)
    expression = source.schedule_expression
    assert isinstance(expression, Rate)
    assert (expression.value, expression.unit) == (15, Rate.MINUTES)
