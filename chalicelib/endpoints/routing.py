"""Routing's event handlers: the tickets table's stream to the recipient queues, and the
consumers of those queues.

`dispatch_tickets` reads the tickets table's stream and sends tickets to their
queue, and events that concern someone to the notifications queue
(chalicelib/routing/dispatch.py); `deliver_support_tickets` and
`deliver_business_tickets` consume the recipients' queues, one message at a time
(chalicelib/routing/consumers.py). The notifications consumer is in
chalicelib/endpoints/notifications.py.
"""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import DynamoDBEvent, SQSEvent

from chalicelib.endpoints import wiring
from chalicelib.routing import consumers, dispatch
from chalicelib.shared import clock
from chalicelib.shared.config import current_stage, resource_name
from chalicelib.tickets.records import RecipientType

blueprint = Blueprint(__name__)


# TRIM_HORIZON: tickets written before the mapping existed are dispatched too.
@blueprint.on_dynamodb_record(
    stream_arn=dispatch.tickets_stream_arn(), batch_size=25, starting_position="TRIM_HORIZON"
)
def dispatch_tickets(event: DynamoDBEvent) -> None:
    records = [
        dispatch.StreamRecord(
            event_name=record.event_name, new_image=record.new_image, old_image=record.old_image
        )
        for record in event
    ]
    dispatch.dispatch_changes(records, wiring.ticket_queues())


def _deliver(event: SQSEvent, queue: RecipientType) -> None:
    delivery = wiring.delivery()
    for record in event:
        consumers.deliver_ticket(record.body, queue, delivery, clock.now())


@blueprint.on_sqs_message(queue=resource_name(current_stage(), "support-tickets"), batch_size=1)
def deliver_support_tickets(event: SQSEvent) -> None:
    _deliver(event, "support")


@blueprint.on_sqs_message(queue=resource_name(current_stage(), "business-tickets"), batch_size=1)
def deliver_business_tickets(event: SQSEvent) -> None:
    _deliver(event, "business")
