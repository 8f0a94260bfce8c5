"""The concurrency suite, over HTTP on the local stack: what moto used to get wrong.

Before infra/local/exact_moto.py (TRAPS.md, "moto under concurrency"): the same
Idempotency-Key sent 20 times at once made 2 tickets, or a 201 whose id then
404'd; 50 parallel submits gave 500s; 6 parallel accepts of one chat had more
than one winner; 20 parallel chat messages: 15 acknowledged, 10 stored; two
agents assigning one ticket at once stopped routing for good.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.e2e.stack import LocalStack

ROUTING_TIMEOUT_SECONDS = 30.0


def ticket_body(title: str) -> dict[str, Any]:
    return {
        "organisation_id": "org-boulangerie-martin",
        "category": "CONNEXION",
        "subcategory": "S02",
        "title": title,
        "description": "Je ne parviens plus à me connecter depuis hier soir.",
    }


def at_once(count: int, call: Callable[[int], tuple[int, Any]]) -> list[tuple[int, Any]]:
    """`call(0..count-1)` from `count` threads started together."""
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(call, range(count)))


def wait_until_routed(stack: LocalStack, user: str, ticket_ids: list[str]) -> None:
    waiting = set(ticket_ids)
    deadline = time.monotonic() + ROUTING_TIMEOUT_SECONDS
    while waiting:
        for ticket_id in list(waiting):
            status, ticket = stack.request("GET", f"/tickets/{ticket_id}", user=user)
            assert status == 200, ticket
            if any(entry["event"] == "delivered" for entry in ticket["history"]):
                waiting.discard(ticket_id)
        assert time.monotonic() < deadline, f"never routed: {sorted(waiting)}"
        if waiting:
            time.sleep(0.5)


def test_one_key_sent_20_times_at_once_makes_one_ticket_and_one_response(
    local_stack: LocalStack,
) -> None:
    local_stack.token("alice")
    title = f"Même clé {uuid.uuid4().hex[:8]}"
    key = {"Idempotency-Key": f"same-{uuid.uuid4().hex}"}

    answers = at_once(
        20, lambda _: local_stack.request("POST", "/tickets", ticket_body(title), "alice", key)
    )

    assert {status for status, _ in answers} == {201}, answers
    bodies = [body for _, body in answers]
    assert all(body == bodies[0] for body in bodies)
    status, listing = local_stack.request("GET", "/tickets?limit=100", user="alice")
    assert [t["ticket_id"] for t in listing["items"] if t["title"] == title] == [
        bodies[0]["ticket_id"]
    ]
    wait_until_routed(local_stack, "alice", [bodies[0]["ticket_id"]])


def test_50_parallel_submits_make_50_tickets_all_routed(local_stack: LocalStack) -> None:
    local_stack.token("alice")
    run = uuid.uuid4().hex[:8]

    answers = at_once(
        50,
        lambda n: local_stack.request(
            "POST",
            "/tickets",
            ticket_body(f"Parallèle {run} {n}"),
            "alice",
            {"Idempotency-Key": f"{run}-{n}"},
        ),
    )

    assert [status for status, _ in answers] == [201] * 50, answers
    references = {body["reference"] for _, body in answers}
    assert len(references) == 50
    wait_until_routed(local_stack, "alice", [body["ticket_id"] for _, body in answers])


def _open_chat(stack: LocalStack, user: str) -> str:
    status, created = stack.request("POST", "/livechat/sessions", {"category": "FACTURE"}, user)
    assert status == 201, created
    session_id: str = created["session_id"]
    if created.get("resumed"):  # a chat left open by another test: close it, start again
        stack.request("POST", f"/livechat/sessions/{session_id}/close", user=user)
        return _open_chat(stack, user)
    return session_id


def test_6_parallel_accepts_of_one_chat_have_exactly_one_winner(local_stack: LocalStack) -> None:
    for _ in range(3):
        session_id = _open_chat(local_stack, "bruno")
        local_stack.token("sophie")

        accept = f"/agent/livechat/sessions/{session_id}/accept"

        def take(_: int, path: str = accept) -> tuple[int, Any]:
            return local_stack.request("POST", path, user="sophie")

        answers = at_once(6, take)

        statuses = sorted(status for status, _ in answers)
        assert statuses == [200, 409, 409, 409, 409, 409], answers
        local_stack.request("POST", f"/livechat/sessions/{session_id}/close", user="bruno")


def test_20_parallel_chat_messages_are_all_stored(local_stack: LocalStack) -> None:
    session_id = _open_chat(local_stack, "claire")
    path = f"/livechat/sessions/{session_id}/messages"

    answers = at_once(
        20, lambda n: local_stack.request("POST", path, {"text": f"message {n}"}, "claire")
    )

    assert [status for status, _ in answers] == [201] * 20, answers
    status, page = local_stack.request("GET", path + "?after=0", user="claire")
    texts = [m["text"] for m in page["messages"] if m["author"] == "user"]
    assert sorted(texts) == sorted(f"message {n}" for n in range(20))
    assert [m["seq"] for m in page["messages"]] == list(range(1, len(page["messages"]) + 1))
    local_stack.request("POST", f"/livechat/sessions/{session_id}/close", user="claire")


def test_a_comment_and_a_close_at_once_leave_a_consistent_ticket(local_stack: LocalStack) -> None:
    local_stack.token("alice")
    for round_ in range(3):
        title = f"Commentaire et clôture {uuid.uuid4().hex[:8]}"
        status, ticket = local_stack.request("POST", "/tickets", ticket_body(title), "alice")
        assert status == 201
        path = f"/tickets/{ticket['ticket_id']}"

        def act(n: int, path: str = path) -> tuple[int, Any]:
            if n == 0:
                return local_stack.request(
                    "POST", path + "/comments", {"text": "Précision"}, "alice"
                )
            return local_stack.request("POST", path + "/close", None, "alice")

        comment, close = at_once(2, act)

        status, final = local_stack.request("GET", path, user="alice")
        events = [entry["event"] for entry in final["history"]]
        assert close[0] in (200, 409) and comment[0] in (201, 409), (comment, close, round_)
        assert (close[0] == 200) == ("closed" in events) == (final["status"] == "closed")
        assert (comment[0] == 201) == ("commented" in events)
        if "commented" in events and "closed" in events:
            assert events.index("commented") < events.index("closed")


def test_two_agents_taking_one_ticket_at_once_do_not_stop_routing(
    local_stack: LocalStack,
) -> None:
    local_stack.token("alice")
    status, first = local_stack.request(
        "POST", "/tickets", ticket_body(f"Deux agents {uuid.uuid4().hex[:8]}"), "alice"
    )
    wait_until_routed(local_stack, "alice", [first["ticket_id"]])
    local_stack.token("sophie")

    answers = at_once(
        2,
        lambda _: local_stack.request(
            "POST", f"/desk/tickets/{first['ticket_id']}/assign", user="sophie"
        ),
    )
    status, later = local_stack.request(
        "POST", "/tickets", ticket_body(f"Après {uuid.uuid4().hex[:8]}"), "alice"
    )

    assert 200 in [s for s, _ in answers] and all(s in (200, 409) for s, _ in answers), answers
    wait_until_routed(local_stack, "alice", [later["ticket_id"]])


def test_none_of_these_sent_20_times_at_once_is_answered_and_recorded_once(
    local_stack: LocalStack,
) -> None:
    status, started = local_stack.request("POST", "/assistant/conversations", {}, "alice")
    assert status == 201, started
    conversation = f"/assistant/conversations/{started['conversation_id']}"
    status, offer = local_stack.request(
        "POST", conversation + "/messages", {"text": "le code à six chiffres arrive pas"}, "alice"
    )
    assert (status, offer["band"]) == (200, "offer"), offer
    path = f"{conversation}/messages/{offer['message_id']}/none-of-these"

    answers = at_once(20, lambda n: local_stack.request("POST", path, {}, "alice"))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * 19, answers
    status, transcript = local_stack.request("GET", conversation, user="alice")
    texts = [m["text"] for m in transcript["messages"]]
    assert texts.count("Aucun de ces sujets") == 1, texts
    assert len(texts) == 5  # greeting, question, offer, "none", the request to rephrase


def test_an_offered_topic_clicked_20_times_at_once_is_counted_as_a_choice_once(
    local_stack: LocalStack,
) -> None:
    day = "from=2026-12-02&to=2026-12-02"  # the stack's clock starts at E2E_NOW (conftest)
    question = "le code a six chiffres arrive pas"

    def choices() -> int:
        status, found = local_stack.request(
            "GET", f"/agent/assistant/insights?{day}", user="sophie"
        )
        assert status == 200, found
        return sum(c["count"] for c in found["offer_choices"] if c["question"] == question)

    before = choices()
    status, started = local_stack.request("POST", "/assistant/conversations", {}, "alice")
    conversation = f"/assistant/conversations/{started['conversation_id']}"
    status, offer = local_stack.request(
        "POST", conversation + "/messages", {"text": "le code à six chiffres arrive pas"}, "alice"
    )
    assert (status, offer["band"]) == (200, "offer"), offer
    label = {"text": "La double authentification"}
    assert label["text"] in offer["suggestions"]

    answers = at_once(
        20, lambda n: local_stack.request("POST", conversation + "/messages", label, "alice")
    )

    # A click that reads the conversation after another one was stored is a new question
    # (answered, 200), not a choice; the others lost the race (409). None is lost.
    statuses = [status for status, _ in answers]
    assert set(statuses) <= {200, 409} and 200 in statuses, answers
    status, transcript = local_stack.request("GET", conversation, user="alice")
    assert [m["text"] for m in transcript["messages"]].count(label["text"]) == statuses.count(200)
    assert choices() == before + 1
