"""Attachments as the domain knows them: limits, accepted types, the records and what
the API returns about them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from chalicelib.shared.models import Model

MB = 1024 * 1024
MAX_FILE_BYTES = 10 * MB
MAX_ATTACHMENTS_PER_TICKET = 5
MAX_TICKET_BYTES = 20 * MB
MAX_FILENAME_CHARS = 100
UPLOAD_EXPIRY_SECONDS = 300
DOWNLOAD_EXPIRY_SECONDS = 300
# A pending record outlives its 5-minute policy so that a late S3 event (queue
# retries) still finds it; a ready one waits a day for the ticket that uses it.
PENDING_TTL = timedelta(hours=1)
UNCLAIMED_TTL = timedelta(days=1)
# Magic numbers fit in 12 bytes; 4 KiB keeps the ranged read one small GET.
HEAD_BYTES = 4096
TEXT_CHUNK_BYTES = 64 * 1024
ANONYMOUS_UPLOADS_PER_HOUR = 30
HELP_OWNER_PREFIX = "help:"
# Uploads without an account: the client token comes back in this header (lower-cased,
# as chalicelib.endpoints.api hands headers over) on later uploads and on the help request.
UPLOAD_TOKEN_HEADER = "x-upload-token"
UPLOAD_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
USER_SEGMENT_PATTERN = re.compile(r"^[A-Za-z0-9._@-]{1,128}$")
STATUS_TAG = "status"

Status = Literal["pending", "ready", "rejected"]
ContentType = Literal[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/xml",
    "text/xml",
]


@dataclass(frozen=True)
class FileKind:
    """What an allowed content type looks like on disk."""

    extension: str
    label: str
    # Byte strings one of which the file must start with; () for text types.
    signatures: tuple[bytes, ...] = ()
    text: bool = False
    # Other extensions a file of this kind is commonly named with.
    aliases: tuple[str, ...] = ()

    @property
    def extensions(self) -> tuple[str, ...]:
        return (self.extension, *self.aliases)


FILE_KINDS: dict[str, FileKind] = {
    "image/png": FileKind(".png", "image PNG", (b"\x89PNG\r\n\x1a\n",)),
    "image/jpeg": FileKind(".jpg", "image JPEG", (b"\xff\xd8\xff",), aliases=(".jpeg",)),
    "image/gif": FileKind(".gif", "image GIF", (b"GIF87a", b"GIF89a")),
    "image/webp": FileKind(".webp", "image WebP"),  # RIFF....WEBP: checked apart
    "application/pdf": FileKind(".pdf", "document PDF", (b"%PDF-",)),
    "text/plain": FileKind(".txt", "texte", text=True),
    "text/csv": FileKind(".csv", "fichier CSV", text=True),
    "application/xml": FileKind(".xml", "fichier XML", text=True),
    "text/xml": FileKind(".xml", "fichier XML", text=True),
}


class Attachment(Model):
    """One attachment, as stored (item `ATTACHMENT#{id}` / `ATTACHMENT` of the tickets table)."""

    attachment_id: str
    owner: str
    key: str
    filename: str
    content_type: str
    declared_size: int
    # The stored object's real size, known once checked.
    size: int | None = None
    status: Status = "pending"
    reason: str | None = None
    ticket_id: str | None = None
    created_at: datetime
    # Epoch seconds (DynamoDB TTL); None once claimed by a ticket.
    expires_at: int | None = None

    def is_live(self, now: datetime) -> bool:
        """False once past its TTL (TTL deletes late, and never in moto: filter on read)."""
        return self.expires_at is None or self.expires_at > int(now.timestamp())


class PresignedPost(Model):
    """Where and how the client POSTs the file: a multipart form with these fields + `file`."""

    url: str
    fields: dict[str, str]


class UploadGrant(Model):
    """The answer to a request to upload."""

    attachment_id: str
    status: Status
    filename: str
    content_type: str
    upload: PresignedPost
    expires_at: datetime
    max_size: int
    # Uploads without an account: the secret to show for this upload (and to
    # reuse, as `X-Upload-Token`, for the other files of the same help request).
    client_token: str | None = None


class AttachmentStatus(Model):
    """Where an upload stands."""

    attachment_id: str
    status: Status
    filename: str
    content_type: str
    size: int | None = None
    reason: str | None = None


class AttachmentLink(Model):
    """An attachment of a ticket with a short-lived download URL."""

    attachment_id: str
    filename: str
    content_type: str
    size: int
    download_url: str
    expires_at: datetime


@dataclass(frozen=True)
class Uploader:
    """Who uploads: a user, or the holder of a client token (no account)."""

    owner: str
    client_token: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.client_token is not None


@dataclass(frozen=True)
class StoredObject:
    """An uploaded object as S3 holds it: real size and type, and its first bytes or all."""

    size: int
    content_type: str
    chunks: Iterator[bytes]


@dataclass(frozen=True)
class AttachmentClaim:
    """Attachments validated for a ticket: put `repository.claim_in(tx, claim, now)` in the
    ticket's (or comment's) transaction; each claim re-checks owner, `ready` and "not on
    another ticket", so a race is a cancelled transaction."""

    attachments: list[Attachment]
    owner: str
    ticket_id: str
    total_bytes: int
