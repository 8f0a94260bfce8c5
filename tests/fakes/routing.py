"""In-memory `Mailer` and `TicketQueues`: they keep what they were given, for tests to read."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.routing.dispatch import TicketDispatch
from chalicelib.tickets.records import RecipientType
from tests.fakes.transaction import STATE_LOCK


@dataclass(frozen=True)
class SentMail:
    """One e-mail, as the mailer was asked to send it."""

    to: str
    subject: str
    text: str


class FakeMailer:
    """Keeps every e-mail instead of sending it."""

    def __init__(self) -> None:
        self.sent: list[SentMail] = []

    def send(self, to: str, subject: str, text: str) -> None:
        with STATE_LOCK:
            self.sent.append(SentMail(to, subject, text))


class FakeTicketQueues:
    """Keeps every dispatch message, by the queue it would go to."""

    def __init__(self) -> None:
        self.messages: list[TicketDispatch] = []

    def send(self, message: TicketDispatch) -> None:
        with STATE_LOCK:
            self.messages.append(message)

    def on(self, queue: RecipientType) -> list[TicketDispatch]:
        """The messages sent to one recipient type's queue, in order."""
        return [m for m in self.messages if m.recipient.type == queue]
