"""What each Lambda function of the app may do, as data: one entry per packaged function.

Keys are the function names of the packaged template (`chalice package`):
`APIHandler` serves every HTTP route; an event handler `def on_support_ticket`
becomes `OnSupportTicket`; websocket handlers are `WebsocketConnect`,
`WebsocketMessage`, `WebsocketDisconnect`. A handler added to the app needs a
line here, or synthesis fails and says which one is missing.

Write here what the handler's *code* does. What its *event source* needs is
granted by the stack from the packaged template, so it is not repeated:
SQS consumers get ReceiveMessage/DeleteMessage/GetQueueAttributes/
ChangeMessageVisibility on their queue, DynamoDB stream handlers the four
stream reads on their table's stream, and every function writes to its own
log group only.

A table grant covers the table and its indexes. Example for the tickets area:

    "OnSupportTicket": (Access(TICKETS, READ_ITEMS + ("dynamodb:UpdateItem",)),
                        Access(MAIL_SENDER, SEND_MAIL)),
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.resources import (
    BUSINESS_QUEUE,
    CONVERSATIONS,
    DIRECTORY,
    IDEMPOTENCY,
    LIVECHAT,
    RATE_LIMITS,
    SUPPORT_QUEUE,
    TICKETS,
    UPLOADS,
    Bucket,
    Queue,
    Table,
)


@dataclass(frozen=True)
class Objects:
    """Objects of a bucket under a key prefix ("" for all of them)."""

    bucket: Bucket
    prefix: str = ""


@dataclass(frozen=True)
class MailSender:
    """The SES identity of the sender address (MAIL_SENDER)."""


@dataclass(frozen=True)
class WebSocketConnections:
    """The connections of the app's WebSocket API (`post_to_connection`)."""


MAIL_SENDER = MailSender()
WEBSOCKET_CONNECTIONS = WebSocketConnections()

Target = Table | Queue | Bucket | Objects | MailSender | WebSocketConnections


@dataclass(frozen=True)
class Access:
    """Some IAM actions on one resource of infra/resources.py (or the SES identity...)."""

    target: Target
    actions: tuple[str, ...]


READ_ITEMS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem")
# Transactions are authorised item by item, on these actions.
WRITE_ITEMS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
)
SEND_MESSAGE = ("sqs:SendMessage",)
SEND_MAIL = ("ses:SendEmail", "ses:SendRawEmail")
READ_OBJECTS = ("s3:GetObject",)
WRITE_OBJECTS = ("s3:PutObject",)
POST_TO_CONNECTION = ("execute-api:ManageConnections",)

PERMISSIONS: dict[str, tuple[Access, ...]] = {
    # Every HTTP route: the directory (read side), the first responses of
    # creating calls (GetItem on replay, a Put in the creating transaction),
    # and the rate-limit counters (one UpdateItem per hit).
    "APIHandler": (
        Access(DIRECTORY, READ_ITEMS),
        Access(IDEMPOTENCY, ("dynamodb:GetItem", "dynamodb:PutItem")),
        Access(RATE_LIMITS, ("dynamodb:UpdateItem",)),
        # LiveChat: sessions, messages, queue, closures, ratings; the assistant
        # transcript a chat comes from; push of new messages.
        Access(LIVECHAT, READ_ITEMS + WRITE_ITEMS),
        # The assistant: conversations and insights; the caller's latest tickets.
        Access(CONVERSATIONS, READ_ITEMS + WRITE_ITEMS),
        Access(TICKETS, READ_ITEMS + WRITE_ITEMS),
        # Attachments: presigned POST (signed with this role, with a tagging
        # field) and presigned GET under uploads/.
        Access(
            Objects(UPLOADS, "uploads/"), ("s3:PutObject", "s3:PutObjectTagging", "s3:GetObject")
        ),
        Access(WEBSOCKET_CONNECTIONS, POST_TO_CONNECTION),
    ),
    # Every 5 minutes: record opening/closing, notify the chats still waiting.
    "LivechatOpeningCheck": (
        Access(LIVECHAT, READ_ITEMS + WRITE_ITEMS),
        Access(WEBSOCKET_CONNECTIONS, POST_TO_CONNECTION),
    ),
    # The tickets table's stream: route each new or transferred ticket to its
    # recipient type's queue; e-mail the emitter when a recipient replies.
    "DispatchTickets": (
        Access(SUPPORT_QUEUE, SEND_MESSAGE),
        Access(BUSINESS_QUEUE, SEND_MESSAGE),
        Access(MAIL_SENDER, SEND_MAIL),
    ),
    # Deliver a ticket to its recipient: history event, e-mail to the team.
    "DeliverSupportTickets": (
        Access(TICKETS, ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")),
        Access(MAIL_SENDER, SEND_MAIL),
    ),
    "DeliverBusinessTickets": (
        Access(TICKETS, ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")),
        Access(DIRECTORY, ("dynamodb:GetItem",)),
        Access(MAIL_SENDER, SEND_MAIL),
    ),
    # Checks each upload S3 announces (through the upload-events queue).
    "CheckUpload": (
        Access(TICKETS, ("dynamodb:GetItem", "dynamodb:UpdateItem")),
        Access(
            Objects(UPLOADS, "uploads/"),
            ("s3:GetObject", "s3:PutObjectTagging", "s3:DeleteObject"),
        ),
    ),
    "WebsocketConnect": (Access(LIVECHAT, ("dynamodb:PutItem",)),),
    "WebsocketMessage": (
        Access(LIVECHAT, ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")),
        Access(WEBSOCKET_CONNECTIONS, POST_TO_CONNECTION),
    ),
    "WebsocketDisconnect": (
        Access(LIVECHAT, ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")),
    ),
}
