"""LiveChat push over the WebSocket API: connect, subscribe, post_to_connection, gone cleanup."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from chalicelib.endpoints.wiring import livechat_push, livechat_store
from chalicelib.livechat.availability import forget_calendars
from chalicelib.livechat.models import Connection
from chalicelib.livechat.push import NoPush
from chalicelib.shared import aws

ENDPOINT = "https://abc123.execute-api.eu-west-3.amazonaws.com/test"
OPEN_FRIDAY = "2026-12-04T10:00:00+01:00"


@pytest.fixture(autouse=True)
def _push_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WEBSOCKET_ENDPOINT", ENDPOINT)
    forget_calendars()
    yield
    forget_calendars()


def ws_event(route_key: str, connection_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "requestContext": {
            "routeKey": route_key,
            "eventType": {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(
                route_key, "MESSAGE"
            ),
            "connectionId": connection_id,
            "domainName": "abc123.execute-api.eu-west-3.amazonaws.com",
            "stage": "test",
            "apiId": "abc123",
        },
        **extra,
    }


def connect(client: Any, connection_id: str, token: str | None = None) -> Any:
    query = {"token": token} if token else None
    event = ws_event("$connect", connection_id, queryStringParameters=query)
    return client.lambda_.invoke("livechat_ws_connect", event).payload


def subscribe(client: Any, connection_id: str, session_id: str, **extra: str) -> None:
    frame = json.dumps({"action": "subscribe", "session_id": session_id, **extra})
    client.lambda_.invoke("livechat_ws_message", ws_event("$default", connection_id, body=frame))


def sent_frames() -> list[tuple[str, dict[str, Any]]]:
    """What moto recorded through post_to_connection."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    frames = []
    for account in apigatewaymanagementapi_backends.values():
        for backend in account.values():
            for connection_id, connection in backend.connections.items():
                for data in connection.data.split(b"}{") if connection.data else []:
                    text = data.decode()
                    text = text if text.startswith("{") else "{" + text
                    text = text if text.endswith("}") else text + "}"
                    frames.append((connection_id, json.loads(text)))
    return frames


def open_chat(client: Any, auth: Callable[[str], dict[str, str]]) -> str:
    response = client.http.post(
        "/livechat/sessions", body=json.dumps({"category": "FACTURE"}), headers=auth("alice")
    )
    session_id: str = json.loads(response.body)["session_id"]
    return session_id


def test_subscribed_connections_receive_each_new_message(
    client: Any,
    auth: Callable[[str], dict[str, str]],
    token_for: Callable[..., str],
    frozen_clock: Callable[[str], datetime],
) -> None:
    frozen_clock(OPEN_FRIDAY)
    session_id = open_chat(client, auth)
    connect(client, "conn-alice", token_for("alice"))
    subscribe(client, "conn-alice", session_id)

    client.http.post(
        f"/livechat/sessions/{session_id}/messages",
        body=json.dumps({"text": "Bonjour"}),
        headers=auth("alice"),
    )

    frames = [frame for connection, frame in sent_frames() if connection == "conn-alice"]
    assert [frame["type"] for frame in frames] == ["subscribed", "message"]
    assert frames[1]["message"]["text"] == "Bonjour"
    session = livechat_store().session(session_id)
    assert session is not None and session.connections == {"conn-alice"}


def test_a_connection_cannot_subscribe_to_someone_elses_chat(
    client: Any,
    auth: Callable[[str], dict[str, str]],
    token_for: Callable[..., str],
    frozen_clock: Callable[[str], datetime],
) -> None:
    frozen_clock(OPEN_FRIDAY)
    session_id = open_chat(client, auth)
    connect(client, "conn-claire", token_for("claire"))
    connect(client, "conn-nobody")

    subscribe(client, "conn-claire", session_id)
    subscribe(client, "conn-nobody", session_id, session_token="guess")

    session = livechat_store().session(session_id)
    assert session is not None and session.connections == set()
    errors = [frame for _, frame in sent_frames() if frame["type"] == "error"]
    assert [frame["problem"]["status"] for frame in errors] == [404, 404]


def test_a_bad_token_refuses_the_connection(client: Any) -> None:
    answer = connect(client, "conn-forged", "not-a-jwt")

    assert answer["statusCode"] == 401
    assert livechat_store().connection("conn-forged") is None


def test_disconnect_unsubscribes(
    client: Any,
    auth: Callable[[str], dict[str, str]],
    token_for: Callable[..., str],
    frozen_clock: Callable[[str], datetime],
) -> None:
    frozen_clock(OPEN_FRIDAY)
    session_id = open_chat(client, auth)
    connect(client, "conn-alice", token_for("alice"))
    subscribe(client, "conn-alice", session_id)

    client.lambda_.invoke("livechat_ws_disconnect", ws_event("$disconnect", "conn-alice"))

    session = livechat_store().session(session_id)
    assert session is not None and session.connections == set()
    assert livechat_store().connection("conn-alice") is None


def test_a_gone_connection_is_removed_when_a_message_is_pushed(
    client: Any,
    auth: Callable[[str], dict[str, str]],
    token_for: Callable[..., str],
    frozen_clock: Callable[[str], datetime],
) -> None:
    # moto never reports a gone connection, so the management client is stubbed.
    frozen_clock(OPEN_FRIDAY)
    session_id = open_chat(client, auth)
    store = livechat_store()
    store.save_connection(
        Connection(
            connection_id="conn-gone", user_id="alice", connected_at=frozen_clock(OPEN_FRIDAY)
        )
    )
    store.subscribe("conn-gone", session_id)
    management = aws.websocket_connections(ENDPOINT)

    with Stubber(management) as stubber:
        stubber.add_client_error(
            "post_to_connection", service_error_code="GoneException", http_status_code=410
        )
        response = client.http.post(
            f"/livechat/sessions/{session_id}/messages",
            body=json.dumps({"text": "Toujours là ?"}),
            headers=auth("alice"),
        )
        stubber.assert_no_pending_responses()

    assert response.status_code == 201
    session = store.session(session_id)
    assert session is not None and session.connections == set()
    assert store.connection("conn-gone") is None


def test_push_is_off_without_an_endpoint(
    client: Any,
    auth: Callable[[str], dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEBSOCKET_ENDPOINT", "")
    from chalicelib.shared.config import get_settings

    get_settings.cache_clear()

    assert isinstance(livechat_push(livechat_store()), NoPush)


def follow_queue(client: Any, connection_id: str) -> None:
    frame = json.dumps({"action": "follow_queue"})
    client.lambda_.invoke("livechat_ws_message", ws_event("$default", connection_id, body=frame))


def test_advisors_following_the_queue_are_told_when_a_chat_joins_or_leaves_it(
    client: Any,
    auth: Callable[[str], dict[str, str]],
    token_for: Callable[..., str],
    frozen_clock: Callable[[str], datetime],
) -> None:
    frozen_clock(OPEN_FRIDAY)
    connect(client, "conn-sophie", token_for("sophie", groups=["support_agents"]))
    connect(client, "conn-alice", token_for("alice"))
    follow_queue(client, "conn-sophie")
    follow_queue(client, "conn-alice")

    session_id = open_chat(client, auth)
    client.http.post(f"/agent/livechat/sessions/{session_id}/accept", headers=auth("sophie"))
    # A message in an accepted chat does not change the queue.
    client.http.post(
        f"/livechat/sessions/{session_id}/messages",
        body=json.dumps({"text": "Bonjour"}),
        headers=auth("alice"),
    )

    frames = sent_frames()
    sophie = [frame["type"] for connection, frame in frames if connection == "conn-sophie"]
    alice = [frame for connection, frame in frames if connection == "conn-alice"]
    assert sophie == ["following_queue", "queue", "queue"]
    assert [(f["type"], f["problem"]["status"]) for f in alice] == [("error", 403)]


def test_a_disconnected_advisor_no_longer_follows_the_queue(
    client: Any, token_for: Callable[..., str]
) -> None:
    from chalicelib.livechat.followers import QueueFollowers
    from chalicelib.shared.config import get_settings

    connect(client, "conn-sophie", token_for("sophie", groups=["support_agents"]))
    follow_queue(client, "conn-sophie")
    followers = QueueFollowers(aws.table(get_settings().livechat_table))
    following = followers.connections()

    client.lambda_.invoke("livechat_ws_disconnect", ws_event("$disconnect", "conn-sophie"))

    assert following == ["conn-sophie"]
    assert followers.connections() == []
