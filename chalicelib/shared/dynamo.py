"""DynamoDB helpers for code that uses the low-level client (transactions).

The table resource has no TransactWriteItems; these turn plain Python items into
the client's typed form and back.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any


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


def put(
    table_name: str,
    item: dict[str, Any],
    condition: str | None = None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A TransactWriteItems Put."""
    put_spec: dict[str, Any] = {"TableName": table_name, "Item": serialize(item)}
    if condition:
        put_spec["ConditionExpression"] = condition
    if values:
        put_spec["ExpressionAttributeValues"] = serialize(values)
    return {"Put": put_spec}


def cancellation_codes(error: Exception) -> list[str]:
    """The per-item reasons of a TransactionCanceledException ('None' where the item was fine)."""
    response: dict[str, Any] = getattr(error, "response", {}) or {}
    reasons = response.get("CancellationReasons", [])
    return [str(reason.get("Code", "None")) for reason in reasons]
