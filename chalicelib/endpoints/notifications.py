"""Notifications: the consumer that e-mails whom a ticket's event concerns, and the local
stage's mailbox (`GET /local/mailbox`, 404 in every other stage).

`send_notifications` (declared in app.py) consumes the notifications queue: a
message that fails is reported alone (a partial batch response,
chalicelib/endpoints/batches.py), comes back, and after 5 receives goes to the
queue's dead-letter queue (chalicelib/routing/notify.py).
"""

from __future__ import annotations

from chalice.app import SQSEvent
from pydantic import Field

from chalicelib.endpoints import wiring
from chalicelib.endpoints.api import Api, Call, RequestModel
from chalicelib.endpoints.batches import BatchResponse, each_message
from chalicelib.routing import notify
from chalicelib.routing.mailbox import KeptMail
from chalicelib.shared import clock
from chalicelib.shared.config import get_settings
from chalicelib.shared.errors import NotFoundError

api = Api("notifications")


def send_notifications(event: SQSEvent) -> BatchResponse:
    ctx = wiring.notifying()
    return each_message(event, lambda record: notify.send_notices(record.body, ctx, clock.now()))


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
