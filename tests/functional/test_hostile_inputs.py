"""Inputs that used to end in a 500, each now a 4xx problem+json; and what an anonymous chat's
creation gives away when replayed (nothing)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from tests.functional.tickets_support import SUPPORT_BODY, submit

Auth = Callable[[str], dict[str, str]]
JSON = {"Content-Type": "application/json"}
OPEN_FRIDAY = "2026-12-04T10:00:00+01:00"


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = json.loads(response.body)
    assert body["status"] == status
    return body


def _segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("depth", [990, 5000])
def test_a_body_nested_a_thousand_levels_is_a_400(client: Any, auth: Auth, depth: int) -> None:
    nested = '{"title": ' + "[" * depth + "]" * depth + "}"
    response = client.http.post("/tickets", headers=auth("alice"), body=nested)
    assert "imbrique" in problem(response, 400)["detail"]


def test_a_token_whose_header_nests_a_thousand_levels_is_a_401(client: Any) -> None:
    header = b'{"alg":"RS256","kid":' + b"[" * 995 + b"]" * 995 + b"}"
    token = f"{_segment(header)}.{_segment(b'{}')}.AAAA"
    response = client.http.get("/me", headers={"Authorization": f"Bearer {token}"})
    problem(response, 401)


def test_a_json_route_called_without_content_type_is_a_415(client: Any, token_for: Any) -> None:
    headers = {"Authorization": f"Bearer {token_for('alice')}"}
    response = client.http.post("/tickets", headers=headers, body=json.dumps(SUPPORT_BODY))
    problem(response, 415)


def test_a_forged_cursor_is_a_422(client: Any, auth: Auth) -> None:
    for key in ({"gsi1pk": "EMITTER#claire"}, {"gsi1pk": "EMITTER#alice"}, ["x"]):
        cursor = _segment(json.dumps(key).encode())
        response = client.http.get(f"/tickets?cursor={cursor}", headers=auth("alice"))
        assert [e["field"] for e in problem(response, 422)["errors"]] == ["cursor"]


def test_a_conversation_that_outgrows_its_item_is_a_413_not_a_500(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.assistant import dialogue
    from chalicelib.endpoints import assistant

    # The dialogue stops at 60 turns; the store's guard is in bytes, whatever the turns.
    monkeypatch.setattr(dialogue, "MAX_USER_TURNS", 1000)
    # An anonymous caller's messages per minute are limited too: not what this test is about.
    monkeypatch.setattr(assistant, "ANONYMOUS_MESSAGES_PER_MINUTE", 1000)
    started = client.http.post("/assistant/conversations", headers=JSON, body="")
    conversation_id = json.loads(started.body)["conversation_id"]
    # Control characters take 6 bytes each in the stored JSON.
    text = "".join(chr(1 + n % 8) for n in range(1000))
    statuses = []
    for _ in range(100):
        response = client.http.post(
            f"/assistant/conversations/{conversation_id}/messages",
            headers=JSON,
            body=json.dumps({"text": text}),
        )
        statuses.append(response.status_code)
        if response.status_code != 200:
            break
    assert statuses[-1] == 413, statuses
    problem(response, 413)
    transcript = client.http.get(f"/assistant/conversations/{conversation_id}", headers=JSON)
    assert transcript.status_code == 200


# ------------------------------------------------------- anonymous chats' secrets


def _create_chat(client: Any, key: str, secret: str | None) -> Any:
    headers = {**JSON, "Idempotency-Key": key}
    if secret:
        headers["X-Session-Token"] = secret
    payload = {"category": "FACTURE", "login_identifier": "paul@example.fr"}
    return client.http.post("/livechat/sessions", headers=headers, body=json.dumps(payload))


def test_a_chat_opened_with_the_clients_own_secret_replays_without_it(
    client: Any, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    secret = "s" * 43

    created = _create_chat(client, "chat-1", secret)
    retried = _create_chat(client, "chat-1", secret)
    without_secret = _create_chat(client, "chat-1", None)
    other_secret = _create_chat(client, "chat-1", "t" * 43)

    assert created.status_code == 201
    first = json.loads(created.body)
    assert first.get("session_token") is None
    assert json.loads(retried.body) == first
    # Whoever replays the key without the secret learns nothing, not even the chat's id.
    for replay in (without_secret, other_secret):
        assert [e["field"] for e in problem(replay, 422)["errors"]] == ["Idempotency-Key"]
    path = f"/livechat/sessions/{first['session_id']}/messages"
    mine = client.http.post(
        path, headers={**JSON, "X-Session-Token": secret}, body=json.dumps({"text": "Bonjour"})
    )
    theirs = client.http.post(path, headers=JSON, body=json.dumps({"text": "Bonjour"}))
    assert mine.status_code == 201
    problem(theirs, 404)


def test_a_secret_made_for_the_client_is_in_its_first_response_only(
    client: Any, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)

    created = _create_chat(client, "chat-2", None)
    replayed = _create_chat(client, "chat-2", None)

    assert json.loads(created.body)["session_token"]
    assert json.loads(replayed.body).get("session_token") is None


def test_a_malformed_secret_is_a_422(client: Any, frozen_clock: Callable[[str], datetime]) -> None:
    frozen_clock(OPEN_FRIDAY)
    response = _create_chat(client, "chat-3", "short")
    assert [e["field"] for e in problem(response, 422)["errors"]] == ["X-Session-Token"]


def test_submitting_twice_with_one_key_gives_the_first_response(client: Any, auth: Auth) -> None:
    headers = {**auth("alice"), "Idempotency-Key": "same"}
    first, second = submit(client, headers), submit(client, headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert json.loads(first.body) == json.loads(second.body)
