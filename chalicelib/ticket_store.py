"""The tickets table adapter: the only code that talks to DynamoDB about tickets.

Creating a ticket and changing its status are transactions (the ticket and its
history event, plus the idempotency record on creation and the claims of the
attachments it brings), so a history never misses a change, a retry never
creates twice, and an attachment is on a ticket exactly when the ticket says so.
A status change is an UpdateItem of the attributes that changed, conditioned on
the version read (optimistic locking: a concurrent change is a 409), and never
touches the attributes the queue consumer owns (`delivered_seq`, `notified_seq`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.shared import dynamo
from chalicelib.shared.errors import ConflictError
from chalicelib.shared.pagination import Page, decode_cursor, encode_cursor
from chalicelib.ticket_records import (
    CONSUMER_ATTRIBUTES,
    KEY_ATTRIBUTES,
    TicketEvent,
    TicketRecord,
    TicketStatus,
    desk_status_prefix,
    emitter_partition,
    emitter_status_partition,
    event_item,
    strip_keys,
    ticket_item,
    ticket_pk,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class TransactionConflict(Exception):
    """A transaction was cancelled; `codes` holds each item's reason."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__(", ".join(codes))
        self.codes = codes


class TicketStore:
    """Reads and writes tickets, their events and the reference counter."""

    def __init__(self, table: Table, client: Any) -> None:
        self._table = table
        self._client = client

    @property
    def table_name(self) -> str:
        return self._table.name

    # Writes

    def next_reference_number(self, year: int) -> int:
        """The next number of the year's reference sequence (unique, increasing)."""
        response = self._table.update_item(
            Key={"pk": f"COUNTER#reference#{year}", "sk": "COUNTER"},
            UpdateExpression="ADD last_number :one SET item_type = :type",
            ExpressionAttributeValues={":one": 1, ":type": "counter"},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["last_number"])  # type: ignore[arg-type]

    def create(
        self, ticket: TicketRecord, event: TicketEvent, extra: Sequence[dict[str, Any]] = ()
    ) -> None:
        """Write a new ticket, its first event and `extra` transaction items, all or nothing."""
        items = [
            dynamo.put(self.table_name, ticket_item(ticket), condition="attribute_not_exists(pk)"),
            dynamo.put(self.table_name, event_item(event)),
            *extra,
        ]
        self._transact(items)

    def change(
        self,
        before: TicketRecord,
        after: TicketRecord,
        event: TicketEvent,
        extra: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Store `after` over `before` (read at `before.version`) with its history event.

        `extra` transaction items (attachment claims) follow, from index 2.
        Raises ConflictError when the ticket changed since it was read, and
        TransactionConflict when only an `extra` item failed.
        """
        update = self._update_spec(before, after)
        items = [{"Update": update}, dynamo.put(self.table_name, event_item(event)), *extra]
        try:
            self._transact(items)
        except TransactionConflict as conflict:
            if conflict.codes and conflict.codes[0] == "ConditionalCheckFailed":
                raise ConflictError(
                    "Le ticket vient d'être modifié par quelqu'un d'autre : rechargez-le."
                ) from conflict
            raise

    def mark_delivered(self, ticket_id: str, dispatch_seq: int, event: TicketEvent) -> bool:
        """Record a delivery once per dispatch; False when it was already recorded."""
        update = {
            "TableName": self.table_name,
            "Key": dynamo.serialize({"pk": ticket_pk(ticket_id), "sk": "TICKET"}),
            "UpdateExpression": "SET delivered_seq = :seq",
            "ConditionExpression": "dispatch_seq = :seq AND delivered_seq < :seq",
            "ExpressionAttributeValues": dynamo.serialize({":seq": dispatch_seq}),
        }
        try:
            self._transact([{"Update": update}, dynamo.put(self.table_name, event_item(event))])
        except TransactionConflict as conflict:
            if conflict.codes and conflict.codes[0] == "ConditionalCheckFailed":
                return False
            raise
        return True

    def mark_notified(self, ticket_id: str, dispatch_seq: int) -> bool:
        """Record the recipient team's e-mail once per dispatch; False if already recorded."""
        try:
            self._table.update_item(
                Key={"pk": ticket_pk(ticket_id), "sk": "TICKET"},
                UpdateExpression="SET notified_seq = :seq",
                ConditionExpression="notified_seq < :seq",
                ExpressionAttributeValues={":seq": dispatch_seq},
            )
        except Exception as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # Reads

    def get(self, ticket_id: str) -> TicketRecord | None:
        """A ticket without its history: one strongly consistent GetItem."""
        item = self._table.get_item(
            Key={"pk": ticket_pk(ticket_id), "sk": "TICKET"}, ConsistentRead=True
        ).get("Item")
        return TicketRecord.model_validate(strip_keys(item)) if item else None

    def get_with_history(self, ticket_id: str) -> tuple[TicketRecord, list[TicketEvent]] | None:
        """A ticket and its events, oldest first: one Query on the ticket's partition."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": ticket_pk(ticket_id)},
        }
        while True:
            response = self._table.query(**kwargs)
            items.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        ticket = next((i for i in items if i.get("item_type") == "ticket"), None)
        if ticket is None:
            return None
        events = [
            TicketEvent.model_validate(strip_keys(i))
            for i in items
            if i.get("item_type") == "event"
        ]
        return TicketRecord.model_validate(strip_keys(ticket)), events

    def list_by_emitter(
        self, user_id: str, status: TicketStatus | None, limit: int, cursor: str | None
    ) -> Page[TicketRecord]:
        """An emitter's tickets, newest first; one Query on gsi1, or gsi3 with a status."""
        if status is None:
            index, partition = "gsi1", ("gsi1pk", emitter_partition(user_id))
        else:
            index, partition = "gsi3", ("gsi3pk", emitter_status_partition(user_id, status))
        return self._page(index, partition, None, limit, cursor, newest_first=True)

    def list_desk(
        self, partition: str, status: TicketStatus | None, limit: int, cursor: str | None
    ) -> Page[TicketRecord]:
        """A recipient's desk in workflow order, oldest first: one Query on gsi2."""
        prefix = desk_status_prefix(status) if status else None
        return self._page("gsi2", ("gsi2pk", partition), prefix, limit, cursor, newest_first=False)

    # Internals

    def _page(
        self,
        index: str,
        partition: tuple[str, str],
        sort_prefix: str | None,
        limit: int,
        cursor: str | None,
        *,
        newest_first: bool,
    ) -> Page[TicketRecord]:
        name, value = partition
        sort_name = name[:-2] + "sk"
        condition = f"{name} = :pk"
        values: dict[str, Any] = {":pk": value}
        if sort_prefix:
            condition += f" AND begins_with({sort_name}, :prefix)"
            values[":prefix"] = sort_prefix
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": not newest_first,
            "Limit": limit,
        }
        start = decode_cursor(cursor, {name: value})
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        response = self._table.query(**kwargs)
        items = [TicketRecord.model_validate(strip_keys(i)) for i in response.get("Items", [])]
        return Page[TicketRecord](
            items=items, next_cursor=encode_cursor(response.get("LastEvaluatedKey"))
        )

    def _update_spec(self, before: TicketRecord, after: TicketRecord) -> dict[str, Any]:
        old, new = ticket_item(before), ticket_item(after)
        new["version"] = before.version + 1
        owned = KEY_ATTRIBUTES - {"gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"}
        skip = CONSUMER_ATTRIBUTES | owned
        changed = {k: v for k, v in new.items() if k not in skip and old.get(k) != v}
        removed = [k for k in old if k not in new and k not in skip]
        names = {f"#a{i}": name for i, name in enumerate([*changed, *removed])}
        by_name = {name: alias for alias, name in names.items()}
        values: dict[str, Any] = {f":v{i}": v for i, v in enumerate(changed.values())}
        values[":read_version"] = before.version
        expression = "SET " + ", ".join(
            f"{by_name[name]} = :v{i}" for i, name in enumerate(changed)
        )
        if removed:
            expression += " REMOVE " + ", ".join(by_name[name] for name in removed)
        return {
            "TableName": self.table_name,
            "Key": dynamo.serialize({"pk": ticket_pk(before.ticket_id), "sk": "TICKET"}),
            "UpdateExpression": expression,
            "ConditionExpression": "version = :read_version",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": dynamo.serialize(values),
        }

    def _transact(self, items: list[dict[str, Any]]) -> None:
        try:
            self._client.transact_write_items(TransactItems=items)
        except Exception as error:
            if _error_code(error) == "TransactionCanceledException":
                raise TransactionConflict(dynamo.cancellation_codes(error)) from error
            raise


def _error_code(error: Exception) -> str | None:
    """The AWS error code of a botocore ClientError (None for anything else)."""
    response: dict[str, Any] = getattr(error, "response", None) or {}
    code = response.get("Error", {}).get("Code")
    return str(code) if code else None


def get_ticket_store() -> TicketStore:
    """The tickets table of this stage."""
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings

    return TicketStore(aws.table(get_settings().tickets_table), aws.client("dynamodb"))
