"""The LiveChat over HTTP on the local stack: availability, and an anonymous chat by polling."""

from __future__ import annotations

from tests.e2e.stack import LocalStack


def test_availability_follows_the_fixed_clock_and_any_instant(local_stack: LocalStack) -> None:
    now_status, now = local_stack.request("GET", "/livechat/availability")
    saturday_status, saturday = local_stack.request(
        "GET", "/livechat/availability?at=2026-12-05T11:00:00%2B01:00"
    )
    naive_status, _ = local_stack.request("GET", "/livechat/availability?at=2026-12-05T11:00:00")

    assert now_status == 200 and now["open"] is True
    assert now["closes_at"] == "2026-12-02T18:30:00+01:00"
    assert saturday_status == 200 and saturday["open"] is False
    assert saturday["next_opening"] == "2026-12-07T08:30:00+01:00"
    assert naive_status == 422


def test_anonymous_chat_with_an_advisor_by_polling(local_stack: LocalStack) -> None:
    created_status, created = local_stack.request(
        "POST",
        "/livechat/sessions",
        {"category": "CONNEXION", "login_identifier": "paul@example.fr"},
    )
    session_id, token = created["session_id"], created["session_token"]
    chat = f"/livechat/sessions/{session_id}"
    anonymous = {"X-Session-Token": token}

    accept_status, _ = local_stack.request(
        "POST", f"/agent/livechat/sessions/{session_id}/accept", user="sophie"
    )
    local_stack.request(
        "POST", chat + "/messages", {"text": "Bonjour, je suis bloqué"}, headers=anonymous
    )
    local_stack.request(
        "POST", chat + "/messages", {"text": "Je regarde votre compte."}, user="sophie"
    )
    poll_status, polled = local_stack.request("GET", chat + "/messages?after=0", headers=anonymous)
    stranger_status, _ = local_stack.request("GET", chat + "/messages?after=0")

    assert created_status == 201 and created["status"] == "waiting"
    assert accept_status == 200
    assert poll_status == 200
    texts = [message["text"] for message in polled["messages"]]
    assert "Bonjour, je suis bloqué" in texts and "Je regarde votre compte." in texts
    assert stranger_status == 404
