"""Routing's event handlers: the tickets table's stream to the recipient queues, and the
consumers of those queues.

`dispatch_tickets` reads the tickets table's stream and sends tickets to their
queue (chalicelib/routing/dispatch.py); `deliver_support_tickets` and
`deliver_business_tickets` consume those queues, one message at a time
(chalicelib/routing/consumers.py).
"""

from __future__ import annotations

from chalice.app import DynamoDBEvent, SQSEvent

from chalicelib.endpoints import wiring
from chalicelib.routing import consumers, dispatch
from chalicelib.shared import clock
from chalicelib.shared.config import get_settings
from chalicelib.tickets.records import RecipientType


def dispatch_tickets(event: DynamoDBEvent) -> None:
    records = [
        dispatch.StreamRecord(
            event_name=record.event_name, new_image=record.new_image, old_image=record.old_image
        )
        for record in event
    ]
    dispatch.dispatch_changes(records, wiring.ticket_queues(), wiring.mailer(), get_settings())


def _deliver(event: SQSEvent, queue: RecipientType) -> None:
    delivery = wiring.delivery()
    for record in event:
        consumers.deliver_ticket(record.body, queue, delivery, clock.now())


def deliver_support_tickets(event: SQSEvent) -> None:
    _deliver(event, "support")


def deliver_business_tickets(event: SQSEvent) -> None:
    _deliver(event, "business")
