"""Idempotency-Key for creating calls: a retry gets the first response, nothing is made twice.

The first response is stored under (operation, caller, key) with a hash of the
request, *in the same transaction* as what the call creates (`create_once`),
guarded by a condition, so two racing retries cannot both create; the loser
gets the winner's response back with the cancellation (ReturnValuesOnCondition-
CheckFailure), without reading it. So a creating call need not look the key up
first: a retry is told by its transaction failing on LABEL, and a first call
costs no read (`submit_ticket` is 3 AWS calls). A retry whose request a check
now refuses (its attachments are claimed: by the first call) reads the key
before answering the refusal (`replay_refused`). The same key with another body is a 422 on
`Idempotency-Key`. Tickets, help requests and chat sessions all create through
`create_once`.

Powertools' idempotency utility was not used: it stores the record in a
separate write before and after the handler, which cannot be atomic with the
ticket's own transaction, and it hashes missing key parts as null (TRAPS.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from chalicelib.shared.dynamo import DynamoTransaction, Transaction, TransactionFailed
from chalicelib.shared.errors import ConflictError, InvalidFieldsError
from chalicelib.shared.models import Model

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

RETENTION_SECONDS = 24 * 3600
# The label of the idempotency record in a creating transaction.
LABEL = "idempotency"


class StoredResponse(Model):
    """The first response to a creating call."""

    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class IdempotencyClaim:
    """An Idempotency-Key scoped to its operation and caller, with the request's hash."""

    scoped_key: str
    fingerprint: str


def request_hash(payload: Any) -> str:
    """A stable hash of a validated request."""
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json")
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def claim_key(operation: str, owner: str, key: str | None, request: Any) -> IdempotencyClaim | None:
    """The claim a creating call makes with its Idempotency-Key (None without a key)."""
    if key is None:
        return None
    return IdempotencyClaim(f"{operation}#{owner}#{key}", request_hash(request))


def different_body() -> InvalidFieldsError:
    return InvalidFieldsError.single(
        "Idempotency-Key", "Cette clé a déjà servi pour une autre requête."
    )


class Idempotency(Protocol):
    """Where first responses are kept (DynamoDB, or an in-memory fake)."""

    def replay(self, claim: IdempotencyClaim, now: datetime) -> StoredResponse | None:
        """The stored response for this key, None if there is none; 422 if the body differs."""
        ...

    def record_in(
        self, tx: Transaction, claim: IdempotencyClaim, response: StoredResponse, now: datetime
    ) -> None:
        """Add to `tx` the record of `response`, written only if the key is free (LABEL)."""
        ...

    def winner(
        self, failed: TransactionFailed, claim: IdempotencyClaim, now: datetime
    ) -> StoredResponse | None:
        """The response kept under the key that made `failed` fail on LABEL (as `replay`)."""
        ...


class IdempotencyStore:
    """First responses by scoped Idempotency-Key, in the idempotency table."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def replay(self, claim: IdempotencyClaim, now: datetime) -> StoredResponse | None:
        item = self._table.get_item(Key={"pk": claim.scoped_key}, ConsistentRead=True).get("Item")
        return _stored(item, claim, now)

    def winner(
        self, failed: TransactionFailed, claim: IdempotencyClaim, now: datetime
    ) -> StoredResponse | None:
        # The record came back with the cancellation (ALL_OLD): no second read.
        if LABEL in failed.items:
            return _stored(failed.items[LABEL], claim, now)
        return self.replay(claim, now)

    def record_in(
        self, tx: Transaction, claim: IdempotencyClaim, response: StoredResponse, now: datetime
    ) -> None:
        assert isinstance(tx, DynamoTransaction)
        instant = int(now.timestamp())
        tx.put(
            LABEL,
            self._table.name,
            {
                "pk": claim.scoped_key,
                "fingerprint": claim.fingerprint,
                "response": response.model_dump_json(),
                "expires_at": instant + RETENTION_SECONDS,
            },
            condition="attribute_not_exists(pk) OR expires_at <= :now",
            values={":now": instant},
            return_old_on_failure=True,
        )


def _stored(item: Any, claim: IdempotencyClaim, now: datetime) -> StoredResponse | None:
    """What a record keeps for `claim`: None if absent or expired; 422 if the body differs."""
    if item is None or int(str(item["expires_at"])) <= int(now.timestamp()):
        return None
    if item["fingerprint"] != claim.fingerprint:
        raise different_body()
    return StoredResponse.model_validate_json(str(item["response"]))


def first_response(
    store: Idempotency, claim: IdempotencyClaim | None, now: datetime
) -> dict[str, Any] | None:
    """The first response to this claim's key, if there is one (422 when the body differs)."""
    if claim is None:
        return None
    stored = store.replay(claim, now)
    return stored.body if stored else None


def replay_refused(
    store: Idempotency, claim: IdempotencyClaim | None, refusal: Exception, now: datetime
) -> dict[str, Any]:
    """The first response when a retry's checks refuse it (its own effects refuse it);
    otherwise `refusal` is raised."""
    first = first_response(store, claim, now)
    if first is None:
        raise refusal
    return first


def create_once(
    store: Idempotency,
    claim: IdempotencyClaim | None,
    tx: Transaction,
    response: BaseModel,
    now: datetime,
    status: int = 201,
) -> dict[str, Any]:
    """Commit `tx`, which creates something, with the record of `response` under `claim`.

    Returns the response body to give: `response`'s, or, when a concurrent retry
    with the same key committed first, that retry's. Any other failure of the
    transaction propagates (TransactionFailed) for the caller to explain.
    """
    body: dict[str, Any] = response.model_dump(mode="json")
    if claim is not None:
        store.record_in(tx, claim, StoredResponse(status=status, body=body), now)
    try:
        tx.commit()
    except TransactionFailed as failed:
        if claim is None or not failed.failed(LABEL):
            raise
        winner = store.winner(failed, claim, now)
        if winner is None:
            # The winner's record expired between its write and this read.
            raise ConflictError(
                "Une requête identique vient d'être traitée : réessayez.",
                headers={"Retry-After": "1"},
            ) from failed
        return winner.body
    return body
