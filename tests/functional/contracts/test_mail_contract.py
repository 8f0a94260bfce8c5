"""The mail table's two stores, one suite each, run on the in-memory fakes and on DynamoDB (moto).

NoticeLedger: a notice is claimed once; a claim finds it sent, or busy while another
delivery holds a fresh claim; a claim older than the lease, never marked sent, is
taken over; a released claim is free again.
Mailbox: e-mails kept are listed newest first, to one address whatever its case or
to all, up to a limit.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.endpoints import wiring
from chalicelib.routing.ledger import LEASE_SECONDS, DynamoNoticeLedger, NoticeLedger
from chalicelib.routing.mail import OutgoingMail
from chalicelib.routing.mailbox import Mailbox
from chalicelib.shared import aws
from chalicelib.shared.config import get_settings
from tests.fakes.routing import FakeMailbox, FakeNoticeLedger
from tests.records import at

LEASE = timedelta(seconds=LEASE_SECONDS)


class NoticeLedgerContract:
    @pytest.fixture
    def ledger(self) -> NoticeLedger:
        raise NotImplementedError

    def test_a_notice_is_claimed_once_then_sent(self, ledger: NoticeLedger) -> None:
        first = ledger.claim("t1#e1#emitter", at(9))
        busy = ledger.claim("t1#e1#emitter", at(9, 1))
        ledger.mark_sent("t1#e1#emitter", at(9, 1))
        done = ledger.claim("t1#e1#emitter", at(12))

        assert (first, busy, done) == ("claimed", "busy", "sent")

    def test_another_audience_or_event_is_another_notice(self, ledger: NoticeLedger) -> None:
        ledger.claim("t1#e1#emitter", at(9))

        assert ledger.claim("t1#e1#handler", at(9)) == "claimed"
        assert ledger.claim("t1#e2#emitter", at(9)) == "claimed"

    def test_a_claim_never_marked_sent_is_taken_over_after_its_lease(
        self, ledger: NoticeLedger
    ) -> None:
        ledger.claim("t1#e1#emitter", at(9))

        assert ledger.claim("t1#e1#emitter", at(9) + LEASE) == "busy"
        assert ledger.claim("t1#e1#emitter", at(9) + LEASE + timedelta(seconds=1)) == "claimed"

    def test_a_released_claim_is_free_again_but_a_sent_notice_stays_sent(
        self, ledger: NoticeLedger
    ) -> None:
        ledger.claim("t1#e1#emitter", at(9))
        ledger.release("t1#e1#emitter")
        again = ledger.claim("t1#e1#emitter", at(9, 0, 5))
        ledger.mark_sent("t1#e1#emitter", at(9, 0, 6))
        ledger.release("t1#e1#emitter")

        assert again == "claimed"
        assert ledger.claim("t1#e1#emitter", at(10)) == "sent"


def mail(to: str, subject: str) -> OutgoingMail:
    return OutgoingMail(to=to, subject=subject, text=f"{subject}\n", html=f"<p>{subject}</p>")


class MailboxContract:
    @pytest.fixture
    def mailbox(self) -> Mailbox:
        raise NotImplementedError

    def test_an_addresss_mail_comes_newest_first_whatever_the_case(self, mailbox: Mailbox) -> None:
        mailbox.keep(mail("paul@example.fr", "Premier"), at(9))
        mailbox.keep(mail("claire@example.fr", "Autre"), at(10))
        mailbox.keep(mail("Paul@Example.fr", "Second"), at(11))

        kept = mailbox.list("PAUL@example.fr", 10)

        assert [(m.subject, m.sent_at) for m in kept] == [("Second", at(11)), ("Premier", at(9))]
        assert kept[0].text == "Second\n" and kept[0].html == "<p>Second</p>"

    def test_without_an_address_every_mail_newest_first_up_to_the_limit(
        self, mailbox: Mailbox
    ) -> None:
        for hour, subject in [(9, "Un"), (10, "Deux"), (11, "Trois")]:
            mailbox.keep(mail(f"{subject.lower()}@example.fr", subject), at(hour))

        assert [m.subject for m in mailbox.list(None, 10)] == ["Trois", "Deux", "Un"]
        assert [m.subject for m in mailbox.list(None, 2)] == ["Trois", "Deux"]
        assert mailbox.list("personne@example.fr", 10) == []


class TestFakeNoticeLedger(NoticeLedgerContract):
    @pytest.fixture
    def ledger(self) -> NoticeLedger:
        return FakeNoticeLedger()


class TestDynamoNoticeLedger(NoticeLedgerContract):
    @pytest.fixture
    def ledger(self, aws_env: dict[str, str]) -> NoticeLedger:
        return DynamoNoticeLedger(aws.table(get_settings().mail_table))


class TestFakeMailbox(MailboxContract):
    @pytest.fixture
    def mailbox(self) -> Mailbox:
        return FakeMailbox()


class TestDynamoMailbox(MailboxContract):
    @pytest.fixture
    def mailbox(self, aws_env: dict[str, str]) -> Mailbox:
        return wiring.mailbox()
