"""The AttachmentRepository contract: one suite, run on the in-memory fake and on DynamoDB (moto).

Records are added once, read by key or many keys at once, marked ready (never
once rejected) or rejected, never created by an update; a claim, one item
labelled `attachment:{id}` of the ticket's transaction, holds only for the
owner's `ready` attachment that is on no other ticket, and then ties it to the
ticket (no more expiry) so that `for_ticket` lists it, by claim time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pytest

from chalicelib.attachments.models import Attachment, AttachmentClaim
from chalicelib.attachments.repository import AttachmentRepository
from chalicelib.endpoints import wiring
from chalicelib.shared.dynamo import Transaction, TransactionFailed, condition_failed
from tests.fakes.attachments import FakeAttachmentRepository
from tests.fakes.transaction import FakeTransaction
from tests.records import at, attachment

FAILED = "ConditionalCheckFailed"
EXPIRY = int(at(10).timestamp())


@dataclass
class Attachments:
    repo: AttachmentRepository
    transaction: Callable[[], Transaction]

    def ready(self, attachment_id: str, owner: str = "alice", size: int = 800) -> Attachment:
        record = attachment(attachment_id, owner=owner)
        self.repo.add(record)
        assert self.repo.mark_ready(attachment_id, size, EXPIRY)
        found = self.repo.get(attachment_id)
        assert found is not None
        return found

    def claim(
        self,
        attachments: Sequence[Attachment],
        ticket_id: str,
        owner: str = "alice",
        when: datetime | None = None,
    ) -> None:
        tx = self.transaction()
        total = sum(a.size or 0 for a in attachments)
        self.repo.claim_in(
            tx, AttachmentClaim(list(attachments), owner, ticket_id, total), when or at(9, 30)
        )
        tx.commit()

    def stored(self, attachment_id: str) -> Attachment:
        found = self.repo.get(attachment_id)
        assert found is not None
        return found


class AttachmentRepositoryContract:
    @pytest.fixture
    def attachments(self) -> Attachments:
        raise NotImplementedError

    def test_an_added_attachment_reads_back_as_written(self, attachments: Attachments) -> None:
        record = attachment("a1")

        attachments.repo.add(record)

        assert attachments.repo.get("a1") == record
        assert attachments.repo.get("a2") is None

    def test_adding_an_existing_id_is_a_failed_condition(self, attachments: Attachments) -> None:
        attachments.repo.add(attachment("a1"))

        with pytest.raises(Exception) as refused:
            attachments.repo.add(attachment("a1", filename="autre.png"))

        assert condition_failed(refused.value)
        assert attachments.stored("a1").filename == "capture.png"

    def test_get_many_returns_those_that_exist_by_id(self, attachments: Attachments) -> None:
        attachments.repo.add(attachment("a1"))
        attachments.repo.add(attachment("a2", owner="claire"))

        found = attachments.repo.get_many(["a2", "missing", "a1", "a2"])

        assert found == {"a1": attachment("a1"), "a2": attachment("a2", owner="claire")}
        assert attachments.repo.get_many([]) == {}

    def test_marking_ready_records_the_real_size_and_the_new_expiry(
        self, attachments: Attachments
    ) -> None:
        attachments.repo.add(attachment("a1"))

        assert attachments.repo.mark_ready("a1", 812, EXPIRY) is True

        stored = attachments.stored("a1")
        assert (stored.status, stored.size, stored.expires_at) == ("ready", 812, EXPIRY)

    def test_marking_ready_without_an_expiry_keeps_the_one_it_has(
        self, attachments: Attachments
    ) -> None:
        attachments.ready("a1")

        assert attachments.repo.mark_ready("a1", 900, None) is True

        assert (attachments.stored("a1").size, attachments.stored("a1").expires_at) == (
            900,
            EXPIRY,
        )

    def test_a_rejection_is_final(self, attachments: Attachments) -> None:
        attachments.repo.add(attachment("a1"))

        assert attachments.repo.mark_rejected("a1", "Le fichier est vide.", 0) is True
        assert attachments.repo.mark_ready("a1", 812, EXPIRY) is False

        stored = attachments.stored("a1")
        assert (stored.status, stored.reason, stored.size) == (
            "rejected",
            "Le fichier est vide.",
            0,
        )

    def test_a_rejection_without_a_size_leaves_the_size_unknown(
        self, attachments: Attachments
    ) -> None:
        attachments.repo.add(attachment("a1"))

        attachments.repo.mark_rejected("a1", "Type refusé.", None)

        assert attachments.stored("a1").size is None

    def test_marking_a_missing_attachment_creates_nothing(self, attachments: Attachments) -> None:
        assert attachments.repo.mark_ready("ghost", 10, EXPIRY) is False
        assert attachments.repo.mark_rejected("ghost", "Vide.", 0) is False

        assert attachments.repo.get("ghost") is None

    def test_a_claim_ties_the_attachment_to_the_ticket_and_ends_its_expiry(
        self, attachments: Attachments
    ) -> None:
        ready = attachments.ready("a1")

        attachments.claim([ready], "t1")

        stored = attachments.stored("a1")
        assert (stored.ticket_id, stored.expires_at) == ("t1", None)
        assert attachments.repo.for_ticket("t1") == [stored]

    def test_claiming_again_for_the_same_ticket_holds(self, attachments: Attachments) -> None:
        ready = attachments.ready("a1")
        attachments.claim([ready], "t1")

        attachments.claim([ready], "t1", when=at(9, 45))

        assert attachments.stored("a1").ticket_id == "t1"

    def test_a_claim_fails_on_each_attachment_that_cannot_be_claimed(
        self, attachments: Attachments
    ) -> None:
        mine = attachments.ready("a-mine")
        claires = attachments.ready("b-claires", owner="claire")
        attachments.repo.add(attachment("c-pending"))
        pending = attachments.stored("c-pending")
        taken = attachments.ready("d-taken")
        attachments.claim([taken], "t-other")
        attachments.repo.add(attachment("e-rejected"))
        attachments.repo.mark_rejected("e-rejected", "Vide.", 0)
        rejected = attachments.stored("e-rejected")
        gone = attachment("f-gone", status="ready", size=10)

        with pytest.raises(TransactionFailed) as failed:
            attachments.claim([mine, claires, pending, taken, rejected, gone], "t1")

        assert failed.value.reasons == {
            "attachment:b-claires": FAILED,
            "attachment:c-pending": FAILED,
            "attachment:d-taken": FAILED,
            "attachment:e-rejected": FAILED,
            "attachment:f-gone": FAILED,
        }
        assert failed.value.failed_under("attachment:") == [
            "b-claires",
            "c-pending",
            "d-taken",
            "e-rejected",
            "f-gone",
        ]
        assert attachments.stored("a-mine").ticket_id is None
        assert attachments.repo.for_ticket("t1") == []

    def test_a_tickets_attachments_come_in_claim_order(self, attachments: Attachments) -> None:
        first, second, third = (attachments.ready(i) for i in ("a3", "a1", "a2"))
        attachments.claim([first], "t1", when=at(9, 10))
        attachments.claim([second, third], "t1", when=at(9, 20))
        attachments.claim([attachments.ready("z9")], "t2", when=at(9, 0))

        listed = [a.attachment_id for a in attachments.repo.for_ticket("t1")]

        assert listed == ["a3", "a1", "a2"]


class TestFakeAttachmentRepository(AttachmentRepositoryContract):
    @pytest.fixture
    def attachments(self) -> Attachments:
        return Attachments(FakeAttachmentRepository(), FakeTransaction)


class TestDynamoAttachmentRepository(AttachmentRepositoryContract):
    @pytest.fixture
    def attachments(self, aws_env: dict[str, str]) -> Attachments:
        return Attachments(wiring.attachment_repository(), wiring.transaction)
