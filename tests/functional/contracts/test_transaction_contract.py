"""The transaction contract: one unit of work over several stores, on the fakes and on moto.

A ticket, its idempotency record and the claims of its attachments are one
transaction: all written, or none, with every failed condition named by its
label ("ticket", "idempotency", "attachment:{id}"), the same on both backends,
so a service explains a failure the same way whichever it runs on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from chalicelib.attachments.models import Attachment, AttachmentClaim
from chalicelib.attachments.repository import AttachmentRepository
from chalicelib.endpoints import wiring
from chalicelib.shared.dynamo import Transaction, TransactionFailed
from chalicelib.shared.idempotency import Idempotency, IdempotencyClaim, StoredResponse
from chalicelib.tickets.records import TicketRecord
from chalicelib.tickets.store import TicketStore
from tests.fakes.attachments import FakeAttachmentRepository
from tests.fakes.idempotency import FakeIdempotency
from tests.fakes.tickets import FakeTicketStore
from tests.fakes.transaction import FakeTransaction
from tests.records import at, attachment, event, ticket

FAILED = "ConditionalCheckFailed"
KEY = IdempotencyClaim("submit_ticket#alice#key-1", "fingerprint")
RESPONSE = StoredResponse(status=201, body={"ticket_id": "t2"})


@dataclass
class Stores:
    tickets: TicketStore
    idempotency: Idempotency
    attachments: AttachmentRepository
    transaction: Callable[[], Transaction]

    def ready(self, attachment_id: str) -> Attachment:
        self.attachments.add(attachment(attachment_id))
        self.attachments.mark_ready(attachment_id, 500, int(at(10).timestamp()))
        found = self.attachments.get(attachment_id)
        assert found is not None
        return found

    def submit(
        self,
        record: TicketRecord,
        claimed: Sequence[Attachment] = (),
        key: IdempotencyClaim | None = KEY,
    ) -> None:
        """The submission's transaction: ticket and first event, idempotency record, claims."""
        tx = self.transaction()
        self.tickets.create_in(tx, record, event(record.ticket_id, "e1", record.created_at))
        if key is not None:
            self.idempotency.record_in(tx, key, RESPONSE, record.created_at)
        if claimed:
            claim = AttachmentClaim(list(claimed), "alice", record.ticket_id, 500 * len(claimed))
            self.attachments.claim_in(tx, claim, record.created_at)
        tx.commit()

    def claimed_by(self, attachment_id: str) -> str | None:
        found = self.attachments.get(attachment_id)
        assert found is not None
        return found.ticket_id


class TransactionContract:
    @pytest.fixture
    def stores(self) -> Stores:
        raise NotImplementedError

    def test_a_unit_of_work_writes_every_store_at_once(self, stores: Stores) -> None:
        a1 = stores.ready("a1")

        stores.submit(ticket("t2"), [a1])

        assert stores.tickets.get("t2") is not None
        assert stores.idempotency.replay(KEY, at(9)) == RESPONSE
        assert stores.claimed_by("a1") == "t2"

    def test_every_failed_condition_is_named_and_nothing_is_written(self, stores: Stores) -> None:
        taken, free = stores.ready("a1"), stores.ready("a2")
        stores.submit(ticket("t1"), [taken])

        with pytest.raises(TransactionFailed) as failed:
            stores.submit(ticket("t2"), [free, taken])

        assert failed.value.reasons == {"idempotency": FAILED, "attachment:a1": FAILED}
        assert failed.value.failed("idempotency") and not failed.value.failed("ticket")
        assert failed.value.failed_under("attachment:") == ["a1"]
        assert stores.tickets.get("t2") is None
        assert (stores.claimed_by("a1"), stores.claimed_by("a2")) == ("t1", None)

    def test_an_existing_ticket_fails_alone_and_leaves_the_key_and_claims_free(
        self, stores: Stores
    ) -> None:
        stores.submit(ticket("t1"), key=None)
        free = stores.ready("a1")

        with pytest.raises(TransactionFailed) as failed:
            stores.submit(ticket("t1", title="Doublon"), [free])

        assert failed.value.reasons == {"ticket": FAILED}
        assert not failed.value.conflict
        assert stores.idempotency.replay(KEY, at(9)) is None
        assert stores.claimed_by("a1") is None

    def test_a_stale_change_and_a_lost_claim_are_both_named(self, stores: Stores) -> None:
        before = ticket("t1")
        stores.submit(before, key=None)
        taken = stores.ready("a1")
        stores.submit(ticket("t9"), [taken])
        moved = before.model_copy(update={"status": "closed", "version": 2})
        tx = stores.transaction()
        stores.tickets.change_in(tx, before, moved, event("t1", "e2", at(10), kind="closed"))
        tx.commit()

        tx = stores.transaction()
        commented = before.model_copy(update={"attachment_ids": ["a1"], "version": 2})
        stores.tickets.change_in(tx, before, commented, event("t1", "e3", at(11)))
        stores.attachments.claim_in(tx, AttachmentClaim([taken], "alice", "t1", 500), at(11))
        with pytest.raises(TransactionFailed) as failed:
            tx.commit()

        assert failed.value.reasons == {"ticket": FAILED, "attachment:a1": FAILED}

    def test_one_item_per_label(self, stores: Stores) -> None:
        a1 = stores.ready("a1")
        tx = stores.transaction()

        with pytest.raises(ValueError, match="attachment:a1"):
            stores.attachments.claim_in(tx, AttachmentClaim([a1, a1], "alice", "t1", 1000), at(9))


class TestFakeTransaction(TransactionContract):
    @pytest.fixture
    def stores(self) -> Stores:
        return Stores(
            FakeTicketStore(), FakeIdempotency(), FakeAttachmentRepository(), FakeTransaction
        )


class TestDynamoTransaction(TransactionContract):
    @pytest.fixture
    def stores(self, aws_env: dict[str, str]) -> Stores:
        return Stores(
            wiring.ticket_store(),
            wiring.idempotency_store(),
            wiring.attachment_repository(),
            wiring.transaction,
        )
