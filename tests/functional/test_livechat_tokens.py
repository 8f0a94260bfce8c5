"""Anonymous chats over HTTP: only the chat's own session token opens it.

Two anonymous chats are opened, so "another chat's token" is a real token the
service issued (a guessed string on a logged-in user's chat never reaches the
comparison).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from chalicelib.livechat.availability import forget_calendars

OPEN_FRIDAY = "2026-12-04T10:00:00+01:00"
Headers = Callable[[str], dict[str, str]]


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    forget_calendars()
    yield
    forget_calendars()


def _headers(token: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["X-Session-Token"] = token
    return headers


def _anonymous_chat(client: Any, login: str) -> tuple[str, str]:
    created = client.http.post(
        "/livechat/sessions",
        body=json.dumps({"category": "CONNEXION", "login_identifier": login}),
        headers=_headers(None),
    )
    assert created.status_code == 201, created.body
    data = json.loads(created.body)
    return str(data["session_id"]), str(data["session_token"])


def test_an_anonymous_chat_answers_its_own_token_only(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    chat_a, token_a = _anonymous_chat(client, "jean.dupont@example.fr")
    _, token_b = _anonymous_chat(client, "lea.martin@example.fr")
    messages = f"/livechat/sessions/{chat_a}/messages"
    callers = {
        "its token": _headers(token_a),
        "another chat's token": _headers(token_b),
        "a wrong token": _headers(token_a[:-2] + "xx"),
        "an empty token": _headers(""),
        "no token": _headers(None),
        "alice's bearer": auth("alice"),
    }

    reads = {name: client.http.get(messages, headers=h).status_code for name, h in callers.items()}
    posts = {
        name: client.http.post(
            messages, body=json.dumps({"text": "Bonjour"}), headers=h
        ).status_code
        for name, h in callers.items()
    }

    expected = dict.fromkeys(callers, 404) | {"its token": 200}
    assert reads == expected
    assert posts == expected | {"its token": 201}


def test_another_anonymous_chats_token_cannot_close_or_rate_it(
    client: Any, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    chat_a, token_a = _anonymous_chat(client, "jean.dupont@example.fr")
    _, token_b = _anonymous_chat(client, "lea.martin@example.fr")

    closed_by_b = client.http.post(
        f"/livechat/sessions/{chat_a}/close", body=None, headers=_headers(token_b)
    )
    read = client.http.get(f"/livechat/sessions/{chat_a}/messages", headers=_headers(token_a))

    assert closed_by_b.status_code == 404
    assert json.loads(read.body)["status"] == "waiting"
