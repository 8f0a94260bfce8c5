"""The notices ledger: each e-mail about an event goes once, however often its message comes.

A stream batch is retried whole, SQS delivers at least once, an operator may redrive
a dead-letter queue: the same event can reach the notifications consumer several
times. Before sending the e-mail of one event to one audience (key: ticket, event,
audience) the consumer *claims* it; it marks it *sent* once SES accepted it, or
*releases* it when sending failed, so that the retry sends it.

- claim: a conditional Put that succeeds when the key is new, or when an earlier
  claim is older than `LEASE_SECONDS` and was never marked sent (a consumer that
  died between claiming and sending: the e-mail may then go twice, the one case
  where it can, and only after a crash);
- a claim that finds the e-mail sent answers "sent" (nothing to do), one that finds
  a fresh claim answers "busy" (another delivery is sending it: retry later).

Items of the mail table: NOTICE#{ticket}#{event}#{audience} / NOTICE, with the
state, when claimed and sent, and a TTL of 30 days (past any redelivery: SQS keeps
a message 4 days, a dead-letter queue 14).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from chalicelib.shared.dynamo import condition_failed

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

Claim = Literal["claimed", "sent", "busy"]
LEASE_SECONDS = 300
RETENTION_SECONDS = 30 * 24 * 3600


class NoticeLedger(Protocol):
    """Which notices were sent (DynamoDB, or an in-memory fake)."""

    def claim(self, key: str, now: datetime) -> Claim:
        """Claim the sending of a notice: "claimed" (send it), "sent" or "busy" (do not)."""
        ...

    def mark_sent(self, key: str, now: datetime) -> None:
        """The notice went: no later claim may send it again."""
        ...

    def release(self, key: str) -> None:
        """Sending failed: forget the claim, so that a retry sends it."""
        ...


def notice_key(ticket_id: str, event_id: str, audience: str) -> str:
    return f"{ticket_id}#{event_id}#{audience}"


class DynamoNoticeLedger:
    """The ledger in the mail table."""

    def __init__(self, table: Table) -> None:
        self._table = table

    @staticmethod
    def _key(key: str) -> dict[str, str]:
        return {"pk": f"NOTICE#{key}", "sk": "NOTICE"}

    def claim(self, key: str, now: datetime) -> Claim:
        instant = int(now.timestamp())
        try:
            self._table.put_item(
                Item={
                    **self._key(key),
                    "item_type": "notice",
                    "state": "sending",
                    "claimed_at": instant,
                    "expires_at": instant + RETENTION_SECONDS,
                },
                ConditionExpression=(
                    "attribute_not_exists(pk) OR (#state = :sending AND claimed_at < :stale)"
                ),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":sending": "sending",
                    ":stale": instant - LEASE_SECONDS,
                },
            )
        except Exception as error:
            if not condition_failed(error):
                raise
            item = self._table.get_item(Key=self._key(key), ConsistentRead=True).get("Item")
            return "sent" if item is not None and item.get("state") == "sent" else "busy"
        return "claimed"

    def mark_sent(self, key: str, now: datetime) -> None:
        self._table.update_item(
            Key=self._key(key),
            UpdateExpression="SET #state = :sent, sent_at = :now",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":sent": "sent", ":now": int(now.timestamp())},
        )

    def release(self, key: str) -> None:
        try:
            self._table.delete_item(
                Key=self._key(key),
                ConditionExpression="#state = :sending",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":sending": "sending"},
            )
        except Exception as error:
            if not condition_failed(error):
                raise
