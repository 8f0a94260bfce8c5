"""Following tickets as their emitter: list, read, comment, reopen, close; 404 for others'."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.endpoints import wiring
from tests.functional.tickets_support import SUPPORT_BODY, errors_of, post, submit

Auth = Callable[[str], dict[str, str]]


def _submit(client: Any, auth: Auth, user: str = "alice", **overrides: Any) -> str:
    response = submit(client, auth(user), overrides)
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["ticket_id"])


def _to_status(client: Any, auth: Auth, ticket_id: str, status: str) -> None:
    """Walk a business ticket (marc's desk) to `status`."""
    assert post(client, f"/desk/tickets/{ticket_id}/assign", auth("marc")).status_code == 200
    if status != "in_progress":
        reply = {"text": "Voici notre réponse.", "status": status}
        response = post(client, f"/desk/tickets/{ticket_id}/reply", auth("marc"), reply)
        assert response.status_code == 200, response.body


def _get(client: Any, auth: Auth, ticket_id: str, user: str = "alice") -> Any:
    return client.http.get(f"/tickets/{ticket_id}", headers=auth(user))


def test_list_shows_own_tickets_newest_first(
    client: Any, auth: Auth, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock("2026-12-01T09:00:00+01:00")
    older = _submit(client, auth, title="Première question")
    frozen_clock("2026-12-02T09:00:00+01:00")
    newer = _submit(client, auth, title="Deuxième question")
    _submit(
        client,
        auth,
        "claire",
        organisation_id="org-atelier-dupont",
        object_number=None,
        subcategory="M23",
        recipient_organisation_id="org-mairie-valbourg",
    )

    body = json.loads(client.http.get("/tickets", headers=auth("alice")).body)

    assert [t["ticket_id"] for t in body["items"]] == [newer, older]
    assert body["next_cursor"] is None
    assert body["items"][0]["title"] == "Deuxième question"


def test_list_paginates_with_an_opaque_cursor(client: Any, auth: Auth) -> None:
    created = [_submit(client, auth, title=f"Question {n}") for n in range(3)]

    first = json.loads(client.http.get("/tickets?limit=2", headers=auth("alice")).body)
    rest = json.loads(
        client.http.get(
            f"/tickets?limit=2&cursor={first['next_cursor']}", headers=auth("alice")
        ).body
    )

    seen = [t["ticket_id"] for t in first["items"] + rest["items"]]
    assert sorted(seen) == sorted(created)
    assert len(first["items"]) == 2
    assert rest["next_cursor"] is None


def test_a_cursor_cannot_read_another_users_list(client: Any, auth: Auth) -> None:
    for n in range(2):
        _submit(client, auth, title=f"Question {n}")
    cursor = json.loads(client.http.get("/tickets?limit=1", headers=auth("alice")).body)[
        "next_cursor"
    ]

    response = client.http.get(f"/tickets?cursor={cursor}", headers=auth("claire"))

    assert response.status_code == 422
    assert errors_of(response) == ["cursor"]


def test_list_filters_by_status(client: Any, auth: Auth) -> None:
    waiting = _submit(client, auth, title="Attente")
    _submit(client, auth, title="Nouveau")
    _to_status(client, auth, waiting, "waiting_for_user")

    body = json.loads(
        client.http.get("/tickets?status=waiting_for_user", headers=auth("alice")).body
    )
    submitted = json.loads(client.http.get("/tickets?status=submitted", headers=auth("alice")).body)

    assert [t["ticket_id"] for t in body["items"]] == [waiting]
    assert waiting not in [t["ticket_id"] for t in submitted["items"]]
    assert len(submitted["items"]) == 1


def test_unknown_status_filter_is_422(client: Any, auth: Auth) -> None:
    response = client.http.get("/tickets?status=lost", headers=auth("alice"))

    assert response.status_code == 422
    assert errors_of(response) == ["status"]


def test_ticket_shows_history_with_who_and_when_and_recipient(
    client: Any, auth: Auth, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock("2026-12-04T18:29:00+01:00")
    ticket_id = _submit(client, auth)

    ticket = json.loads(_get(client, auth, ticket_id).body)

    assert ticket["status"] == "submitted"
    assert ticket["recipient"]["designation"] == "Mairie de Valbourg"
    assert ticket["object_number"] == "FA-2026-0003"
    assert ticket["subcategory_label"] == "Suivi du traitement d'une facture"
    assert ticket["history"] == [
        {
            "event": "submitted",
            "status": "submitted",
            "at": "2026-12-04T18:29:00+01:00",
            "by": {"user_id": "alice", "name": "Alice Martin", "role": "emitter"},
            "text": None,
            "recipient": None,
            "stars": None,
        }
    ]
    assert ticket["comments"] == []
    assert ticket["attachments"] == []
    assert (ticket["satisfaction"], ticket["rateable"]) == (None, False)


def test_list_and_get_stay_within_their_call_budget(
    client: Any, auth: Auth, aws_calls: Any
) -> None:
    ticket_id = _submit(client, auth)
    aws_calls.reset()
    client.http.get("/tickets?status=submitted", headers=auth("alice"))
    assert aws_calls.calls == {"dynamodb.Query": 1}

    aws_calls.reset()
    _get(client, auth, ticket_id)
    assert aws_calls.total <= 2
    assert aws_calls.count("Scan") == 0


@pytest.mark.parametrize("user", ["claire", "bruno", "sophie"])
def test_another_users_ticket_is_404_on_every_emitter_route(
    client: Any, auth: Auth, user: str
) -> None:
    ticket_id = _submit(client, auth)

    responses = [
        _get(client, auth, ticket_id, user),
        post(client, f"/tickets/{ticket_id}/comments", auth(user), {"text": "Bonjour"}),
        post(client, f"/tickets/{ticket_id}/reopen", auth(user), {"text": "Bonjour"}),
        post(client, f"/tickets/{ticket_id}/close", auth(user)),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert json.loads(_get(client, auth, ticket_id).body)["status"] == "submitted"


def test_unknown_ticket_is_404(client: Any, auth: Auth) -> None:
    assert _get(client, auth, "does-not-exist").status_code == 404


def test_comment_on_a_ticket_waiting_for_the_user_sends_it_back(client: Any, auth: Auth) -> None:
    ticket_id = _submit(client, auth)
    _to_status(client, auth, ticket_id, "waiting_for_user")

    response = post(
        client, f"/tickets/{ticket_id}/comments", auth("alice"), {"text": "Voici le bon signé."}
    )

    assert response.status_code == 201
    assert json.loads(response.body)["status"] == "in_progress"
    ticket = json.loads(_get(client, auth, ticket_id).body)
    assert ticket["status"] == "in_progress"
    assert [c["text"] for c in ticket["comments"]] == [
        "Voici notre réponse.",
        "Voici le bon signé.",
    ]
    assert [h["event"] for h in ticket["history"]] == [
        "submitted",
        "assigned",
        "replied",
        "commented",
    ]


def test_comment_on_a_submitted_ticket_keeps_its_status(client: Any, auth: Auth) -> None:
    ticket_id = _submit(client, auth)

    response = post(client, f"/tickets/{ticket_id}/comments", auth("alice"), {"text": "Précision"})

    assert response.status_code == 201
    assert json.loads(response.body)["status"] == "submitted"


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_comment_on_a_resolved_or_closed_ticket_is_409(
    client: Any, auth: Auth, status: str
) -> None:
    ticket_id = _submit(client, auth)
    _to_status(client, auth, ticket_id, "resolved")
    if status == "closed":
        post(client, f"/tickets/{ticket_id}/close", auth("alice"))

    response = post(client, f"/tickets/{ticket_id}/comments", auth("alice"), {"text": "Encore"})

    assert response.status_code == 409


def test_comment_with_an_unknown_attachment_is_422_naming_it(client: Any, auth: Auth) -> None:
    ticket_id = _submit(client, auth)

    response = post(
        client,
        f"/tickets/{ticket_id}/comments",
        auth("alice"),
        {"text": "Pièce jointe", "attachment_ids": ["att-1"]},
    )

    assert response.status_code == 422
    assert errors_of(response) == ["attachment_ids.0"]


def test_reopen_sends_a_resolved_ticket_back_to_its_recipient(client: Any, auth: Auth) -> None:
    ticket_id = _submit(client, auth)
    _to_status(client, auth, ticket_id, "resolved")

    response = post(
        client, f"/tickets/{ticket_id}/reopen", auth("alice"), {"text": "Toujours suspendue."}
    )

    assert response.status_code == 200
    ticket = json.loads(_get(client, auth, ticket_id).body)
    assert ticket["status"] == "in_progress"
    assert ticket["history"][-1]["event"] == "reopened"
    assert ticket["comments"][-1]["text"] == "Toujours suspendue."


@pytest.mark.parametrize("status", ["submitted", "in_progress", "waiting_for_user"])
def test_reopen_of_a_ticket_that_is_not_resolved_is_409(
    client: Any, auth: Auth, status: str
) -> None:
    ticket_id = _submit(client, auth)
    if status != "submitted":
        _to_status(client, auth, ticket_id, status)

    response = post(client, f"/tickets/{ticket_id}/reopen", auth("alice"), {"text": "Rouvrir"})

    assert response.status_code == 409


def test_close_then_close_again_is_409(client: Any, auth: Auth) -> None:
    ticket_id = _submit(client, auth)

    closed = post(client, f"/tickets/{ticket_id}/close", auth("alice"))
    again = post(client, f"/tickets/{ticket_id}/close", auth("alice"))

    assert closed.status_code == 200
    assert json.loads(closed.body)["status"] == "closed"
    assert again.status_code == 409
    assert again.headers["Content-Type"] == "application/problem+json"


def test_reopen_needs_a_text(client: Any, auth: Auth) -> None:
    ticket_id = _submit(client, auth)

    response = post(client, f"/tickets/{ticket_id}/reopen", auth("alice"), {})

    assert response.status_code == 422
    assert errors_of(response) == ["text"]


def _rate(
    client: Any, auth: Auth, ticket_id: str, body: dict[str, Any], user: str = "alice"
) -> Any:
    headers = {**auth(user), "Content-Type": "application/json"}
    return client.http.put(
        f"/tickets/{ticket_id}/satisfaction", headers=headers, body=json.dumps(body)
    )


def test_the_emitter_rates_the_answer_to_a_resolved_ticket_once(client: Any, auth: Auth) -> None:
    ticket_id = _submit(client, auth)
    too_early = _rate(client, auth, ticket_id, {"stars": 4})
    _to_status(client, auth, ticket_id, "resolved")

    out_of_range = _rate(client, auth, ticket_id, {"stars": 6})
    someone_else = _rate(client, auth, ticket_id, {"stars": 1}, user="claire")
    rated = _rate(client, auth, ticket_id, {"stars": 4, "comment": "Réponse claire."})
    again = _rate(client, auth, ticket_id, {"stars": 5})

    assert too_early.status_code == 409
    assert out_of_range.status_code == 422
    assert errors_of(out_of_range) == ["stars"]
    assert someone_else.status_code == 404
    assert rated.status_code == 200, rated.body
    assert json.loads(rated.body)["stars"] == 4
    assert again.status_code == 409
    ticket = json.loads(_get(client, auth, ticket_id).body)
    assert (ticket["satisfaction"]["stars"], ticket["satisfaction"]["comment"]) == (
        4,
        "Réponse claire.",
    )
    assert ticket["rateable"] is False
    assert [(h["event"], h["stars"]) for h in ticket["history"] if h["event"] == "rated"] == [
        ("rated", 4)
    ]
    report = json.loads(client.http.get("/desk/satisfaction", headers=auth("marc")).body)
    assert [(d["designation"], d["count"], d["average"]) for d in report["by_desk"]] == [
        ("Mairie de Valbourg", 1, 4.0)
    ]
    assert [(c["category"], c["average"]) for c in report["by_category"]] == [("FACTURE", 4.0)]


def test_latest_tickets_for_the_assistant_is_one_query(
    client: Any, auth: Auth, aws_calls: Any
) -> None:

    from chalicelib.tickets.followup import latest_tickets

    for n in range(4):
        submit(client, auth("alice"), {"title": f"Question {n}"}, base=SUPPORT_BODY)
    aws_calls.reset()

    digests = latest_tickets(wiring.ticket_store(), "alice", 3)

    assert aws_calls.calls == {"dynamodb.Query": 1}
    assert [d.title for d in digests] == ["Question 3", "Question 2", "Question 1"]
    assert {d.status for d in digests} == {"submitted"}
