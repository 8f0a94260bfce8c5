"""Every fake at once, and the services' contexts built on them.

`Fakes()` is a fresh world: empty stores, the demo directory, the packaged
catalogue and the test stage's settings. `fakes.ticket_context()` is the
`TicketContext` the ticket services take, `fakes.delivery()` the queue
consumer's; `fake_ticket_context()` builds one on a world of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chalicelib.attachments.service import TicketAttachments
from chalicelib.routing.catalogue import Catalogue, get_catalogue
from chalicelib.routing.consumers import Delivery
from chalicelib.shared.config import Settings
from chalicelib.shared.dynamo import Transaction
from chalicelib.tickets.context import TicketContext
from tests.fakes.attachments import FakeAttachmentRepository, FakeUploadStore
from tests.fakes.directory import FakeDirectory, demo_directory
from tests.fakes.idempotency import FakeIdempotency
from tests.fakes.ratelimit import FakeRateLimiter
from tests.fakes.routing import FakeMailer, FakeTicketQueues
from tests.fakes.tickets import FakeTicketStore
from tests.fakes.transaction import FakeTransaction

FAKE_SETTINGS = Settings.model_validate(
    {
        "GUICHET_STAGE": "test",
        "SUPPORT_QUEUE_URL": "fake://support-tickets",
        "BUSINESS_QUEUE_URL": "fake://business-tickets",
    }
)


@dataclass
class Fakes:
    """One in-memory world: each adapter's fake, shared by the contexts built from it."""

    store: FakeTicketStore = field(default_factory=FakeTicketStore)
    idempotency: FakeIdempotency = field(default_factory=FakeIdempotency)
    attachments: FakeAttachmentRepository = field(default_factory=FakeAttachmentRepository)
    uploads: FakeUploadStore = field(default_factory=FakeUploadStore)
    directory: FakeDirectory = field(default_factory=demo_directory)
    limiter: FakeRateLimiter = field(default_factory=FakeRateLimiter)
    mailer: FakeMailer = field(default_factory=FakeMailer)
    queues: FakeTicketQueues = field(default_factory=FakeTicketQueues)
    catalogue: Catalogue = field(default_factory=get_catalogue)
    settings: Settings = FAKE_SETTINGS

    def ticket_context(
        self, transaction: Callable[[], Transaction] = FakeTransaction
    ) -> TicketContext:
        """The ticket services' context on these fakes (`transaction`: how one is made)."""
        return TicketContext(
            store=self.store,
            facts=self.directory,
            directory=self.directory,
            idempotency=self.idempotency,
            catalogue=self.catalogue,
            settings=self.settings,
            attachments=TicketAttachments(self.attachments, lambda: self.uploads),
            transaction=transaction,
        )

    def delivery(self) -> Delivery:
        """What the queue consumers deliver with, on these fakes."""
        return Delivery(
            store=self.store,
            organisations=self.directory,
            mailer=self.mailer,
            settings=self.settings,
        )


def fake_ticket_context(fakes: Fakes | None = None) -> TicketContext:
    """A `TicketContext` on `fakes`, or on a fresh world of its own."""
    return (fakes or Fakes()).ticket_context()
