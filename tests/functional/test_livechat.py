"""The LiveChat over HTTP (Chalice test client + moto): availability, chats, schedule, ratings."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from chalicelib.endpoints import wiring
from chalicelib.livechat.availability import forget_calendars

OPEN_FRIDAY = "2026-12-04T10:00:00+01:00"
Headers = Callable[[str], dict[str, str]]


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    forget_calendars()
    yield
    forget_calendars()


def body(response: Any) -> Any:
    return json.loads(response.body)


def post(client: Any, path: str, payload: dict[str, Any] | None, headers: dict[str, str]) -> Any:
    data = json.dumps(payload) if payload is not None else None
    return client.http.post(path, body=data, headers=headers)


def anonymous(token: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Session-Token"] = token
    return headers


def start_conversation(client: Any, auth: Headers, user: str) -> str:
    """A real assistant conversation of `user`: one question, one answer."""
    started = post(client, "/assistant/conversations", {}, auth(user))
    conversation_id = str(body(started)["conversation_id"])
    post(
        client,
        f"/assistant/conversations/{conversation_id}/messages",
        {"text": "Ma facture FA-2026-0002 est rejetée"},
        auth(user),
    )
    return conversation_id


def open_chat(client: Any, auth: Headers, user: str = "alice", **extra: Any) -> Any:
    return post(client, "/livechat/sessions", {"category": "FACTURE", **extra}, auth(user))


# Availability -------------------------------------------------------------------------


def test_availability_when_open_says_when_it_closes_in_one_aws_call_at_most(
    client: Any, frozen_clock: Callable[[str], datetime], aws_calls: Any
) -> None:
    frozen_clock("2026-12-04T18:29:00+01:00")

    first = client.http.get("/livechat/availability")
    calls_cold = aws_calls.total
    aws_calls.reset()
    client.http.get("/livechat/availability")

    assert first.status_code == 200
    assert body(first) == {
        "open": True,
        "timezone": "Europe/Paris",
        "now": "2026-12-04T18:29:00+01:00",
        "closes_at": "2026-12-04T18:30:00+01:00",
        "next_opening": None,
        "hours": "du lundi au vendredi de 8h30 à 18h30, jours ouvrés",
    }
    assert calls_cold <= 1
    assert aws_calls.total == 0


def test_availability_on_saturday_gives_monday_opening(
    client: Any, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock("2026-12-05T11:00:00+01:00")

    answer = body(client.http.get("/livechat/availability"))

    assert answer["open"] is False
    assert answer["closes_at"] is None
    assert answer["next_opening"] == "2026-12-07T08:30:00+01:00"


def test_availability_at_an_instant_answers_for_that_instant(client: Any) -> None:
    answer = body(client.http.get("/livechat/availability?at=2027-07-14T10:00:00%2B02:00"))
    unencoded = body(client.http.get("/livechat/availability?at=2027-07-13T10:00:00+02:00"))

    assert answer["open"] is False
    assert answer["now"] == "2027-07-14T10:00:00+02:00"
    assert answer["next_opening"] == "2027-07-15T08:30:00+02:00"
    assert unencoded["open"] is True


@pytest.mark.parametrize("value", ["2027-07-14T10:00:00", "demain", "2027-13-45T10:00:00Z"])
def test_availability_at_without_offset_or_unparseable_is_422(client: Any, value: str) -> None:
    response = client.http.get(f"/livechat/availability?at={value}")

    assert response.status_code == 422
    assert [error["field"] for error in body(response)["errors"]] == ["at"]


def test_categories_are_listed(client: Any) -> None:
    answer = body(client.http.get("/livechat/categories"))

    assert [item["code"] for item in answer] == [
        "CONNEXION",
        "STRUCTURE",
        "FACTURE",
        "RACCORDEMENT",
        "AUTRE",
    ]
    assert answer[0] == {"code": "CONNEXION", "label": "Connexion et compte"}


def test_an_exceptional_closure_managed_by_support_closes_the_livechat(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    closures = {"days": [{"date": "2026-12-04", "reason": "Maintenance"}]}

    put = client.http.put(
        "/agent/livechat/closures", body=json.dumps(closures), headers=auth("sophie")
    )
    listed = body(client.http.get("/agent/livechat/closures", headers=auth("sophie")))
    answer = body(client.http.get("/livechat/availability"))

    assert put.status_code == 200
    assert listed["days"][0]["date"] == "2026-12-04"
    assert listed["updated_by"] == "sophie"
    assert answer["open"] is False
    assert answer["next_opening"] == "2026-12-07T08:30:00+01:00"


def test_closures_are_for_support_agents_only(client: Any, auth: Headers) -> None:
    response = client.http.put(
        "/agent/livechat/closures", body=json.dumps({"days": []}), headers=auth("alice")
    )

    assert response.status_code == 403


def test_closures_with_special_hours_need_both_times(client: Any, auth: Headers) -> None:
    days = {"days": [{"date": "2026-12-24", "closed": False, "opens": "08:30"}]}

    response = client.http.put(
        "/agent/livechat/closures", body=json.dumps(days), headers=auth("sophie")
    )

    assert response.status_code == 422


# A full chat ----------------------------------------------------------------------------


def test_full_chat_from_assistant_to_rating(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    conversation_id = start_conversation(client, auth, "alice")

    # Given alice opens a chat from her assistant conversation
    created = open_chat(client, auth, conversation_id=conversation_id)
    session_id = body(created)["session_id"]
    queue = body(client.http.get("/agent/livechat/queue", headers=auth("sophie")))
    # When sophie accepts it and they exchange messages
    accepted = post(client, f"/agent/livechat/sessions/{session_id}/accept", None, auth("sophie"))
    path = f"/livechat/sessions/{session_id}/messages"
    from_alice = post(client, path, {"text": "Bonjour, ma facture est rejetée."}, auth("alice"))
    from_sophie = post(client, path, {"text": "Je regarde votre facture."}, auth("sophie"))
    seen_by_alice = body(
        client.http.get(f"{path}?after={body(from_alice)['seq']}", headers=auth("alice"))
    )
    # Then alice closes and rates it
    closed = post(client, f"/livechat/sessions/{session_id}/close", None, auth("alice"))
    rated = client.http.put(
        f"/livechat/sessions/{session_id}/rating",
        body=json.dumps({"stars": 4, "comment": "Rapide"}),
        headers=auth("alice"),
    )
    again = client.http.put(
        f"/livechat/sessions/{session_id}/rating",
        body=json.dumps({"stars": 1}),
        headers=auth("alice"),
    )
    ratings = body(client.http.get("/agent/livechat/ratings", headers=auth("sophie")))

    assert created.status_code == 201
    assert body(created)["status"] == "waiting"
    assert body(created)["position"] == 1
    assert "session_token" not in body(created) or body(created)["session_token"] is None
    facture = next(group for group in queue if group["code"] == "FACTURE")
    assert [entry["session_id"] for entry in facture["sessions"]] == [session_id]
    assert facture["sessions"][0]["has_transcript"] is True
    assert accepted.status_code == 200
    assert body(accepted)["status"] == "active"
    assert [line["author"] for line in body(accepted)["transcript"]] == [
        "assistant",
        "user",
        "assistant",
    ]
    assert from_alice.status_code == 201
    assert from_sophie.status_code == 201
    assert [m["text"] for m in seen_by_alice["messages"]] == ["Je regarde votre facture."]
    assert seen_by_alice["messages"][0]["author"] == "advisor"
    assert closed.status_code == 200
    assert body(closed)["status"] == "closed"
    assert body(closed)["closed_by"] == "user"
    assert rated.status_code == 200
    assert body(rated)["rating"]["stars"] == 4
    assert again.status_code == 409
    assert [item["stars"] for item in ratings["items"]] == [4]
    assert ratings["by_category"] == [{"key": "FACTURE", "count": 1, "average": 4.0}]
    assert ratings["by_advisor"] == [{"key": "sophie", "count": 1, "average": 4.0}]


def test_opening_a_chat_at_19h_is_409_with_next_opening(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock("2026-12-04T19:00:00+01:00")

    response = open_chat(client, auth)

    assert response.status_code == 409
    assert response.headers["Content-Type"] == "application/problem+json"
    assert body(response)["next_opening"] == "2026-12-07T08:30:00+01:00"


def test_a_second_create_returns_the_open_chat(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)

    first = open_chat(client, auth)
    second = open_chat(client, auth)

    assert first.status_code == second.status_code == 201
    assert body(first)["resumed"] is False and body(second)["resumed"] is True
    assert body(second)["session_id"] == body(first)["session_id"]
    assert body(second)["position"] == 1


def test_queue_position_counts_earlier_chats_of_the_category(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    open_chat(client, auth, "alice")
    frozen_clock("2026-12-04T10:01:00+01:00")

    claire = open_chat(client, auth, "claire")
    other_category = post(client, "/livechat/sessions", {"category": "AUTRE"}, auth("bruno"))

    assert body(claire)["position"] == 2
    assert body(other_category)["position"] == 1


def test_a_second_accept_is_409(
    client: Any,
    auth: Headers,
    token_for: Callable[..., str],
    frozen_clock: Callable[[str], datetime],
) -> None:
    frozen_clock(OPEN_FRIDAY)
    session_id = body(open_chat(client, auth))["session_id"]
    other_advisor = {
        "Authorization": f"Bearer {token_for('paul', groups=['support_agents'])}",
        "Content-Type": "application/json",
    }

    first = post(client, f"/agent/livechat/sessions/{session_id}/accept", None, auth("sophie"))
    second = post(client, f"/agent/livechat/sessions/{session_id}/accept", None, other_advisor)
    intrusion = post(
        client, f"/livechat/sessions/{session_id}/messages", {"text": "Moi aussi"}, other_advisor
    )

    assert first.status_code == 200
    assert second.status_code == 409
    assert intrusion.status_code == 403


def test_two_advisors_accepting_at_once_one_wins_and_the_other_is_told(
    client: Any,
    auth: Headers,
    token_for: Callable[..., str],
    frozen_clock: Callable[[str], datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both read the chat waiting; paul's accept lands between sophie's read and her write."""
    from chalicelib.livechat import messages

    frozen_clock(OPEN_FRIDAY)
    session_id = body(open_chat(client, auth))["session_id"]
    paul = {
        "Authorization": f"Bearer {token_for('paul', groups=['support_agents'])}",
        "Content-Type": "application/json",
    }
    accept = f"/agent/livechat/sessions/{session_id}/accept"
    real_load = messages.load
    raced: list[Any] = []

    def read_then_paul_accepts(store: Any, read_id: str) -> Any:
        session = real_load(store, read_id)
        if not raced:
            raced.append(None)  # paul's own reads go straight through
            raced[0] = post(client, accept, None, paul)
        return session

    monkeypatch.setattr(messages, "load", read_then_paul_accepts)
    from_sophie = post(client, accept, None, auth("sophie"))
    monkeypatch.undo()
    [from_paul] = raced
    sophie_writes = post(
        client, f"/livechat/sessions/{session_id}/messages", {"text": "Bonjour"}, auth("sophie")
    )
    chat = body(client.http.get(f"/livechat/sessions/{session_id}", headers=auth("alice")))
    said = body(
        client.http.get(f"/livechat/sessions/{session_id}/messages?after=0", headers=auth("alice"))
    )

    assert from_paul.status_code == 200
    assert from_sophie.status_code == 409
    assert chat["status"] == "active"
    assert chat["advisor_name"] == body(from_paul)["advisor_name"] != "Sophie Bernard"
    assert sophie_writes.status_code == 403
    assert [m["text"] for m in said["messages"] if "a rejoint" in m["text"]] == [
        f"{body(from_paul)['advisor_name']} a rejoint la conversation."
    ]


def test_unknown_category_is_422(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)

    response = post(client, "/livechat/sessions", {"category": "FISCAL"}, auth("alice"))

    assert response.status_code == 422
    assert body(response)["errors"][0]["field"] == "category"


def test_someone_elses_conversation_is_not_attached(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    conversation_id = start_conversation(client, auth, "claire")

    session_id = body(open_chat(client, auth, conversation_id=conversation_id))["session_id"]
    seen = body(client.http.get(f"/livechat/sessions/{session_id}", headers=auth("sophie")))

    assert seen["transcript"] == []
    assert seen["conversation_id"] is None


def test_a_missing_conversation_leaves_the_chat_working(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)

    response = open_chat(client, auth, conversation_id="conv-nowhere")
    session_id = body(response)["session_id"]
    path = f"/livechat/sessions/{session_id}/messages"
    posted = post(client, path, {"text": "Bonjour, une question sur une facture."}, auth("alice"))
    read = body(client.http.get(f"{path}?after=0", headers=auth("alice")))
    seen = body(client.http.get(f"/livechat/sessions/{session_id}", headers=auth("sophie")))

    assert response.status_code == 201
    assert posted.status_code == 201
    assert [m["text"] for m in read["messages"]] == ["Bonjour, une question sur une facture."]
    assert (seen["transcript"], seen["conversation_id"]) == ([], None)


# Who may read and write ------------------------------------------------------------------


def test_another_user_and_an_anonymous_caller_cannot_read_or_post(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    session_id = body(open_chat(client, auth))["session_id"]
    path = f"/livechat/sessions/{session_id}/messages"

    responses = [
        client.http.get(path, headers=auth("claire")),
        post(client, path, {"text": "Intrus"}, auth("claire")),
        client.http.get(path, headers=anonymous()),
        post(client, path, {"text": "Intrus"}, anonymous()),
        post(client, path, {"text": "Intrus"}, anonymous("a-guessed-token")),
        post(client, f"/livechat/sessions/{session_id}/close", None, auth("claire")),
    ]

    assert [response.status_code for response in responses] == [404] * 6


def test_anonymous_chat_works_end_to_end_with_its_token(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)

    created = post(
        client,
        "/livechat/sessions",
        {"category": "CONNEXION", "login_identifier": "jean.dupont@example.fr"},
        anonymous(),
    )
    session_id, token = body(created)["session_id"], body(created)["session_token"]
    path = f"/livechat/sessions/{session_id}/messages"
    queue = body(client.http.get("/agent/livechat/queue", headers=auth("sophie")))
    post(client, path, {"text": "Je ne peux plus me connecter."}, anonymous(token))
    post(client, f"/agent/livechat/sessions/{session_id}/accept", None, auth("sophie"))
    post(client, path, {"text": "Je réinitialise votre accès."}, auth("sophie"))
    without_token = client.http.get(path, headers=anonymous())
    read = body(client.http.get(f"{path}?after=0", headers=anonymous(token)))
    closed = post(client, f"/livechat/sessions/{session_id}/close", None, anonymous(token))
    rated = client.http.put(
        f"/livechat/sessions/{session_id}/rating",
        body=json.dumps({"stars": 5}),
        headers=anonymous(token),
    )

    assert created.status_code == 201
    assert len(token) >= 32
    connexion = next(group for group in queue if group["code"] == "CONNEXION")
    assert connexion["sessions"][0]["login_identifier"] == "jean.dupont@example.fr"
    assert without_token.status_code == 404
    assert [m["author"] for m in read["messages"]] == ["user", "system", "advisor"]
    assert read["next_after"] == 3
    assert read["status"] == "active"
    assert closed.status_code == 200
    assert rated.status_code == 200


def test_anonymous_create_needs_a_login_identifier(
    client: Any, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)

    response = post(client, "/livechat/sessions", {"category": "CONNEXION"}, anonymous())

    assert response.status_code == 422
    assert body(response)["errors"][0]["field"] == "login_identifier"


def test_anonymous_creates_are_rate_limited_per_address(
    client: Any, frozen_clock: Callable[[str], datetime]
) -> None:
    from chalicelib.livechat.creation import ANONYMOUS_CREATES_PER_HOUR

    frozen_clock(OPEN_FRIDAY)
    payload = {"category": "CONNEXION", "login_identifier": "x@example.fr"}

    statuses = [
        post(client, "/livechat/sessions", payload, anonymous()).status_code
        for _ in range(ANONYMOUS_CREATES_PER_HOUR + 1)
    ]

    assert statuses[:-1] == [201] * ANONYMOUS_CREATES_PER_HOUR
    assert statuses[-1] == 429


def test_idempotency_key_replays_the_first_anonymous_create(
    client: Any, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    payload = {"category": "CONNEXION", "login_identifier": "x@example.fr"}
    headers = {**anonymous(), "Idempotency-Key": "create-1"}

    first = post(client, "/livechat/sessions", payload, headers)
    retry = post(client, "/livechat/sessions", payload, headers)
    other = post(client, "/livechat/sessions", {**payload, "category": "AUTRE"}, headers)

    assert first.status_code == retry.status_code == 201
    # The secret made for the client is in its first response only: a replay of the
    # key (by anyone) does not hand it out (tests/functional/test_hostile_inputs.py).
    assert body(first)["session_token"]
    assert body(retry) == {**body(first), "session_token": None}
    assert other.status_code == 422


def test_a_closed_chat_takes_no_more_messages(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    session_id = body(open_chat(client, auth))["session_id"]
    post(client, f"/livechat/sessions/{session_id}/close", None, auth("alice"))

    late = post(
        client, f"/livechat/sessions/{session_id}/messages", {"text": "Encore"}, auth("alice")
    )
    reopened = open_chat(client, auth)

    assert late.status_code == 409
    assert reopened.status_code == 201
    assert body(reopened)["session_id"] != session_id


def test_a_message_costs_at_most_three_aws_calls(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime], aws_calls: Any
) -> None:
    frozen_clock(OPEN_FRIDAY)
    session_id = body(open_chat(client, auth))["session_id"]
    aws_calls.reset()

    response = post(
        client, f"/livechat/sessions/{session_id}/messages", {"text": "Bonjour"}, auth("alice")
    )

    assert response.status_code == 201
    assert aws_calls.total <= 3
    assert aws_calls.count("Scan") == 0


# The scheduled opening check --------------------------------------------------------------


def run_check(client: Any) -> dict[str, Any]:
    """Invoke the scheduled check as EventBridge would."""
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    payload: dict[str, Any] = client.lambda_.invoke("livechat_opening_check", event).payload
    return payload


def transitions() -> list[dict[str, Any]]:
    return wiring.livechat_store().transitions()


def test_schedule_run_twice_at_the_same_instant_records_one_transition(
    client: Any, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock("2026-12-04T18:31:00+01:00")

    first = run_check(client)
    second = run_check(client)
    frozen_clock("2026-12-04T18:36:00+01:00")
    late = run_check(client)

    assert first["recorded"] is True
    assert second["recorded"] is False
    assert late["recorded"] is False
    recorded = transitions()
    assert [(item["kind"], item["at"]) for item in recorded] == [
        ("closed", "2026-12-04T18:30:00+01:00")
    ]


def test_at_closing_waiting_chats_get_a_ticket_draft_and_active_ones_continue(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock("2026-12-04T18:20:00+01:00")
    conversation_id = start_conversation(client, auth, "alice")
    waiting_id = body(open_chat(client, auth, conversation_id=conversation_id))["session_id"]
    post(
        client,
        f"/livechat/sessions/{waiting_id}/messages",
        {"text": "Rejet FA-2026-0002"},
        auth("alice"),
    )
    active_id = body(open_chat(client, auth, "claire"))["session_id"]
    post(client, f"/agent/livechat/sessions/{active_id}/accept", None, auth("sophie"))

    frozen_clock("2026-12-04T18:31:00+01:00")
    check = run_check(client)
    waiting = body(
        client.http.get(f"/livechat/sessions/{waiting_id}/messages", headers=auth("alice"))
    )
    active_reply = post(
        client, f"/livechat/sessions/{active_id}/messages", {"text": "On termine"}, auth("sophie")
    )
    queue = body(client.http.get("/agent/livechat/queue", headers=auth("sophie")))

    assert check["closed_waiting_sessions"] == 1
    assert waiting["status"] == "closed"
    notice = waiting["messages"][-1]
    assert notice["author"] == "system"
    assert "fermé" in notice["text"]
    draft = notice["ticket_draft"]
    assert draft["category"] == "FACTURE"
    assert draft["subcategory"] == "S20"
    assert "Ma facture FA-2026-0002 est rejetée" in draft["description"]
    assert "Rejet FA-2026-0002" in draft["description"]
    assert active_reply.status_code == 201
    assert all(group["sessions"] == [] for group in queue)


def test_opening_is_recorded_in_the_morning(
    client: Any, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock("2026-12-07T08:32:00+01:00")

    check = run_check(client)

    assert check["open"] is True
    assert check["transition"] == "opened"
    assert check["transition_at"] == "2026-12-07T08:30:00+01:00"
