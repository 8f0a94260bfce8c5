"""A ticket's whole life over HTTP on the local stack, with the real routing path.

alice submits an M20 ticket about one of her invoices; the stream dispatcher
and the business queue's consumer (run by the local stack's pump) deliver it;
marc finds it on his desk, takes it, asks for information; alice answers; marc
resolves it; alice closes it. `local_stack` (the lead's fixture) yields an
object with `.url` and `.token(user_id)`.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

DELIVERY_TIMEOUT_SECONDS = 10.0


class Http:
    """A tiny JSON client for one user of the local stack."""

    def __init__(self, stack: Any, user_id: str) -> None:
        self.base = str(stack.url).rstrip("/")
        self.token = stack.token(user_id)

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


def _wait_for_delivery(alice: Http, ticket_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while True:
        status, ticket = alice.call("GET", f"/tickets/{ticket_id}")
        assert status == 200
        if any(entry["event"] == "delivered" for entry in ticket["history"]):
            return dict(ticket)
        assert time.monotonic() < deadline, f"not delivered: {ticket['history']}"
        time.sleep(0.25)


def test_ticket_flow_from_submission_to_closure(local_stack: Any) -> None:
    alice, marc = Http(local_stack, "alice"), Http(local_stack, "marc")
    title = f"Facture FA-2026-0003 suspendue ({uuid.uuid4().hex[:6]})"

    # alice submits an M20 ticket about her suspended invoice.
    status, submitted = alice.call(
        "POST",
        "/tickets",
        {
            "organisation_id": "org-boulangerie-martin",
            "category": "FACTURE",
            "subcategory": "M20",
            "object_number": "FA-2026-0003",
            "title": title,
            "description": "Ma facture est suspendue depuis un mois : que manque-t-il ?",
        },
        headers={"Idempotency-Key": f"e2e-{uuid.uuid4().hex}"},
    )
    assert status == 201, submitted
    ticket_id = submitted["ticket_id"]
    assert submitted["recipient"]["designation"] == "Mairie de Valbourg"

    # The stream dispatcher and the business consumer deliver it.
    delivered = _wait_for_delivery(alice, ticket_id)
    assert delivered["history"][0]["event"] == "submitted"

    # marc sees it on his desk and takes it.
    status, desk = marc.call("GET", "/desk/tickets?status=submitted&limit=100")
    assert status == 200
    assert ticket_id in [t["ticket_id"] for t in desk["items"]]
    status, assigned = marc.call("POST", f"/desk/tickets/{ticket_id}/assign")
    assert (status, assigned["status"]) == (200, "in_progress")

    # marc asks for information; alice sees the question and answers.
    status, asked = marc.call(
        "POST",
        f"/desk/tickets/{ticket_id}/reply",
        {"text": "Merci de joindre le bon de livraison signé.", "status": "waiting_for_user"},
    )
    assert (status, asked["status"]) == (200, "waiting_for_user")
    status, waiting = alice.call("GET", f"/tickets/{ticket_id}")
    assert waiting["status"] == "waiting_for_user"
    assert waiting["comments"][-1]["text"] == "Merci de joindre le bon de livraison signé."
    status, answered = alice.call(
        "POST", f"/tickets/{ticket_id}/comments", {"text": "Le bon signé est déposé."}
    )
    assert (status, answered["status"]) == (201, "in_progress")

    # marc resolves it; alice closes it.
    status, resolved = marc.call(
        "POST",
        f"/desk/tickets/{ticket_id}/reply",
        {"text": "Facture remise en traitement.", "status": "resolved"},
    )
    assert (status, resolved["status"]) == (200, "resolved")
    status, closed = alice.call("POST", f"/tickets/{ticket_id}/close")
    assert (status, closed["status"]) == (200, "closed")

    status, final = alice.call("GET", f"/tickets/{ticket_id}")
    events = [entry["event"] for entry in final["history"]]
    assert final["status"] == "closed"
    assert events[0] == "submitted"
    assert [e for e in events if e != "delivered"] == [
        "submitted",
        "assigned",
        "replied",
        "commented",
        "replied",
        "closed",
    ]
    assert events.count("delivered") == 1
    assert [entry["status"] for entry in final["history"] if entry["event"] == "replied"] == [
        "waiting_for_user",
        "resolved",
    ]
    status, _ = Http(local_stack, "claire").call("GET", f"/tickets/{ticket_id}")
    assert status == 404
