"""Guichet's Chalice app: wiring only. Each area's routes and handlers are a blueprint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Chalice

from chalicelib.endpoints import assistant, attachments, desk, identity, livechat, routing, tickets
from chalicelib.endpoints.api import problem_middleware

if TYPE_CHECKING:
    from chalice import Response
    from chalice.app import WebsocketEvent

app = Chalice(app_name="guichet")
app.register_middleware(problem_middleware, "http")
app.register_blueprint(identity.blueprint)
app.register_blueprint(livechat.blueprint)
app.register_blueprint(assistant.blueprint)
app.register_blueprint(attachments.blueprint)
app.register_blueprint(tickets.blueprint)
app.register_blueprint(desk.blueprint)
app.register_blueprint(routing.blueprint)

# LiveChat push. WebSocket handlers must be declared on the app: on a Blueprint
# Chalice does not wrap them (no websocket_api), so they would get raw events.
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_connect()
def livechat_ws_connect(event: WebsocketEvent) -> Response | None:
    return livechat.ws_connect(event)


@app.on_ws_message()
def livechat_ws_message(event: WebsocketEvent) -> None:
    livechat.ws_message(event)


@app.on_ws_disconnect()
def livechat_ws_disconnect(event: WebsocketEvent) -> None:
    livechat.ws_disconnect(event)
