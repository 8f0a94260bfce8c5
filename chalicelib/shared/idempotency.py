"""Idempotency-Key for creating calls: a retry gets the first response, nothing is made twice.

The first response is stored under (operation, caller, key) with a hash of the
request. A service writes that record *in the same transaction* as what it
creates (`record`), guarded by a condition, so two racing retries cannot both
create; the loser reads the winner's response (`replay`). The same key with
another body is a 422 on `Idempotency-Key`.

Powertools' idempotency utility was not used: it stores the record in a
separate write before and after the handler, which cannot be atomic with the
ticket's own transaction, and it hashes missing key parts as null (TRAPS.md).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chalicelib.shared import dynamo
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.models import Model

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

RETENTION_SECONDS = 24 * 3600


class StoredResponse(Model):
    """The first response to a creating call."""

    status: int
    body: dict[str, Any]


def request_hash(payload: Any) -> str:
    """A stable hash of a validated request."""
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json")
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class IdempotencyStore:
    """First responses by scoped Idempotency-Key."""

    def __init__(self, table: Table) -> None:
        self._table = table

    @staticmethod
    def scoped_key(operation: str, owner: str, key: str) -> str:
        return f"{operation}#{owner}#{key}"

    def replay(self, scoped_key: str, fingerprint: str, now: datetime) -> StoredResponse | None:
        """The stored response for this key, None if there is none; 422 if the body differs."""
        item = self._table.get_item(Key={"pk": scoped_key}, ConsistentRead=True).get("Item")
        if item is None or int(item["expires_at"]) <= int(now.timestamp()):  # type: ignore[arg-type]
            return None
        if item["fingerprint"] != fingerprint:
            raise InvalidFieldsError.single(
                "Idempotency-Key", "Cette clé a déjà servi pour une autre requête."
            )
        return StoredResponse.model_validate_json(str(item["response"]))

    def record(
        self, scoped_key: str, fingerprint: str, response: StoredResponse, now: datetime
    ) -> dict[str, Any]:
        """The TransactWriteItems Put that stores `response`, only if the key is free."""
        return dynamo.put(
            self._table.name,
            {
                "pk": scoped_key,
                "fingerprint": fingerprint,
                "response": response.model_dump_json(),
                "expires_at": int(now.timestamp()) + RETENTION_SECONDS,
            },
            condition="attribute_not_exists(pk) OR expires_at <= :now",
            values={":now": int(now.timestamp())},
        )


def get_idempotency_store() -> IdempotencyStore:
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings

    return IdempotencyStore(aws.table(get_settings().idempotency_table))
