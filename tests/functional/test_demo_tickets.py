"""The demo tickets of the local stack: visible to alice, and on marc's and sophie's desks."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalicelib.endpoints import wiring

Auth = Callable[[str], dict[str, str]]


def test_demo_tickets_show_on_both_sides(client: Any, auth: Auth) -> None:

    from infra.demo_tickets import seed_tickets

    references = seed_tickets(wiring.ticket_store(), datetime(2026, 12, 4, 9, 0, tzinfo=UTC))

    mine = json.loads(client.http.get("/tickets", headers=auth("alice")).body)["items"]
    marc = json.loads(client.http.get("/desk/tickets", headers=auth("marc")).body)["items"]
    sophie = json.loads(client.http.get("/desk/tickets", headers=auth("sophie")).body)["items"]

    assert sorted(t["reference"] for t in mine) == sorted(references)
    assert [(t["reference"], t["status"]) for t in marc] == [(references[0], "waiting_for_user")]
    assert [(t["reference"], t["status"]) for t in sophie] == [(references[1], "resolved")]
    detail = json.loads(
        client.http.get(f"/tickets/{mine[-1]['ticket_id']}", headers=auth("alice")).body
    )
    assert [h["event"] for h in detail["history"]] == ["submitted", "assigned", "replied"]
