"""Routing's event handlers: the tickets table's stream to the recipient queues, and the
consumers of those queues. Each returns a partial batch response
(chalicelib/endpoints/batches.py); app.py declares them.

`dispatch_tickets` reads the tickets table's stream and sends tickets to their
queue (chalicelib/routing/dispatch.py); `deliver_support_tickets` and
`deliver_business_tickets` consume those queues (chalicelib/routing/consumers.py).
"""

from __future__ import annotations

from chalice.app import DynamoDBEvent, DynamoDBRecord, SQSEvent

from chalicelib.endpoints import wiring
from chalicelib.endpoints.batches import BatchResponse, each_message, in_order
from chalicelib.routing import consumers, dispatch
from chalicelib.shared import clock
from chalicelib.shared.config import get_settings
from chalicelib.tickets.records import RecipientType


def dispatch_tickets(event: DynamoDBEvent) -> BatchResponse:
    queues, mailer, settings = wiring.ticket_queues(), wiring.mailer(), get_settings()

    def dispatch_record(record: DynamoDBRecord) -> None:
        change = dispatch.StreamRecord(
            event_name=record.event_name, new_image=record.new_image, old_image=record.old_image
        )
        dispatch.dispatch_change(change, queues, mailer, settings)

    return in_order(event, dispatch_record)


def _deliver(event: SQSEvent, queue: RecipientType) -> BatchResponse:
    delivery = wiring.delivery()
    return each_message(
        event, lambda record: consumers.deliver_ticket(record.body, queue, delivery, clock.now())
    )


def deliver_support_tickets(event: SQSEvent) -> BatchResponse:
    return _deliver(event, "support")


def deliver_business_tickets(event: SQSEvent) -> BatchResponse:
    return _deliver(event, "business")
