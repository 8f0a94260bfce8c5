"""The Idempotency contract: one suite, run on the in-memory fake and on DynamoDB (moto).

A first response is recorded in the creating transaction under label
"idempotency", only while its key is free; it replays for 24 hours to the same
request, and is a 422 on `Idempotency-Key` for another one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from chalicelib.endpoints import wiring
from chalicelib.shared.dynamo import Transaction, TransactionFailed
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.idempotency import Idempotency, IdempotencyClaim, StoredResponse
from tests.fakes.idempotency import FakeIdempotency
from tests.fakes.transaction import FakeTransaction
from tests.records import at

CLAIM = IdempotencyClaim("submit_ticket#alice#key-1", "fingerprint-a")
OTHER_BODY = IdempotencyClaim("submit_ticket#alice#key-1", "fingerprint-b")
FIRST = StoredResponse(status=201, body={"ticket_id": "t1", "reference": "T-2026-000001"})
SECOND = StoredResponse(status=201, body={"ticket_id": "t2", "reference": "T-2026-000002"})


@dataclass
class Records:
    idempotency: Idempotency
    transaction: Callable[[], Transaction]

    def record(self, claim: IdempotencyClaim, response: StoredResponse, hour: int = 9) -> None:
        tx = self.transaction()
        self.idempotency.record_in(tx, claim, response, at(hour))
        tx.commit()


class IdempotencyContract:
    @pytest.fixture
    def records(self) -> Records:
        raise NotImplementedError

    def test_an_unknown_key_replays_nothing(self, records: Records) -> None:
        assert records.idempotency.replay(CLAIM, at(9)) is None

    def test_a_recorded_response_replays_to_the_same_request(self, records: Records) -> None:
        records.record(CLAIM, FIRST)

        assert records.idempotency.replay(CLAIM, at(10)) == FIRST

    def test_the_same_key_with_another_body_is_a_422_on_the_key(self, records: Records) -> None:
        records.record(CLAIM, FIRST)

        with pytest.raises(InvalidFieldsError) as refused:
            records.idempotency.replay(OTHER_BODY, at(10))

        assert [e.field for e in refused.value.errors] == ["Idempotency-Key"]

    def test_recording_a_taken_key_fails_on_label_idempotency(self, records: Records) -> None:
        records.record(CLAIM, FIRST)

        with pytest.raises(TransactionFailed) as failed:
            records.record(CLAIM, SECOND, hour=10)

        assert failed.value.reasons == {"idempotency": "ConditionalCheckFailed"}
        assert records.idempotency.replay(CLAIM, at(10)) == FIRST
        assert records.idempotency.winner(failed.value, CLAIM, at(10)) == FIRST
        with pytest.raises(InvalidFieldsError):
            records.idempotency.winner(failed.value, OTHER_BODY, at(10))

    def test_a_record_expires_after_24_hours_and_its_key_is_free_again(
        self, records: Records
    ) -> None:
        records.record(CLAIM, FIRST)
        day_later = at(9) + timedelta(hours=24)

        assert records.idempotency.replay(CLAIM, day_later - timedelta(seconds=1)) == FIRST
        assert records.idempotency.replay(CLAIM, day_later) is None
        tx = records.transaction()
        records.idempotency.record_in(tx, OTHER_BODY, SECOND, day_later)
        tx.commit()
        assert records.idempotency.replay(OTHER_BODY, day_later) == SECOND

    def test_keys_are_told_apart(self, records: Records) -> None:
        records.record(CLAIM, FIRST)
        other_key = IdempotencyClaim("submit_ticket#alice#key-2", "fingerprint-a")

        records.record(other_key, SECOND)

        assert records.idempotency.replay(other_key, at(10)) == SECOND
        assert records.idempotency.replay(CLAIM, at(10)) == FIRST


class TestFakeIdempotency(IdempotencyContract):
    @pytest.fixture
    def records(self) -> Records:
        return Records(FakeIdempotency(), FakeTransaction)


class TestDynamoIdempotency(IdempotencyContract):
    @pytest.fixture
    def records(self, aws_env: dict[str, str]) -> Records:
        return Records(wiring.idempotency_store(), wiring.transaction)

    def test_the_cancellation_brings_the_stored_record_back(self, records: Records) -> None:
        records.record(CLAIM, FIRST)

        with pytest.raises(TransactionFailed) as failed:
            records.record(CLAIM, SECOND, hour=10)

        # ReturnValuesOnConditionCheckFailure: the winner's response without a GetItem.
        assert failed.value.items["idempotency"]["fingerprint"] == CLAIM.fingerprint
