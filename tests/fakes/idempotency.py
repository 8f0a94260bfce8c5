"""An in-memory `Idempotency`: first responses by scoped key, with fingerprint and expiry.

As in the idempotency table: a record is written only if its key is free or
expired (label "idempotency" in the creating transaction); an expired record
replays nothing; the same key with another request's fingerprint is the 422 of
`different_body()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.shared.dynamo import Transaction, TransactionFailed
from chalicelib.shared.idempotency import (
    LABEL,
    RETENTION_SECONDS,
    IdempotencyClaim,
    StoredResponse,
    different_body,
)
from tests.fakes.transaction import STATE_LOCK, fake_transaction


@dataclass(frozen=True)
class IdempotencyRecord:
    fingerprint: str
    response: str
    expires_at: int


class FakeIdempotency:
    """First responses to creating calls, in memory."""

    def __init__(self) -> None:
        self._records: dict[str, IdempotencyRecord] = {}

    def replay(self, claim: IdempotencyClaim, now: datetime) -> StoredResponse | None:
        with STATE_LOCK:
            record = self._records.get(claim.scoped_key)
        if record is None or record.expires_at <= int(now.timestamp()):
            return None
        if record.fingerprint != claim.fingerprint:
            raise different_body()
        return StoredResponse.model_validate_json(record.response)

    def record_in(
        self, tx: Transaction, claim: IdempotencyClaim, response: StoredResponse, now: datetime
    ) -> None:
        instant = int(now.timestamp())
        record = IdempotencyRecord(
            claim.fingerprint, response.model_dump_json(), instant + RETENTION_SECONDS
        )

        def key_free() -> bool:
            found = self._records.get(claim.scoped_key)
            return found is None or found.expires_at <= instant

        fake_transaction(tx).add(
            LABEL, key_free, lambda: self._records.__setitem__(claim.scoped_key, record)
        )

    def winner(
        self, failed: TransactionFailed, claim: IdempotencyClaim, now: datetime
    ) -> StoredResponse | None:
        return self.replay(claim, now)

    def __len__(self) -> int:
        """How many records are kept (expired ones too, as TTL deletes late)."""
        with STATE_LOCK:
            return len(self._records)
