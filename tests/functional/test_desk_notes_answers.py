"""The desk over HTTP: internal notes (never the emitter's, never in e-mails), canned answers
(a desk's own), ClaudIA's transcript on a ticket, a ticket made from a chat, the reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from chalicelib.livechat.availability import forget_calendars
from tests.functional.tickets_support import SUPPORT_BODY, RoutingPump, post, submit

Auth = Callable[[str], dict[str, str]]
OPEN_FRIDAY = "2026-12-04T10:00:00+01:00"
NOTE = "Note interne : rappeler le service comptable avant de répondre."


@pytest.fixture(autouse=True)
def _fresh_calendar() -> None:
    forget_calendars()


def _body(response: Any) -> Any:
    return json.loads(response.body)


def _ticket(client: Any, auth: Auth, base: Any = None, **overrides: Any) -> str:
    response = submit(client, auth("alice"), overrides, base)
    assert response.status_code == 201, response.body
    return str(_body(response)["ticket_id"])


# Internal notes


def test_a_note_is_seen_by_the_desk_only_never_by_the_emitter_nor_in_e_mails(
    client: Any, auth: Auth, routing: RoutingPump, sent_mail: Callable[[], list[Any]]
) -> None:
    ticket_id = _ticket(client, auth)
    post(client, f"/desk/tickets/{ticket_id}/assign", auth("marc"))

    written = post(client, f"/desk/tickets/{ticket_id}/notes", auth("marc"), {"text": NOTE})
    post(
        client,
        f"/desk/tickets/{ticket_id}/reply",
        auth("marc"),
        {"text": "Pouvez-vous joindre le bon de commande ?", "status": "waiting_for_user"},
    )
    routing.run()

    desk_view = _body(client.http.get(f"/desk/tickets/{ticket_id}", headers=auth("marc")))
    emitter_view = client.http.get(f"/tickets/{ticket_id}", headers=auth("alice"))
    emitter_list = client.http.get("/tickets", headers=auth("alice"))
    mails = sent_mail()

    assert written.status_code == 201
    assert _body(written)["by"]["user_id"] == "marc"
    assert [note["text"] for note in desk_view["notes"]] == [NOTE]
    assert emitter_view.status_code == 200
    assert "rappeler le service comptable" not in emitter_view.body.decode()
    assert "rappeler le service comptable" not in emitter_list.body.decode()
    assert len(mails) >= 2  # the team's new-ticket e-mail, alice's reply e-mail
    assert all("rappeler le service comptable" not in str(mail.body) for mail in mails)


def test_only_the_tickets_desk_writes_and_reads_its_notes(client: Any, auth: Auth) -> None:
    business = _ticket(client, auth)
    support = _ticket(client, auth, base=SUPPORT_BODY)
    post(client, f"/desk/tickets/{business}/notes", auth("marc"), {"text": NOTE})

    refused = {
        "alice": post(client, f"/desk/tickets/{business}/notes", auth("alice"), {"text": "x"}),
        "sophie": post(client, f"/desk/tickets/{business}/notes", auth("sophie"), {"text": "x"}),
        "marc": post(client, f"/desk/tickets/{support}/notes", auth("marc"), {"text": "x"}),
    }
    # After a transfer, the support does not read the business service's notes.
    post(client, f"/desk/tickets/{business}/transfer", auth("marc"), {"text": "Pour le support"})
    at_support = _body(client.http.get(f"/desk/tickets/{business}", headers=auth("sophie")))

    assert {who: r.status_code for who, r in refused.items()} == {
        "alice": 403,
        "sophie": 404,
        "marc": 404,
    }
    assert at_support["notes"] == []


# Canned answers


def test_canned_answers_belong_to_their_desk(client: Any, auth: Auth) -> None:
    created = post(
        client,
        "/desk/answers",
        auth("marc"),
        {"title": "Bon de commande", "text": "Merci de joindre le bon de commande signé."},
    )
    answer_id = _body(created)["answer_id"]
    changed = client.http.put(
        f"/desk/answers/{answer_id}",
        headers=auth("marc"),
        body=json.dumps({"title": "Bon de commande", "text": "Joignez le bon de commande."}),
    )

    marc_list = _body(client.http.get("/desk/answers", headers=auth("marc")))
    sophie_list = _body(client.http.get("/desk/answers", headers=auth("sophie")))
    sophie_put = client.http.put(
        f"/desk/answers/{answer_id}",
        headers=auth("sophie"),
        body=json.dumps({"title": "Volé", "text": "Réponse du support"}),
    )
    sophie_delete = client.http.delete(f"/desk/answers/{answer_id}", headers=auth("sophie"))
    alice_list = client.http.get("/desk/answers", headers=auth("alice"))
    marc_delete = client.http.delete(f"/desk/answers/{answer_id}", headers=auth("marc"))
    after = _body(client.http.get("/desk/answers", headers=auth("marc")))

    assert created.status_code == 201
    assert changed.status_code == 200
    assert [(a["title"], a["text"]) for a in marc_list["items"]] == [
        ("Bon de commande", "Joignez le bon de commande.")
    ]
    assert sophie_list["items"] == []
    assert (sophie_put.status_code, sophie_delete.status_code) == (404, 404)
    assert alice_list.status_code == 403
    assert marc_delete.status_code == 200
    assert after["items"] == []


def test_a_canned_answer_needs_a_title_and_a_text(client: Any, auth: Auth) -> None:
    response = post(client, "/desk/answers", auth("sophie"), {"title": "", "text": ""})

    assert response.status_code == 422
    assert sorted(e["field"] for e in _body(response)["errors"]) == ["text", "title"]


# ClaudIA's transcript on a ticket that came from her


def _conversation(client: Any, auth: Auth, user: str) -> str:
    started = _body(post(client, "/assistant/conversations", auth(user), {}))
    conversation_id = str(started["conversation_id"])
    post(
        client,
        f"/assistant/conversations/{conversation_id}/messages",
        auth(user),
        {"text": "Ma facture FA-2026-0002 est rejetée"},
    )
    return conversation_id


def test_the_desk_reads_claudias_transcript_of_the_emitters_conversation(
    client: Any, auth: Auth
) -> None:
    own = _ticket(client, auth, conversation_id=_conversation(client, auth, "alice"))
    someone_elses = _ticket(client, auth, conversation_id=_conversation(client, auth, "claire"))

    view = _body(client.http.get(f"/desk/tickets/{own}", headers=auth("marc")))
    other = _body(client.http.get(f"/desk/tickets/{someone_elses}", headers=auth("marc")))

    assert [turn["author"] for turn in view["transcript"]][:2] == ["assistant", "user"]
    assert "Ma facture FA-2026-0002 est rejetée" in [t["text"] for t in view["transcript"]]
    assert other["transcript"] is None


# A ticket made from a chat


def _accepted_chat(client: Any, auth: Auth, headers: dict[str, str], **extra: Any) -> str:
    created = post(client, "/livechat/sessions", headers, {"category": "FACTURE", **extra})
    assert created.status_code == 201, created.body
    session_id = str(_body(created)["session_id"])
    post(client, f"/agent/livechat/sessions/{session_id}/accept", auth("sophie"))
    post(client, f"/livechat/sessions/{session_id}/messages", auth("sophie"), {"text": "Je note."})
    return session_id


def test_an_advisor_makes_a_ticket_of_a_chat_once_and_the_user_finds_it(
    client: Any, auth: Auth, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    session_id = _accepted_chat(client, auth, auth("alice"))
    post(
        client,
        f"/livechat/sessions/{session_id}/messages",
        auth("alice"),
        {"text": "Mon dépôt de facture échoue."},
    )

    made = post(client, f"/agent/livechat/sessions/{session_id}/ticket", auth("sophie"))
    again = post(client, f"/agent/livechat/sessions/{session_id}/ticket", auth("sophie"))
    by_alice = post(client, f"/agent/livechat/sessions/{session_id}/ticket", auth("alice"))
    mine = _body(client.http.get("/tickets", headers=auth("alice")))
    ticket = _body(client.http.get(f"/tickets/{_body(made)['ticket_id']}", headers=auth("alice")))
    chat = _body(
        client.http.get(f"/livechat/sessions/{session_id}/messages", headers=auth("alice"))
    )

    assert made.status_code == again.status_code == 201
    assert _body(again)["reference"] == _body(made)["reference"]
    assert by_alice.status_code == 403
    assert [t["reference"] for t in mine["items"]] == [_body(made)["reference"]]
    assert ticket["recipient"]["type"] == "support"
    assert (ticket["category"], ticket["subcategory"]) == ("FACTURE", "S20")
    assert "Usager : Mon dépôt de facture échoue." in ticket["description"]
    assert _body(made)["reference"] in chat["messages"][-1]["text"]


def test_a_chat_without_an_account_becomes_a_help_request_with_its_reference(
    client: Any, auth: Auth, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    headers = {"Content-Type": "application/json"}
    created = post(
        client,
        "/livechat/sessions",
        headers,
        {"category": "CONNEXION", "login_identifier": "paul.durand@example.fr"},
    )
    session_id, token = _body(created)["session_id"], _body(created)["session_token"]
    post(client, f"/agent/livechat/sessions/{session_id}/accept", auth("sophie"))

    made = _body(post(client, f"/agent/livechat/sessions/{session_id}/ticket", auth("sophie")))
    chat = _body(
        client.http.get(
            f"/livechat/sessions/{session_id}/messages",
            headers={**headers, "X-Session-Token": token},
        )
    )
    found = _body(client.http.get(f"/desk/tickets?q={made['reference']}", headers=auth("sophie")))

    assert made["channel"] == "help_request"
    assert made["emitter_user_id"] is None
    assert made["reference"] in chat["messages"][-1]["text"]
    assert [t["contact_email"] for t in found["items"]] == ["paul.durand@example.fr"]


# Reports


def test_reports_group_questions_by_spelling_and_keep_business_agents_to_their_desk(
    client: Any, auth: Auth, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    for question in (
        "Comment changer la couleur du logo ?",
        "comment changer la couleur du logo",
        "Comment changer la couleur du lgo ?",
        "<script>alert(1)</script> quel temps fait-il",
    ):
        conversation = _body(post(client, "/assistant/conversations", auth("alice"), {}))
        post(
            client,
            f"/assistant/conversations/{conversation['conversation_id']}/messages",
            auth("alice"),
            {"text": question},
        )
    _ticket(client, auth)

    support = client.http.get("/agent/reports", headers=auth("sophie"))
    business = client.http.get("/agent/reports", headers=auth("marc"))
    user = client.http.get("/agent/reports", headers=auth("alice"))

    gaps = _body(support)["knowledge_gaps"]["not_understood"]
    logo = next(group for group in gaps if "couleur" in group["question"])
    assert logo["count"] == 3
    assert len(logo["variants"]) == 3
    assert any("<script>alert(1)</script>" in group["question"] for group in gaps)
    assert _body(support)["tickets"]["categories"] == []
    assert _body(business)["knowledge_gaps"] is None
    assert _body(business)["chat_ratings"] is None
    assert _body(business)["tickets"]["categories"] == [
        {"category": "FACTURE", "label": "Factures", "received": 1, "waiting": 1, "overdue": 0}
    ]
    assert user.status_code == 403


def test_a_rating_without_comment_reads_back_in_the_reports(
    client: Any, auth: Auth, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    session_id = _accepted_chat(client, auth, auth("alice"))
    post(client, f"/livechat/sessions/{session_id}/close", auth("alice"))
    client.http.put(
        f"/livechat/sessions/{session_id}/rating",
        headers=auth("alice"),
        body=json.dumps({"stars": 3}),
    )

    reports = client.http.get("/agent/reports", headers=auth("sophie"))
    ratings = client.http.get("/agent/livechat/ratings", headers=auth("sophie"))

    assert reports.status_code == ratings.status_code == 200
    latest = _body(reports)["chat_ratings"]["latest"]
    assert [(r["stars"], r["comment"]) for r in latest] == [(3, None)]
