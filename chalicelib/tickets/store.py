"""The tickets table adapter: the only code that talks to DynamoDB about tickets.

Creating a ticket and changing it are one transaction each (the ticket and its
history event, plus what the service adds: the idempotency record on creation,
the claims of the attachments it brings), so a history never misses a change, a
retry never creates twice, and an attachment is on a ticket exactly when the
ticket says so. A change is an UpdateItem of the attributes that changed,
conditioned on the version read (optimistic locking), and never touches the
attributes the queue consumer owns (`delivered_seq`, `notified_seq`).

Labels of the items this store adds to a transaction: "ticket" (its condition
fails when the ticket exists already, or moved since it was read) and "event".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.shared.dynamo import (
    DynamoTransaction,
    Transaction,
    TransactionFailed,
    condition_failed,
)
from chalicelib.shared.pagination import Page, decode_cursor, encode_cursor
from chalicelib.tickets.keys import (
    CONSUMER_ATTRIBUTES,
    KEY_ATTRIBUTES,
    desk_status_prefix,
    emitter_partition,
    emitter_status_partition,
    event_item,
    strip_keys,
    ticket_item,
    ticket_pk,
)
from chalicelib.tickets.records import TicketEvent, TicketRecord, TicketStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

TICKET = "ticket"
EVENT = "event"


class TicketStore(Protocol):
    """Tickets, their history and the reference counter (DynamoDB, or an in-memory fake)."""

    def next_reference_number(self, year: int) -> int:
        """The next number of the year's reference sequence (unique, increasing)."""
        ...

    def create_in(self, tx: Transaction, ticket: TicketRecord, event: TicketEvent) -> None:
        """Add a new ticket ("ticket": fails if it exists) and its first event to `tx`."""
        ...

    def change_in(
        self, tx: Transaction, before: TicketRecord, after: TicketRecord, event: TicketEvent
    ) -> None:
        """Add `after` over `before` ("ticket": fails unless still at `before.version`)."""
        ...

    def mark_delivered(self, ticket_id: str, dispatch_seq: int, event: TicketEvent) -> bool:
        """Record a delivery once per dispatch; False when already recorded (or transferred)."""
        ...

    def mark_notified(self, ticket_id: str, dispatch_seq: int) -> bool:
        """Record the recipient team's e-mail once per dispatch; False if already recorded."""
        ...

    def get(self, ticket_id: str) -> TicketRecord | None:
        """A ticket without its history (strongly consistent)."""
        ...

    def get_with_history(self, ticket_id: str) -> tuple[TicketRecord, list[TicketEvent]] | None:
        """A ticket and its events, oldest first."""
        ...

    def list_by_emitter(
        self, user_id: str, status: TicketStatus | None, limit: int, cursor: str | None
    ) -> Page[TicketRecord]:
        """An emitter's tickets, newest first."""
        ...

    def list_desk(
        self, partition: str, status: TicketStatus | None, limit: int, cursor: str | None
    ) -> Page[TicketRecord]:
        """A recipient's desk in workflow order (status rank), oldest first."""
        ...


class DynamoTicketStore:
    """Tickets in the tickets table (see chalicelib/tickets/keys.py for the layout)."""

    def __init__(self, table: Table, client: Any) -> None:
        self._table = table
        # The low-level client, for transactions of the store's own (deliveries).
        self._client = client

    @property
    def table_name(self) -> str:
        return self._table.name

    # Writes

    def next_reference_number(self, year: int) -> int:
        response = self._table.update_item(
            Key={"pk": f"COUNTER#reference#{year}", "sk": "COUNTER"},
            UpdateExpression="ADD last_number :one SET item_type = :type",
            ExpressionAttributeValues={":one": 1, ":type": "counter"},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["last_number"])  # type: ignore[arg-type]

    def create_in(self, tx: Transaction, ticket: TicketRecord, event: TicketEvent) -> None:
        assert isinstance(tx, DynamoTransaction)
        tx.put(TICKET, self.table_name, ticket_item(ticket), condition="attribute_not_exists(pk)")
        tx.put(EVENT, self.table_name, event_item(event))

    def change_in(
        self, tx: Transaction, before: TicketRecord, after: TicketRecord, event: TicketEvent
    ) -> None:
        assert isinstance(tx, DynamoTransaction)
        expression, names, values = _update_of(before, after)
        tx.update(
            TICKET,
            self.table_name,
            {"pk": ticket_pk(before.ticket_id), "sk": "TICKET"},
            expression,
            condition="version = :read_version",
            names=names,
            values={**values, ":read_version": before.version},
        )
        tx.put(EVENT, self.table_name, event_item(event))

    def mark_delivered(self, ticket_id: str, dispatch_seq: int, event: TicketEvent) -> bool:
        tx = DynamoTransaction(self._client)
        tx.update(
            TICKET,
            self.table_name,
            {"pk": ticket_pk(ticket_id), "sk": "TICKET"},
            "SET delivered_seq = :seq",
            condition="dispatch_seq = :seq AND delivered_seq < :seq",
            values={":seq": dispatch_seq},
        )
        tx.put(EVENT, self.table_name, event_item(event))
        try:
            tx.commit()
        except TransactionFailed as failed:
            if failed.failed(TICKET):
                return False
            raise
        return True

    def mark_notified(self, ticket_id: str, dispatch_seq: int) -> bool:
        try:
            self._table.update_item(
                Key={"pk": ticket_pk(ticket_id), "sk": "TICKET"},
                UpdateExpression="SET notified_seq = :seq",
                ConditionExpression="notified_seq < :seq",
                ExpressionAttributeValues={":seq": dispatch_seq},
            )
        except Exception as error:
            if condition_failed(error):
                return False
            raise
        return True

    # Reads

    def get(self, ticket_id: str) -> TicketRecord | None:
        item = self._table.get_item(
            Key={"pk": ticket_pk(ticket_id), "sk": "TICKET"}, ConsistentRead=True
        ).get("Item")
        return TicketRecord.model_validate(strip_keys(item)) if item else None

    def get_with_history(self, ticket_id: str) -> tuple[TicketRecord, list[TicketEvent]] | None:
        """One Query on the ticket's partition (paged through when the history is long)."""
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
        events.sort(key=lambda event: event.at)
        return TicketRecord.model_validate(strip_keys(ticket)), events

    def list_by_emitter(
        self, user_id: str, status: TicketStatus | None, limit: int, cursor: str | None
    ) -> Page[TicketRecord]:
        """One Query on gsi1, or gsi3 with a status."""
        if status is None:
            index, partition = "gsi1", ("gsi1pk", emitter_partition(user_id))
        else:
            index, partition = "gsi3", ("gsi3pk", emitter_status_partition(user_id, status))
        return self._page(index, partition, None, limit, cursor, newest_first=True)

    def list_desk(
        self, partition: str, status: TicketStatus | None, limit: int, cursor: str | None
    ) -> Page[TicketRecord]:
        """One Query on gsi2."""
        prefix = desk_status_prefix(status) if status else None
        return self._page("gsi2", ("gsi2pk", partition), prefix, limit, cursor, newest_first=False)

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
        start = decode_cursor(cursor, {name: value}, (sort_name, "pk", "sk"))
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        response = self._table.query(**kwargs)
        items = [TicketRecord.model_validate(strip_keys(i)) for i in response.get("Items", [])]
        return Page[TicketRecord](
            items=items, next_cursor=encode_cursor(response.get("LastEvaluatedKey"))
        )


def _update_of(
    before: TicketRecord, after: TicketRecord
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The UpdateExpression that turns `before`'s item into `after`'s (version + 1)."""
    old, new = ticket_item(before), ticket_item(after)
    new["version"] = before.version + 1
    index_keys = {"gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"}
    skip = CONSUMER_ATTRIBUTES | (KEY_ATTRIBUTES - index_keys)
    changed = {k: v for k, v in new.items() if k not in skip and old.get(k) != v}
    removed = [k for k in old if k not in new and k not in skip]
    names = {f"#a{i}": name for i, name in enumerate([*changed, *removed])}
    alias = {name: key for key, name in names.items()}
    values: dict[str, Any] = {f":v{i}": v for i, v in enumerate(changed.values())}
    expression = "SET " + ", ".join(f"{alias[name]} = :v{i}" for i, name in enumerate(changed))
    if removed:
        expression += " REMOVE " + ", ".join(alias[name] for name in removed)
    return expression, names, values
