"""A small Chalice app with every kind of handler Guichet's issues add, to synthesise in tests.

The real app has HTTP routes only for now; this one also has the event sources
the stack must wire (SQS consumers, a DynamoDB stream dispatcher, a schedule,
websockets), declared exactly as the areas will declare them.
"""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Rate

from chalicelib.shared.config import current_stage, resource_name

app = Chalice(app_name="guichet")
app.experimental_feature_flags.update(["WEBSOCKETS"])
STAGE = current_stage()


@app.route("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.on_sqs_message(queue=resource_name(STAGE, "support-tickets"), batch_size=1)
def on_support_ticket(event: Any) -> None:
    return None


@app.on_dynamodb_record(
    stream_arn=(
        f"arn:aws:dynamodb:eu-west-3:000000000000:table/{resource_name(STAGE, 'tickets')}"
        "/stream/placeholder"
    )
)
def dispatch_tickets(event: Any) -> None:
    return None


@app.schedule(Rate(1, unit=Rate.MINUTES))
def close_idle_chats(event: Any) -> None:
    return None


@app.on_ws_connect()
def connect(event: Any) -> None:
    return None


@app.on_ws_message()
def message(event: Any) -> None:
    return None


@app.on_ws_disconnect()
def disconnect(event: Any) -> None:
    return None
