"""The mailer: what SES is asked to send, headers made safe; the local mailbox's copy."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.routing.mail import OutgoingMail, SesMailer
from chalicelib.routing.mailbox import KeepingMailer
from tests.fakes.routing import FakeMailbox, FakeMailer
from tests.unit.given import NOW


class RecordingSes:
    """A stand-in for the SES client: keeps the arguments of each send_email."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send_email(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(kwargs)
        return {"MessageId": "m1"}


HOSTILE = OutgoingMail(
    to="paul@example.fr\r\n",
    subject="[T-2026-000001] Nouveau ticket : Facture\r\nBcc: x@evil.example\u202e",
    text="Bonjour,\n\nCorps\n",
    html="<p>Bonjour,</p>",
)


def test_ses_gets_a_subject_and_address_without_control_characters_and_both_bodies() -> None:
    ses = RecordingSes()

    SesMailer(ses, "support@guichet.example.fr").send(HOSTILE)

    [call] = ses.calls
    assert call["Source"] == "support@guichet.example.fr"
    assert call["Destination"] == {"ToAddresses": ["paul@example.fr"]}
    assert call["Message"]["Subject"]["Data"] == (
        "[T-2026-000001] Nouveau ticket : Facture Bcc: x@evil.example"
    )
    assert call["Message"]["Body"]["Text"]["Data"] == "Bonjour,\n\nCorps\n"
    assert call["Message"]["Body"]["Html"]["Data"] == "<p>Bonjour,</p>"


def test_the_local_mailer_keeps_what_it_sent() -> None:
    inner, mailbox = FakeMailer(), FakeMailbox()

    KeepingMailer(inner, mailbox, lambda: NOW).send(HOSTILE)

    [kept] = mailbox.list("paul@example.fr", 10)
    assert inner.sent == [HOSTILE]
    assert (kept.subject, kept.sent_at) == (
        "[T-2026-000001] Nouveau ticket : Facture Bcc: x@evil.example",
        NOW,
    )


def test_nothing_is_kept_when_sending_failed() -> None:
    inner, mailbox = FakeMailer(), FakeMailbox()
    inner.failing = True

    with pytest.raises(ConnectionError):
        KeepingMailer(inner, mailbox, lambda: NOW).send(HOSTILE)

    assert mailbox.list(None, 10) == []
