"""Push of new chat messages to connected clients over an API Gateway WebSocket API.

Deployed stages only: the management endpoint comes from WEBSOCKET_ENDPOINT;
empty (the local stack, the tests by default), push is off (`NoPush`) and clients
poll `GET /livechat/sessions/{id}/messages?after=`. The edge picks which
(chalicelib/endpoints/wiring.py: `livechat_push`).

A client connects with `?token=<JWT>` (or without, for a person who cannot log
in), then sends `{"action": "subscribe", "session_id": ..., "session_token"?: ...}`
to follow one chat (the same participant rule as HTTP: livechat/access.py). The
chat item lists its connections, so a message costs no extra read to find whom
to push to: one `post_to_connection` per connection. A connection API Gateway
reports gone (GoneException) is unsubscribed and deleted; $disconnect does the
same.

Advisors' consoles follow the queue too: `{"action": "follow_queue"}` (support
agents only) adds the connection to the queue's followers (livechat/followers.py),
and each chat that joins or leaves the queue sends them `{"type": "queue"}`, on
which the console reads the queue again.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import Field, ValidationError

from chalicelib.auth import SUPPORT_AGENTS, Identity
from chalicelib.livechat.access import Caller, load, participant
from chalicelib.livechat.followers import QueueFollowers
from chalicelib.livechat.models import ChatMessage, ChatSession, Connection
from chalicelib.livechat.store import LiveChatStore
from chalicelib.shared.errors import (
    ForbiddenError,
    GuichetError,
    InvalidFieldsError,
    NotFoundError,
)
from chalicelib.shared.models import Model


class Push(Protocol):
    """Tells a chat's connected clients about a new message."""

    def message_posted(self, session: ChatSession, message: ChatMessage) -> None:
        """Send the message to every connection following the chat."""
        ...

    def send(self, connection_id: str, payload: dict[str, Any], session_id: str | None) -> bool:
        """Post one frame to a connection; False when it is gone (and then forgotten)."""
        ...

    def queue_changed(self) -> None:
        """Tell the advisors' consoles following the queue that it changed."""
        ...

    def follow_queue(self, connection_id: str, follow: bool) -> None:
        """Add a connection to the queue's followers (False: remove it)."""
        ...


class NoPush:
    """Push switched off (local stack): clients poll."""

    def message_posted(self, session: ChatSession, message: ChatMessage) -> None:
        return None

    def send(self, connection_id: str, payload: dict[str, Any], session_id: str | None) -> bool:
        return False

    def queue_changed(self) -> None:
        return None

    def follow_queue(self, connection_id: str, follow: bool) -> None:
        return None


class WebSocketPush:
    """Posts to API Gateway WebSocket connections; forgets the ones that are gone."""

    def __init__(self, client: Any, store: LiveChatStore, followers: QueueFollowers) -> None:
        self._client = client
        self._store = store
        self._followers = followers

    def message_posted(self, session: ChatSession, message: ChatMessage) -> None:
        payload = {
            "type": "message",
            "session_id": session.session_id,
            "status": session.status,
            "message": message.model_dump(mode="json"),
        }
        for connection_id in sorted(session.connections):
            self.send(connection_id, payload, session.session_id)

    def send(self, connection_id: str, payload: dict[str, Any], session_id: str | None) -> bool:
        """Post one frame; False (and the connection removed) when it is gone."""
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
        except self._client.exceptions.GoneException:
            if session_id is not None:
                self._store.unsubscribe(connection_id, session_id)
            self._store.forget_connection(connection_id)
            return False
        return True

    def queue_changed(self) -> None:
        """One GetItem for the followers, one frame each; the gone ones unfollow."""
        for connection_id in self._followers.connections():
            if not self.send(connection_id, {"type": "queue"}, None):
                self._followers.unfollow(connection_id)

    def follow_queue(self, connection_id: str, follow: bool) -> None:
        if follow:
            self._followers.follow(connection_id)
        else:
            self._followers.unfollow(connection_id)


class SubscribeRequest(Model):
    """A client's frame: follow one chat."""

    action: Literal["subscribe"]
    session_id: str = Field(min_length=1, max_length=64)
    session_token: str | None = Field(None, max_length=128)


def connect(
    store: LiveChatStore, connection_id: str, identity: Identity | None, now: datetime
) -> None:
    """Remember a new connection and whose it is (the token was verified by the caller)."""
    store.save_connection(
        Connection(
            connection_id=connection_id,
            user_id=identity.user_id if identity else None,
            roles=sorted(identity.roles) if identity else [],
            connected_at=now,
        )
    )


class FollowQueueRequest(Model):
    """An advisor's console's frame: follow the queue."""

    action: Literal["follow_queue"]


def follow_queue(store: LiveChatStore, push: Push, connection_id: str) -> None:
    """An advisor's connection follows the queue; anyone else's gets a 403 frame."""
    connection = store.connection(connection_id)
    if connection is None or SUPPORT_AGENTS not in connection.roles:
        error = ForbiddenError("La file d'attente est réservée aux conseillers du support.")
        push.send(connection_id, {"type": "error", "problem": error.problem()}, None)
        return
    push.follow_queue(connection_id, True)
    push.send(connection_id, {"type": "following_queue"}, None)


def subscribe(store: LiveChatStore, push: Push, connection_id: str, body: str) -> None:
    """Follow the chat a frame names, if the connection may read it; answer with a frame.

    `{"action": "follow_queue"}` follows the advisors' queue instead.
    """
    try:
        FollowQueueRequest.model_validate_json(body)
    except ValidationError:
        pass
    else:
        follow_queue(store, push, connection_id)
        return
    try:
        request = SubscribeRequest.model_validate_json(body)
        connection = store.connection(connection_id)
        if connection is None:
            raise NotFoundError("Connexion inconnue : reconnectez-vous.")
        identity = None
        if connection.user_id:
            identity = Identity(user_id=connection.user_id, roles=frozenset(connection.roles))
        session = load(store, request.session_id)
        participant(session, Caller(identity, request.session_token))
    except ValidationError:
        error: GuichetError = InvalidFieldsError.single("action", "Message WebSocket invalide.")
        push.send(connection_id, {"type": "error", "problem": error.problem()}, None)
        return
    except GuichetError as failure:
        push.send(connection_id, {"type": "error", "problem": failure.problem()}, None)
        return
    if connection.session_id and connection.session_id != session.session_id:
        store.unsubscribe(connection_id, connection.session_id)
    store.subscribe(connection_id, session.session_id)
    frame = {"type": "subscribed", "session_id": session.session_id, "last_seq": session.last_seq}
    push.send(connection_id, frame, session.session_id)


def disconnect(store: LiveChatStore, push: Push, connection_id: str) -> None:
    connection = store.forget_connection(connection_id)
    if connection is not None and connection.session_id:
        store.unsubscribe(connection_id, connection.session_id)
    if connection is not None and SUPPORT_AGENTS in connection.roles:
        push.follow_queue(connection_id, False)
