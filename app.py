"""Guichet's Chalice app: wiring only.

The routes come from the route table (chalicelib/endpoints/table.py): each is
served by its area's edge module, imported on the first request it serves. The
scheduled and event-driven functions are declared here, and each imports its
edge module when first called. So a cold start pays only for the area it
serves: `import app` imports no area (tests/unit/test_architecture.py), which
keeps ~170 ms (bytecode compiled, every area and edge module) off every cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Chalice, Rate

from chalicelib.endpoints.api import problem_middleware
from chalicelib.endpoints.table import register_routes
from chalicelib.shared.config import current_stage, resource_name, tickets_stream_arn

if TYPE_CHECKING:
    from chalice import Response
    from chalice.app import CloudWatchEvent, DynamoDBEvent, SQSEvent, WebsocketEvent

STAGE = current_stage()
# SQS consumers handle each message of a batch on its own and report the ones that
# failed (partial batch responses, chalicelib/endpoints/batches.py), so a batch no
# longer drags a failing message's neighbours with it.
CONSUMER_BATCH_SIZE = 10

# Logging is ours (chalicelib/shared/logs.py, JSON lines on the "guichet" logger):
# Chalice's own set-up would take that very logger, add a plain-text stdout handler
# and raise its level to ERROR, silencing every INFO line logged after `import app`.
app = Chalice(app_name="guichet", configure_logs=False)
app.register_middleware(problem_middleware, "http")
register_routes(app)

# Each handler below imports its edge module when first called (see the docstring).


# TRIM_HORIZON: tickets written before the mapping existed are dispatched too.
@app.on_dynamodb_record(
    stream_arn=tickets_stream_arn(STAGE), batch_size=25, starting_position="TRIM_HORIZON"
)
def dispatch_tickets(event: DynamoDBEvent) -> dict[str, Any]:
    from chalicelib.endpoints import routing

    return routing.dispatch_tickets(event)


@app.on_sqs_message(queue=resource_name(STAGE, "support-tickets"), batch_size=CONSUMER_BATCH_SIZE)
def deliver_support_tickets(event: SQSEvent) -> dict[str, Any]:
    from chalicelib.endpoints import routing

    return routing.deliver_support_tickets(event)


@app.on_sqs_message(queue=resource_name(STAGE, "business-tickets"), batch_size=CONSUMER_BATCH_SIZE)
def deliver_business_tickets(event: SQSEvent) -> dict[str, Any]:
    from chalicelib.endpoints import routing

    return routing.deliver_business_tickets(event)


# S3 announces uploads to a queue (infra/resources.py), not straight to a function:
# Chalice cannot package `on_s3_event` beside the bucket's own notifications, and
# the queue gives retries and a dead-letter queue.
@app.on_sqs_message(queue=resource_name(STAGE, "upload-events"), batch_size=1)
def check_upload(event: SQSEvent) -> dict[str, Any]:
    from chalicelib.endpoints import attachments

    return attachments.check_upload(event)


@app.on_sqs_message(queue=resource_name(STAGE, "notifications"), batch_size=CONSUMER_BATCH_SIZE)
def send_notifications(event: SQSEvent) -> dict[str, Any]:
    from chalicelib.endpoints import notifications

    return notifications.send_notifications(event)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def livechat_opening_check(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.endpoints import livechat

    return livechat.livechat_opening_check(event)


# Reminders and automatic closings, idempotent, catching up after a missed run.
@app.schedule(Rate(15, unit=Rate.MINUTES))
def ticket_lifecycle(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.endpoints import tickets

    return tickets.ticket_lifecycle(event)


# LiveChat push. WebSocket handlers must be declared on the app: on a Blueprint
# Chalice does not wrap them (no websocket_api), so they would get raw events.
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_connect()
def livechat_ws_connect(event: WebsocketEvent) -> Response | None:
    from chalicelib.endpoints import livechat

    return livechat.ws_connect(event)


@app.on_ws_message()
def livechat_ws_message(event: WebsocketEvent) -> None:
    from chalicelib.endpoints import livechat

    livechat.ws_message(event)


@app.on_ws_disconnect()
def livechat_ws_disconnect(event: WebsocketEvent) -> None:
    from chalicelib.endpoints import livechat

    livechat.ws_disconnect(event)
