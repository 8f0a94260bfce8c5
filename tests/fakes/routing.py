"""In-memory `Mailer`, `TicketQueues`, `Mailbox` and `NoticeLedger`: they keep what they were
given, for tests to read."""

from __future__ import annotations

from datetime import datetime

from chalicelib.routing.dispatch import TicketDispatch, TicketNotice
from chalicelib.routing.ledger import LEASE_SECONDS, Claim
from chalicelib.routing.mail import OutgoingMail
from chalicelib.routing.mailbox import KeptMail
from chalicelib.tickets.records import RecipientType
from tests.fakes.transaction import STATE_LOCK


class FakeMailer:
    """Keeps every e-mail instead of sending it; `failing` makes the next sends raise."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []
        self.failing = False

    def send(self, mail: OutgoingMail) -> None:
        if self.failing:
            raise ConnectionError("SES is unreachable")
        with STATE_LOCK:
            self.sent.append(mail)

    def to(self, address: str) -> list[OutgoingMail]:
        """The e-mails sent to one address, in order."""
        return [mail for mail in self.sent if mail.to == address]


class FakeTicketQueues:
    """Keeps every dispatch message, by the queue it would go to, and every notice."""

    def __init__(self) -> None:
        self.messages: list[TicketDispatch] = []
        self.notices: list[TicketNotice] = []

    def send(self, message: TicketDispatch) -> None:
        with STATE_LOCK:
            self.messages.append(message)

    def notify(self, notice: TicketNotice) -> None:
        with STATE_LOCK:
            self.notices.append(notice)

    def on(self, queue: RecipientType) -> list[TicketDispatch]:
        """The messages sent to one recipient type's queue, in order."""
        return [m for m in self.messages if m.recipient.type == queue]


class FakeMailbox:
    """The local mailbox, in memory."""

    def __init__(self) -> None:
        self._kept: list[KeptMail] = []

    def keep(self, mail: OutgoingMail, sent_at: datetime) -> None:
        with STATE_LOCK:
            self._kept.append(KeptMail(**mail.model_dump(), sent_at=sent_at))

    def list(self, to: str | None, limit: int) -> list[KeptMail]:
        with STATE_LOCK:
            kept = [
                mail
                for mail in self._kept
                if to is None or mail.to.strip().lower() == to.strip().lower()
            ]
        # Newest first; sent at the same instant, the last kept first.
        order = sorted(enumerate(kept), key=lambda pair: (pair[1].sent_at, pair[0]), reverse=True)
        return [mail for _, mail in order][:limit]


class FakeNoticeLedger:
    """Which notices were claimed and sent, in memory."""

    def __init__(self) -> None:
        # key -> (state, claimed at)
        self._notices: dict[str, tuple[str, float]] = {}

    def claim(self, key: str, now: datetime) -> Claim:
        with STATE_LOCK:
            found = self._notices.get(key)
            instant = now.timestamp()
            if found is None or (found[0] == "sending" and found[1] < instant - LEASE_SECONDS):
                self._notices[key] = ("sending", instant)
                return "claimed"
            return "sent" if found[0] == "sent" else "busy"

    def mark_sent(self, key: str, now: datetime) -> None:
        with STATE_LOCK:
            self._notices[key] = ("sent", self._notices.get(key, ("", now.timestamp()))[1])

    def release(self, key: str) -> None:
        with STATE_LOCK:
            if self._notices.get(key, ("",))[0] == "sending":
                del self._notices[key]
