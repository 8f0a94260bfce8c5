"""Ticket attachments: presigned POST uploads to S3, checked after upload, presigned GET.

The flow:

1. `request_upload` records a pending attachment and signs a POST policy for one
   server-made key (`uploads/{owner}/{attachment_id}/file.{ext}`): exact bucket,
   declared Content-Type, 1..declared size bytes, 5 minutes, tag `status=pending`.
   Signing is local to boto3: no S3 call.
2. The browser POSTs the file to S3. S3 announces it (ObjectCreated → queue →
   `check_upload`). moto does not enforce POST policies and S3 never looks at
   the bytes, so the checker does: the key must be a live attachment's, the
   stored size within the declared one, the stored Content-Type the declared
   one, and the first bytes the declared type's signature (text types: the
   whole object valid UTF-8 without NUL). Good objects become `ready` (and are
   re-tagged so the lifecycle rule keeps them); bad ones are deleted and the
   attachment is `rejected` with a reason.
3. The tickets code calls `claim_attachments` (validation plus the transaction
   items that tie attachments to a ticket, to put in the ticket's own
   transaction) and `attachment_links` (presigned GETs for those allowed).

Owners: a user's id, or `help:{sha256(client token)}` for uploads without an
account; only the hash of a client token is stored.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from chalicelib.attachments.content import filename_for, rejection_reason
from chalicelib.attachments.models import (
    ANONYMOUS_UPLOADS_PER_HOUR,
    DOWNLOAD_EXPIRY_SECONDS,
    FILE_KINDS,
    HEAD_BYTES,
    HELP_OWNER_PREFIX,
    MAX_ATTACHMENTS_PER_TICKET,
    MAX_FILE_BYTES,
    MAX_TICKET_BYTES,
    MB,
    PENDING_TTL,
    UNCLAIMED_TTL,
    UPLOAD_EXPIRY_SECONDS,
    UPLOAD_TOKEN_PATTERN,
    Attachment,
    AttachmentClaim,
    AttachmentLink,
    AttachmentStatus,
    Uploader,
    UploadGrant,
)
from chalicelib.attachments.repository import CLAIM_LABEL, AttachmentRepository
from chalicelib.attachments.uploads import UploadStore, attachment_id_from_key, object_key
from chalicelib.auth import Identity
from chalicelib.shared.dynamo import Transaction, TransactionFailed
from chalicelib.shared.errors import (
    FieldError,
    InvalidFieldsError,
    NotFoundError,
    PayloadTooLargeError,
)
from chalicelib.shared.logs import get_logger
from chalicelib.shared.ratelimit import RateLimiter


def help_owner(client_token: str) -> str:
    """The owner of uploads made with a client token: only its hash is kept."""
    return HELP_OWNER_PREFIX + hashlib.sha256(client_token.encode()).hexdigest()


def uploader_for(identity: Identity | None, upload_token: str | None) -> Uploader:
    """A user when there is a token; else the client token given (reused) or a new one."""
    if identity is not None:
        return Uploader(identity.user_id)
    token = upload_token if upload_token and UPLOAD_TOKEN_PATTERN.match(upload_token) else None
    token = token or secrets.token_urlsafe(32)
    return Uploader(help_owner(token), token)


def caller_owners(identity: Identity | None, upload_token: str | None) -> set[str]:
    """Every owner the caller can prove to be (their user id, a client token's owner)."""
    owners = set()
    if identity is not None:
        owners.add(identity.user_id)
    if upload_token and UPLOAD_TOKEN_PATTERN.match(upload_token):
        owners.add(help_owner(upload_token))
    return owners


# ---------------------------------------------------------------- asking to upload


def request_upload(
    repo: AttachmentRepository,
    store: UploadStore,
    limiter: RateLimiter,
    uploader: Uploader,
    *,
    filename: str,
    content_type: str,
    size: int,
    client_address: str,
    now: datetime,
) -> UploadGrant:
    """Record a pending attachment and sign its upload (1 PutItem; +1 UpdateItem anonymous)."""
    if size > MAX_FILE_BYTES:
        raise PayloadTooLargeError(f"Un fichier fait au plus {MAX_FILE_BYTES // MB} Mo.")
    if content_type not in FILE_KINDS:
        raise InvalidFieldsError.single("content_type", "Type de fichier non accepté.")
    if uploader.anonymous:
        limiter.hit(
            "attachment-uploads",
            client_address,
            limit=ANONYMOUS_UPLOADS_PER_HOUR,
            window_seconds=3600,
            now=now,
        )
    attachment_id = uuid.uuid4().hex
    attachment = Attachment(
        attachment_id=attachment_id,
        owner=uploader.owner,
        key=object_key(uploader.owner, attachment_id, content_type),
        filename=filename_for(filename, FILE_KINDS[content_type]),
        content_type=content_type,
        declared_size=size,
        created_at=now,
        expires_at=int((now + PENDING_TTL).timestamp()),
    )
    upload = store.presign_post(attachment.key, content_type, size)
    repo.add(attachment)
    return UploadGrant(
        attachment_id=attachment_id,
        status="pending",
        filename=attachment.filename,
        content_type=content_type,
        upload=upload,
        expires_at=now + timedelta(seconds=UPLOAD_EXPIRY_SECONDS),
        max_size=size,
        client_token=uploader.client_token,
    )


def attachment_status(
    repo: AttachmentRepository, attachment_id: str, owners: set[str], now: datetime
) -> AttachmentStatus:
    """The caller's attachment; 404 for anyone else's, or for an expired one (1 GetItem)."""
    attachment = repo.get(attachment_id) if owners else None
    if attachment is None or attachment.owner not in owners or not attachment.is_live(now):
        raise NotFoundError("Pièce jointe introuvable.")
    return AttachmentStatus(
        attachment_id=attachment.attachment_id,
        status=attachment.status,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        reason=attachment.reason,
    )


def check_upload(
    repo: AttachmentRepository, store: UploadStore, key: str, now: datetime
) -> Attachment | None:
    """Check the object S3 announced under `key`; returns the attachment as it now stands.

    Every announcement is checked against the object as it is now, whatever the
    status: a policy is valid for 5 minutes, so a checked file can be replaced
    by another POST, whose announcement then judges the new bytes. Rejection is
    final. Calls: 1 GetItem, 1 GetObject, then PutObjectTagging + UpdateItem
    (ready) or DeleteObject + UpdateItem (rejected).
    """
    log = get_logger()
    attachment_id = attachment_id_from_key(key)
    attachment = repo.get(attachment_id) if attachment_id else None
    if attachment is None or attachment.key != key or not attachment.is_live(now):
        # Nobody (still) waits for this object: an expired upload, or a key no
        # policy of ours signed.
        store.delete(key)
        log.warning("unexpected upload deleted", extra={"key": key})
        return None
    if attachment.status == "rejected":
        store.delete(key)
        return attachment
    kind = FILE_KINDS[attachment.content_type]
    stored = store.open(key, None if kind.text else HEAD_BYTES)
    if stored is None:
        return attachment  # deleted by a later announcement's check
    reason = rejection_reason(attachment, stored)
    if reason is not None:
        store.delete(key)
        repo.mark_rejected(attachment.attachment_id, reason, stored.size)
        log.info("upload rejected", extra={"attachment_id": attachment_id, "reason": reason})
        return attachment.model_copy(update={"status": "rejected", "reason": reason})
    store.mark(key, "ready")
    expires_at = attachment.expires_at
    if attachment.status == "pending":
        expires_at = int((now + UNCLAIMED_TTL).timestamp())
        repo.mark_ready(attachment.attachment_id, stored.size, expires_at)
    else:
        repo.mark_ready(attachment.attachment_id, stored.size, None)
    return attachment.model_copy(
        update={"status": "ready", "size": stored.size, "reason": None, "expires_at": expires_at}
    )


# ---------------------------------------------------------------- the seam for tickets


def claim_attachments(
    repo: AttachmentRepository,
    owner: str,
    attachment_ids: Sequence[str],
    ticket_id: str,
    *,
    now: datetime,
    already_on_ticket: int = 0,
    already_bytes: int = 0,
) -> AttachmentClaim:
    """Validate `attachment_ids` for a ticket; returns them and the writes that claim them.

    Each id must be a live attachment of `owner`, `ready`, on no other ticket
    (the same ticket is fine: a retried request), cited once; with what the
    ticket already has, at most 5 attachments and 20 MB. Any failure is one 422
    naming each bad `attachment_ids.N`. Nothing is written: add the claim to the
    ticket's (or comment's) transaction with `repo.claim_in(tx, claim, now)`.
    1 BatchGetItem (none for an empty list).
    """
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, attachment_id in enumerate(attachment_ids):
        if attachment_id in seen:
            errors.append(FieldError(f"attachment_ids.{index}", "Pièce jointe citée deux fois."))
        seen.add(attachment_id)
    if len(seen) + already_on_ticket > MAX_ATTACHMENTS_PER_TICKET:
        message = f"Au plus {MAX_ATTACHMENTS_PER_TICKET} pièces jointes par ticket."
        raise InvalidFieldsError(message, errors=[FieldError("attachment_ids", message), *errors])
    found = repo.get_many(list(seen))
    claimed: dict[str, Attachment] = {}
    for index, attachment_id in enumerate(attachment_ids):
        problem = _claim_problem(found.get(attachment_id), owner, ticket_id, now)
        if problem is not None:
            errors.append(FieldError(f"attachment_ids.{index}", problem))
        else:
            claimed.setdefault(attachment_id, found[attachment_id])
    attachments = list(claimed.values())
    total = already_bytes + sum(attachment.size or 0 for attachment in attachments)
    if total > MAX_TICKET_BYTES:
        errors.append(
            FieldError(
                "attachment_ids",
                f"Au plus {MAX_TICKET_BYTES // MB} Mo de pièces jointes par ticket.",
            )
        )
    if errors:
        names = ", ".join(dict.fromkeys(error.field for error in errors))
        raise InvalidFieldsError(f"Pièces jointes invalides : {names}.", errors=errors)
    return AttachmentClaim(
        attachments=attachments, owner=owner, ticket_id=ticket_id, total_bytes=total
    )


def _claim_problem(
    attachment: Attachment | None, owner: str, ticket_id: str, now: datetime
) -> str | None:
    if attachment is None or attachment.owner != owner or not attachment.is_live(now):
        return "Pièce jointe introuvable."
    if attachment.status == "pending":
        return "Pièce jointe en cours de vérification : réessayez dans un instant."
    if attachment.status == "rejected":
        return "Pièce jointe refusée : " + (attachment.reason or "fichier non conforme.")
    if attachment.ticket_id not in (None, ticket_id):
        return "Pièce jointe déjà jointe à un autre ticket."
    return None


def claim_conflicts(failed: TransactionFailed, claim: AttachmentClaim) -> InvalidFieldsError | None:
    """A 422 naming the attachments whose claim cancelled a transaction, if that is why."""
    lost = set(failed.failed_under(CLAIM_LABEL))
    errors = [
        FieldError(f"attachment_ids.{index}", "Pièce jointe plus disponible pour ce ticket.")
        for index, attachment in enumerate(claim.attachments)
        if attachment.attachment_id in lost
    ]
    if not errors:
        return None
    return InvalidFieldsError("Pièces jointes plus disponibles.", errors=errors)


def attachment_links(
    repo: AttachmentRepository,
    store: UploadStore,
    ticket_id: str,
    now: datetime,
    attachments: Sequence[Attachment] | None = None,
) -> list[AttachmentLink]:
    """The ticket's ready attachments with presigned GETs (5 minutes, as attachment).

    1 Query on gsi1 unless `attachments` are given; signing makes no call. Call
    it only for viewers allowed to see the ticket (chalicelib/tickets/access.py).
    """
    found = list(attachments) if attachments is not None else repo.for_ticket(ticket_id)
    expires_at = now + timedelta(seconds=DOWNLOAD_EXPIRY_SECONDS)
    return [
        AttachmentLink(
            attachment_id=attachment.attachment_id,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=attachment.size or 0,
            download_url=store.presign_get(
                attachment.key, attachment.filename, attachment.content_type
            ),
            expires_at=expires_at,
        )
        for attachment in sorted(found, key=lambda a: (a.created_at, a.attachment_id))
        if attachment.status == "ready" and attachment.ticket_id == ticket_id
    ]


class TicketAttachments:
    """The attachments area as the tickets area uses it (handed in by the edge).

    Implements `chalicelib.tickets.context.Attachments`: check and claim a
    ticket's attachments, explain a lost claim, sign the links of a ticket's
    attachments, and say whose uploads a caller may attach.
    """

    def __init__(self, repo: AttachmentRepository, uploads: Callable[[], UploadStore]) -> None:
        self._repo = repo
        # A factory: the S3 client is made only when a download URL is signed,
        # which keeps it off the cold start of every other ticket call.
        self._uploads = uploads

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
        return claim_attachments(
            self._repo,
            owner,
            attachment_ids,
            ticket_id,
            now=now,
            already_on_ticket=already_on_ticket,
            already_bytes=already_bytes,
        )

    def claim_in(self, tx: Transaction, claim: AttachmentClaim, now: datetime) -> None:
        self._repo.claim_in(tx, claim, now)

    def lost_claims(
        self, failed: TransactionFailed, claim: AttachmentClaim
    ) -> InvalidFieldsError | None:
        return claim_conflicts(failed, claim)

    def links(
        self, ticket_id: str, attachment_ids: Sequence[str], now: datetime
    ) -> list[AttachmentLink]:
        """1 BatchGetItem (by key: strongly consistent), none without attachments."""
        if not attachment_ids:
            return []
        found = self._repo.get_many(attachment_ids)
        return attachment_links(self._repo, self._uploads(), ticket_id, now, list(found.values()))

    def owner_for(self, identity: Identity | None, upload_token: str | None) -> str | None:
        """Whose uploads the caller may attach: theirs, or a client token's (None: nobody's)."""
        if identity is not None:
            return identity.user_id
        if upload_token and UPLOAD_TOKEN_PATTERN.match(upload_token):
            return help_owner(upload_token)
        return None
