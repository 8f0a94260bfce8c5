"""The attachment items of the tickets table: the only code that talks to DynamoDB about them.

Items `ATTACHMENT#{id}` / `ATTACHMENT`. Claimed attachments carry gsi1pk
`ATTACHMENTS#{ticket_id}`, so a ticket's attachments also come back with one Query.
Claiming is part of the ticket's (or comment's) transaction: each claimed
attachment is one item labelled `attachment:{id}`, whose condition re-checks owner,
`ready` and "not on another ticket".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.attachments.models import Attachment, AttachmentClaim
from chalicelib.shared.dynamo import DynamoTransaction, Transaction, condition_failed

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

CLAIM_LABEL = "attachment:"


class AttachmentRepository(Protocol):
    """Attachment records (DynamoDB, or an in-memory fake)."""

    def add(self, attachment: Attachment) -> None:
        """Record a new attachment; a failed condition (`condition_failed`) if the id exists."""
        ...

    def get(self, attachment_id: str) -> Attachment | None:
        """An attachment, strongly consistent, expired or not (callers check `is_live`)."""
        ...

    def get_many(self, attachment_ids: Sequence[str]) -> dict[str, Attachment]:
        """Those of `attachment_ids` that exist, by id (strongly consistent)."""
        ...

    def for_ticket(self, ticket_id: str) -> list[Attachment]:
        """The attachments claimed by the ticket, by claim time then id (one gsi1 Query)."""
        ...

    def mark_ready(self, attachment_id: str, size: int, expires_at: int | None) -> bool:
        """Ready with its real size (and a new expiry if given); False if missing or rejected."""
        ...

    def mark_rejected(self, attachment_id: str, reason: str, size: int | None) -> bool:
        """Rejected with the reason (and the real size if known); False if missing."""
        ...

    def claim_in(self, tx: Transaction, claim: AttachmentClaim, now: datetime) -> None:
        """Add to `tx` the claims of `claim.attachments` (labels `attachment:{id}`)."""
        ...


class DynamoAttachmentRepository:
    """Attachment items of the tickets table (pk `ATTACHMENT#{id}`, sk `ATTACHMENT`).

    Claimed attachments carry gsi1pk `ATTACHMENTS#{ticket_id}` so a ticket's
    attachments come back with one Query.
    """

    def __init__(self, table: Table) -> None:
        self._table = table

    @property
    def _client(self) -> Any:
        # The table resource's client: it (de)serialises attribute values itself.
        return self._table.meta.client

    @staticmethod
    def _key(attachment_id: str) -> dict[str, str]:
        return {"pk": f"ATTACHMENT#{attachment_id}", "sk": "ATTACHMENT"}

    def add(self, attachment: Attachment) -> None:
        item = {**self._key(attachment.attachment_id), **_item(attachment)}
        self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")

    def get(self, attachment_id: str) -> Attachment | None:
        response = self._table.get_item(Key=self._key(attachment_id), ConsistentRead=True)
        item = response.get("Item")
        return None if item is None else Attachment.model_validate(item)

    def get_many(self, attachment_ids: Sequence[str]) -> dict[str, Attachment]:
        """The attachments that exist among `attachment_ids` (one BatchGetItem for ≤ 100)."""
        if not attachment_ids:
            return {}
        name = self._table.name
        request: dict[str, Any] = {
            name: {
                "Keys": [self._key(i) for i in dict.fromkeys(attachment_ids)],
                "ConsistentRead": True,
            }
        }
        found: dict[str, Attachment] = {}
        while request:
            response: Any = self._client.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(name, []):
                attachment = Attachment.model_validate(item)
                found[attachment.attachment_id] = attachment
            request = response.get("UnprocessedKeys") or {}
        return found

    def for_ticket(self, ticket_id: str) -> list[Attachment]:
        response = self._table.query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": f"ATTACHMENTS#{ticket_id}"},
        )
        return [Attachment.model_validate(item) for item in response["Items"]]

    def mark_ready(self, attachment_id: str, size: int, expires_at: int | None) -> bool:
        """Ready with its real size; False if it was rejected meanwhile (rejection is final)."""
        update = "SET #status = :ready, #size = :size REMOVE reason"
        values: dict[str, Any] = {":ready": "ready", ":size": size, ":rejected": "rejected"}
        if expires_at is not None:
            update = "SET #status = :ready, #size = :size, expires_at = :expires REMOVE reason"
            values[":expires"] = expires_at
        return self._update(
            attachment_id,
            update,
            values,
            condition="attribute_exists(pk) AND #status <> :rejected",
            names={"#status": "status", "#size": "size"},
        )

    def mark_rejected(self, attachment_id: str, reason: str, size: int | None) -> bool:
        values: dict[str, Any] = {":rejected": "rejected", ":reason": reason}
        update = "SET #status = :rejected, reason = :reason"
        if size is not None:
            update += ", #size = :size"
            values[":size"] = size
        return self._update(
            attachment_id,
            update,
            values,
            condition="attribute_exists(pk)",
            names={"#status": "status", "#size": "size"},
        )

    def _update(
        self,
        attachment_id: str,
        update: str,
        values: dict[str, Any],
        *,
        condition: str,
        names: dict[str, str] | None = None,
    ) -> bool:
        kwargs: dict[str, Any] = {
            "Key": self._key(attachment_id),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if names:
            kwargs["ExpressionAttributeNames"] = {
                k: v for k, v in names.items() if k in update or k in condition
            }
        try:
            self._table.update_item(**kwargs)
        except Exception as error:
            if condition_failed(error):
                return False
            raise
        return True

    def claim_in(self, tx: Transaction, claim: AttachmentClaim, now: datetime) -> None:
        """Tie the attachments to the ticket (and end their TTL), if still the owner's and ready."""
        assert isinstance(tx, DynamoTransaction)
        owner, ticket_id = claim.owner, claim.ticket_id
        for attachment in claim.attachments:
            tx.update(
                CLAIM_LABEL + attachment.attachment_id,
                self._table.name,
                self._key(attachment.attachment_id),
                "SET ticket_id = :ticket, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk REMOVE expires_at",
                condition=(
                    "#owner = :owner AND #status = :ready "
                    "AND (attribute_not_exists(ticket_id) OR ticket_id = :ticket)"
                ),
                names={"#owner": "owner", "#status": "status"},
                values={
                    ":ticket": ticket_id,
                    ":owner": owner,
                    ":ready": "ready",
                    ":gsi1pk": f"ATTACHMENTS#{ticket_id}",
                    ":gsi1sk": f"{now.isoformat()}#{attachment.attachment_id}",
                },
            )


def _item(attachment: Attachment) -> dict[str, Any]:
    return attachment.model_dump(mode="json", exclude_none=True)
