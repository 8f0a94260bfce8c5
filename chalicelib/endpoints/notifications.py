"""Notifications: the consumer that e-mails whom a ticket's event concerns, and the local
stage's mailbox (`GET /local/mailbox`, 404 in every other stage).

`send_notifications` consumes the notifications queue one message at a time: a
message that fails raises, comes back, and after 5 receives goes to the queue's
dead-letter queue alone (chalicelib/routing/notify.py).
"""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import SQSEvent
from pydantic import Field

from chalicelib.endpoints import wiring
from chalicelib.endpoints.api import Api, Call, RequestModel
from chalicelib.routing import notify
from chalicelib.routing.mailbox import KeptMail
from chalicelib.shared import clock
from chalicelib.shared.config import current_stage, get_settings, resource_name
from chalicelib.shared.errors import NotFoundError

blueprint = Blueprint(__name__)
api = Api(blueprint, "notifications")


@blueprint.on_sqs_message(queue=resource_name(current_stage(), "notifications"), batch_size=1)
def send_notifications(event: SQSEvent) -> None:
    ctx = wiring.notifying()
    for record in event:
        notify.send_notices(record.body, ctx, clock.now())


class MailboxQuery(RequestModel):
    to: str | None = Field(None, max_length=254)
    limit: int = Field(50, ge=1, le=100)


@api.route(
    "/local/mailbox",
    summary=(
        "Every e-mail the local stack sent, newest first, to one address or to all"
        " (local stage only; 404 elsewhere)"
    ),
    query=MailboxQuery,
    response=list[KeptMail],
    anonymous=True,
    errors=(404, 422),
)
def local_mailbox(call: Call) -> list[KeptMail]:
    if get_settings().stage != "local":
        raise NotFoundError("Cette route n'existe que dans l'environnement local.")
    query: MailboxQuery = call.query
    return wiring.mailbox().list(query.to or None, query.limit)
