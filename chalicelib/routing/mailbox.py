"""The local mailbox: every e-mail the local stack sent, newest first (`GET /local/mailbox`).

Someone trying Guichet on their machine has no mail server: the mailer of the
local stage keeps each e-mail here, and the portal's `/local/mailbox` page shows
them with their links, so the whole journey (the acknowledgement, the follow-up
link, the support's answer) can be followed. Other stages keep nothing here (the
route is a 404 there).

Items of the mail table (kept 30 days):
  MAILBOX#{address} / {sent at}#{id}   one e-mail to that address (lower-cased)
      gsi1: MAILBOX / {sent at}#{id}   every e-mail, newest first
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.routing.mail import Mailer, OutgoingMail, header_text
from chalicelib.shared.models import Model

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

RETENTION_SECONDS = 30 * 24 * 3600
ALL = "MAILBOX"


class KeptMail(Model):
    """An e-mail the service sent, as the mailbox lists it."""

    to: str
    subject: str
    text: str
    html: str
    sent_at: datetime


class Mailbox(Protocol):
    """Where the local stage keeps the e-mails it sent (DynamoDB, or a fake)."""

    def keep(self, mail: OutgoingMail, sent_at: datetime) -> None:
        """Keep one e-mail sent at `sent_at`."""
        ...

    def list(self, to: str | None, limit: int) -> list[KeptMail]:
        """The latest e-mails (to one address, whatever its case, if `to` is given)."""
        ...


def mailbox_partition(address: str) -> str:
    return f"{ALL}#{address.strip().lower()}"


def _sort_key(sent_at: datetime) -> str:
    return sent_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") + "#" + uuid.uuid4().hex[:8]


class DynamoMailbox:
    """The mailbox in the mail table."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def keep(self, mail: OutgoingMail, sent_at: datetime) -> None:
        sort_key = _sort_key(sent_at)
        self._table.put_item(
            Item={
                "pk": mailbox_partition(mail.to),
                "sk": sort_key,
                "gsi1pk": ALL,
                "gsi1sk": sort_key,
                "item_type": "mail",
                **mail.model_dump(),
                "sent_at": sent_at.isoformat(),
                "expires_at": int(sent_at.timestamp()) + RETENTION_SECONDS,
            }
        )

    def list(self, to: str | None, limit: int) -> list[KeptMail]:
        """One Query: the address's partition, or gsi1 for every e-mail."""
        kwargs: dict[str, Any] = {"ScanIndexForward": False, "Limit": limit}
        if to:
            kwargs["KeyConditionExpression"] = "pk = :pk"
            kwargs["ExpressionAttributeValues"] = {":pk": mailbox_partition(to)}
        else:
            kwargs["IndexName"] = "gsi1"
            kwargs["KeyConditionExpression"] = "gsi1pk = :pk"
            kwargs["ExpressionAttributeValues"] = {":pk": ALL}
        items = self._table.query(**kwargs).get("Items", [])
        return [KeptMail.model_validate(item) for item in items]


class KeepingMailer:
    """A mailer that also keeps each e-mail it sent in the mailbox (local stage)."""

    def __init__(self, inner: Mailer, mailbox: Mailbox, clock: Callable[[], datetime]) -> None:
        self._inner = inner
        self._mailbox = mailbox
        self._clock = clock

    def send(self, mail: OutgoingMail) -> None:
        self._inner.send(mail)
        kept = mail.model_copy(
            update={"to": header_text(mail.to), "subject": header_text(mail.subject)}
        )
        self._mailbox.keep(kept, self._clock())
