"""What the ticket services work with: their adapters and settings, handed in by the edge."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.attachments.models import AttachmentClaim, AttachmentLink
from chalicelib.auth import Identity
from chalicelib.directory import UserDirectory
from chalicelib.routing.catalogue import Catalogue
from chalicelib.routing.recipients import SubmissionDirectory
from chalicelib.shared.config import Settings
from chalicelib.shared.dynamo import Transaction, TransactionFailed
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.idempotency import Idempotency
from chalicelib.tickets.store import TicketStore


class Attachments(Protocol):
    """The attachments area as tickets use it (attachments.service.TicketAttachments)."""

    def claim(
        self,
        owner: str,
        attachment_ids: Sequence[str],
        ticket_id: str,
        now: datetime,
        *,
        already_on_ticket: int = 0,
        already_bytes: int = 0,
    ) -> AttachmentClaim:
        """Check attachments for a ticket (the owner's, ready, free, 5 / 20 MB): 422 if not."""
        ...

    def claim_in(self, tx: Transaction, claim: AttachmentClaim, now: datetime) -> None:
        """Add the claims to the ticket's transaction (labels `attachment:{id}`)."""
        ...

    def lost_claims(
        self, failed: TransactionFailed, claim: AttachmentClaim
    ) -> InvalidFieldsError | None:
        """The 422 naming the attachments whose claim cancelled `failed`, if any."""
        ...

    def links(
        self, ticket_id: str, attachment_ids: Sequence[str], now: datetime
    ) -> list[AttachmentLink]:
        """The ticket's ready attachments with 5-minute download URLs."""
        ...

    def owner_for(self, identity: Identity | None, upload_token: str | None) -> str | None:
        """Whose uploads the caller may attach (None: nobody's)."""
        ...


@dataclass(frozen=True)
class TicketContext:
    """The adapters and configuration the ticket services use."""

    store: TicketStore
    facts: SubmissionDirectory
    directory: UserDirectory
    idempotency: Idempotency
    catalogue: Catalogue
    settings: Settings
    attachments: Attachments
    transaction: Callable[[], Transaction]
