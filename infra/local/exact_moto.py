"""moto made exact under concurrency, for the local stack and the tests (TRAPS.md).

moto 5.2's DynamoDB is not safe under concurrent requests:

- `TransactWriteItems` deep-copies every table it touches before running, and
  when the transaction is cancelled it puts those copies back: writes other
  requests committed meanwhile are erased, and the table gets a new stream
  shard object, so a reader holding an iterator of the old one sees nothing
  more, ever. The copy also makes each transaction cost O(table size).
- A condition is checked and then the write applied in two steps, with no lock:
  two requests can both pass `status = waiting` and both write.
- Iterating a table (a copy, a Query) while another thread inserts raises
  `RuntimeError: dictionary changed size during iteration` (a 500).

`install()` fixes the three for the process it runs in (the local stack's moto
server, or in-process `mock_aws` in tests):

1. One lock around every DynamoDB and DynamoDB Streams request: requests are
   applied one at a time, as if DynamoDB serialised them (it guarantees no
   more than that: each request is atomic, transactions are serialisable).
2. `TransactWriteItems` runs moto's own algorithm, item by item, but instead of
   copying whole tables it keeps a copy of the items it touches (at most 100)
   and the length of each touched table's stream; on cancellation it puts
   those items back in place and cuts the records its partial writes appended
   to the stream. Under the lock nothing else ran in between, so the state
   afterwards is exactly the state before: same items, same stream object,
   same records. `tests/functional/test_exact_moto.py` checks it against
   moto's own behaviour for a lone request and under threads.

Idempotent; it patches classes, so it applies to every backend of the process.
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

LOCK = threading.RLock()
_installed = False


def install() -> None:
    """Patch moto's DynamoDB (and its streams) in this process; safe to call twice."""
    global _installed
    with LOCK:
        if _installed:
            return
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.responses import DynamoHandler
        from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

        for handler in (DynamoHandler, DynamoDBStreamsHandler):
            handler.call_action = _serialised(handler.call_action)  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _installed = True


def _serialised(call_action: Any) -> Any:
    @functools.wraps(call_action)
    def locked(self: Any) -> Any:
        with LOCK:
            return call_action(self)

    return locked


class _Snapshot:
    """The items a transaction touches, and each touched table's stream length, before it."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, Any, Any], Any] = {}
        self._streams: dict[str, tuple[Any, int]] = {}

    def keep(self, backend: Any, table_name: str, key: dict[str, Any]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = backend.get_table(table_name)
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        slot = (table_name, hash_value, range_value)
        if slot not in self._items:
            self._items[slot] = copy.deepcopy(table.get_item(hash_value, range_value))
        if table_name not in self._streams and table.stream_shard is not None:
            self._streams[table_name] = (table.stream_shard, len(table.stream_shard.items))

    def restore(self, backend: Any) -> None:
        """Put every kept item back as it was (no stream record), and cut the streams."""
        for (table_name, hash_value, range_value), item in self._items.items():
            table = backend.get_table(table_name)
            if range_value is None:
                if item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item
            elif item is None:
                table.items[hash_value].pop(range_value, None)
                if not table.items[hash_value]:
                    del table.items[hash_value]
            else:
                table.items[hash_value][range_value] = item
        for shard, length in self._streams.values():
            del shard.items[length:]


def _key_of(backend: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.5's TransactWriteItems with a rollback of the touched items only."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    with LOCK:
        snapshot = _Snapshot()
        targets: set[tuple[str, str]] = set()
        errors: list[tuple[Any, Any, Any]] = []
        for item in transact_items:
            original_item: dict[str, Any] | None = None
            if len(item) > 1:
                snapshot.restore(self)
                raise TransactWriteSingleOpException
            try:
                op_type, op = next(iter(item.items()))
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                table_name = op["TableName"]
                key = _key_of(self, op_type, op)
                target = (str(table_name), str(dict(sorted(key.items()))))
                if target in targets:
                    raise MultipleTransactionsException()
                targets.add(target)
                snapshot.keep(self, table_name, key)
                _apply(self, op_type, op, key, get_filter_expression, ConditionalCheckFailed)
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                snapshot.restore(self)
                raise
            except ConditionalCheckFailed as error:
                original_item = getattr(error, "old_item", None)
                errors.append(("ConditionalCheckFailed", str(error.message), original_item))
            except Exception as error:  # noqa: BLE001 - moto reports any other failure as a reason
                errors.append((type(error).__name__, str(error), original_item))
        if any(code is not None for code, _, _ in errors):
            snapshot.restore(self)
            raise TransactionCanceledException(errors)


def _apply(
    backend: Any,
    op_type: str,
    op: dict[str, Any],
    key: dict[str, Any],
    get_filter_expression: Any,
    condition_failed: type[Exception],
) -> None:
    table_name = op["TableName"]
    condition = op.get("ConditionExpression")
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    current = backend.get_item(table_name, key)
    if condition is not None:
        if not get_filter_expression(condition, names, values).expr(current):
            old = None
            if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                old = current.to_json()["Attributes"]
            failure = condition_failed(item=old)  # type: ignore[call-arg]
            failure.old_item = old  # type: ignore[attr-defined]
            raise failure
    if op_type == "Put":
        backend.put_item(
            table_name,
            op["Item"],
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Delete":
        backend.delete_item(
            table_name,
            key,
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Update":
        backend.update_item(
            table_name,
            key,
            update_expression=op["UpdateExpression"],
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
