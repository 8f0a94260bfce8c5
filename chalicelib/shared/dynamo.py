"""DynamoDB helpers: typed items, one labelled transaction, one way to tell a failed condition.

The table resource has no TransactWriteItems, so transactions use the low-level
client and its typed item form (`serialize` / `deserialize`).

`Transaction` gives each of its items a label ("ticket", "idempotency",
"attachment:3f2a..."): when DynamoDB cancels it, `TransactionFailed.failed(label)`
says which item's condition failed, so no service reads cancellation reasons by
position. A transaction is the one write of a unit of work that spans several
adapters: each adapter adds its own items (`TicketStore.create_in(tx, ...)`,
`IdempotencyStore.record_in(tx, ...)`), and the service commits. In-memory fakes
implement the same protocol (`commit`), so services run on either.

A single conditional write failing is told by `condition_failed(error)`, the same
test for the table resource and the low-level client.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any, Protocol

CONDITION_FAILED = "ConditionalCheckFailed"
# A concurrent transaction touched one of the items (real DynamoDB only): try again.
TRANSACTION_CONFLICT = "TransactionConflict"


@cache
def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


@cache
def _deserializer() -> Any:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def _prepare(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _prepare(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prepare(v) for v in value]
    return value


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    """A plain item (None values dropped, floats as Decimal) in the client's typed form."""
    serializer = _serializer()
    return {k: serializer.serialize(_prepare(v)) for k, v in item.items() if v is not None}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    """A typed item from the client or a stream record, as plain Python values."""
    deserializer = _deserializer()
    return {k: deserializer.deserialize(v) for k, v in item.items()}


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else).

    botocore is not imported to catch its ClientError: it would cost every cold
    start; the code is read from the exception's `response`.
    """
    response: dict[str, Any] = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code") or "")


def condition_failed(error: BaseException) -> bool:
    """Whether a single write was refused because its condition did not hold."""
    return error_code(error) == CONDITION_FAILED + "Exception"


class TransactionFailed(Exception):
    """A transaction was cancelled; nothing of it was written.

    `reasons` maps the label of each item that caused it to DynamoDB's code
    (`ConditionalCheckFailed`, `TransactionConflict`...).
    """

    def __init__(
        self, reasons: dict[str, str], items: dict[str, dict[str, Any]] | None = None
    ) -> None:
        super().__init__(", ".join(f"{label}: {code}" for label, code in reasons.items()))
        self.reasons = reasons
        # The item as it stood, for the labels written with `return_old_on_failure`.
        self.items = items or {}

    def failed(self, label: str) -> bool:
        """Whether the item labelled `label` had its condition fail."""
        return self.reasons.get(label) == CONDITION_FAILED

    def failed_under(self, prefix: str) -> list[str]:
        """The labels starting with `prefix` whose condition failed, suffix only, in order."""
        return [
            label.removeprefix(prefix)
            for label, code in self.reasons.items()
            if label.startswith(prefix) and code == CONDITION_FAILED
        ]

    @property
    def conflict(self) -> bool:
        """Whether a concurrent transaction, not a condition, cancelled it (retry)."""
        return TRANSACTION_CONFLICT in self.reasons.values()


class Transaction(Protocol):
    """A unit of work's single write: adapters add their items, the service commits."""

    def commit(self) -> None:
        """Write every item or none; raises TransactionFailed naming the failed labels."""
        ...


def expression_values(values: dict[str, Any] | None) -> dict[str, Any]:
    return {"ExpressionAttributeValues": serialize(values)} if values else {}


def expression_names(names: dict[str, str] | None) -> dict[str, Any]:
    return {"ExpressionAttributeNames": names} if names else {}


class DynamoTransaction:
    """TransactWriteItems (up to 100 items) whose items carry labels."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._labels: list[str] = []
        self._items: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return len(self._items)

    def _add(self, label: str, kind: str, spec: dict[str, Any]) -> None:
        if label in self._labels:
            raise ValueError(f"two items labelled {label!r} in one transaction")
        self._labels.append(label)
        self._items.append({kind: spec})

    def put(
        self,
        label: str,
        table: str,
        item: dict[str, Any],
        *,
        condition: str | None = None,
        values: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
        return_old_on_failure: bool = False,
    ) -> None:
        """Add a put; with `return_old_on_failure`, a failed condition brings back the item
        that stood there (`TransactionFailed.items[label]`), which saves reading it."""
        spec: dict[str, Any] = {"TableName": table, "Item": serialize(item)}
        if condition:
            spec["ConditionExpression"] = condition
        if return_old_on_failure:
            spec["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        self._add(label, "Put", {**spec, **expression_values(values), **expression_names(names)})

    def update(
        self,
        label: str,
        table: str,
        key: dict[str, Any],
        expression: str,
        *,
        condition: str | None = None,
        values: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
    ) -> None:
        spec: dict[str, Any] = {
            "TableName": table,
            "Key": serialize(key),
            "UpdateExpression": expression,
        }
        if condition:
            spec["ConditionExpression"] = condition
        self._add(label, "Update", {**spec, **expression_values(values), **expression_names(names)})

    def delete(
        self,
        label: str,
        table: str,
        key: dict[str, Any],
        *,
        condition: str | None = None,
        values: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
    ) -> None:
        spec: dict[str, Any] = {"TableName": table, "Key": serialize(key)}
        if condition:
            spec["ConditionExpression"] = condition
        self._add(label, "Delete", {**spec, **expression_values(values), **expression_names(names)})

    def commit(self) -> None:
        if not self._items:
            return
        try:
            self._client.transact_write_items(TransactItems=self._items)
        except Exception as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            raise self._failure(error) from error

    def _failure(self, error: BaseException) -> TransactionFailed:
        response: dict[str, Any] = getattr(error, "response", None) or {}
        reasons: dict[str, str] = {}
        items: dict[str, dict[str, Any]] = {}
        for label, reason in zip(
            self._labels, response.get("CancellationReasons", []), strict=False
        ):
            code = str(reason.get("Code") or "None")
            if code in ("None", ""):
                continue
            reasons[label] = code
            if reason.get("Item"):
                items[label] = deserialize(reason["Item"])
        return TransactionFailed(reasons, items)
