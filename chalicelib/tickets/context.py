"""What the ticket services work with: their adapters and settings, handed in by the edge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.attachments.repository import AttachmentRepository
from chalicelib.attachments.uploads import UploadStore
from chalicelib.directory import UserDirectory
from chalicelib.routing.catalogue import Catalogue
from chalicelib.routing.recipients import SubmissionDirectory
from chalicelib.shared.config import Settings
from chalicelib.shared.dynamo import Transaction
from chalicelib.shared.idempotency import Idempotency
from chalicelib.tickets.store import TicketStore


@dataclass(frozen=True)
class TicketContext:
    """The adapters and configuration the ticket services use."""

    store: TicketStore
    facts: SubmissionDirectory
    directory: UserDirectory
    idempotency: Idempotency
    catalogue: Catalogue
    settings: Settings
    attachments: AttachmentRepository
    # A factory: the S3 client is made only when a download URL is signed,
    # which keeps it off the cold start of every other ticket call.
    upload_store: Callable[[], UploadStore]
    transaction: Callable[[], Transaction]
