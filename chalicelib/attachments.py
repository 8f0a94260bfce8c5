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

import codecs
import hashlib
import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from chalicelib.auth import BUSINESS_AGENTS, SUPPORT_AGENTS, Identity
from chalicelib.shared import dynamo
from chalicelib.shared.errors import (
    FieldError,
    InvalidFieldsError,
    NotFoundError,
    PayloadTooLargeError,
)
from chalicelib.shared.logs import get_logger
from chalicelib.shared.models import Model

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

    from chalicelib.shared.ratelimit import RateLimiter

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


FILE_KINDS: dict[str, FileKind] = {
    "image/png": FileKind(".png", "image PNG", (b"\x89PNG\r\n\x1a\n",)),
    "image/jpeg": FileKind(".jpg", "image JPEG", (b"\xff\xd8\xff",)),
    "image/gif": FileKind(".gif", "image GIF", (b"GIF87a", b"GIF89a")),
    "image/webp": FileKind(".webp", "image WebP"),  # RIFF....WEBP: checked apart
    "application/pdf": FileKind(".pdf", "document PDF", (b"%PDF-",)),
    "text/plain": FileKind(".txt", "texte", text=True),
    "text/csv": FileKind(".csv", "fichier CSV", text=True),
    "application/xml": FileKind(".xml", "fichier XML", text=True),
    "text/xml": FileKind(".xml", "fichier XML", text=True),
}


# ---------------------------------------------------------------- models


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
    """Attachments validated for a ticket, and the writes that tie them to it.

    `transaction_items` are TransactWriteItems `Update`s (low-level client form),
    one per attachment in the order of `attachments`; each re-checks owner,
    `ready` and "not on another ticket", so a race is a cancelled transaction.
    """

    attachments: list[Attachment]
    transaction_items: list[dict[str, Any]]
    total_bytes: int


@dataclass(frozen=True)
class TicketAccess:
    """What decides who may download a ticket's attachments."""

    emitter_user_id: str | None
    recipient_type: Literal["support", "business"]
    recipient_organisation_id: str | None = None


# ---------------------------------------------------------------- names and owners


def clean_filename(raw: str, fallback_extension: str = "") -> str:
    """A filename safe to show and to put in Content-Disposition.

    The last path component only, NFC, no control or format characters (so no
    NUL, no right-to-left override), whitespace collapsed, no leading or
    trailing dots, at most 100 characters with the extension kept.
    """
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = " ".join(name.split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > 10 or not extension.isalnum():
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    stem = stem[: MAX_FILENAME_CHARS - len(suffix)].rstrip(" .")
    if not stem:
        return "fichier" + (suffix or fallback_extension)
    return stem + suffix


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


def object_key(owner: str, attachment_id: str, content_type: str) -> str:
    """The server-made key: the client's filename never reaches the path."""
    if owner.startswith(HELP_OWNER_PREFIX):
        segment = "help"
    elif USER_SEGMENT_PATTERN.match(owner):
        segment = owner
    else:
        segment = "u-" + hashlib.sha256(owner.encode()).hexdigest()[:32]
    return f"uploads/{segment}/{attachment_id}/file{FILE_KINDS[content_type].extension}"


def attachment_id_from_key(key: str) -> str | None:
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != "uploads":
        return None
    return parts[2]


def tagging_xml(status: str) -> str:
    """The `tagging` form field of a presigned POST (S3 wants the XML document)."""
    return (
        f"<Tagging><TagSet><Tag><Key>{STATUS_TAG}</Key><Value>{status}</Value></Tag>"
        "</TagSet></Tagging>"
    )


def content_disposition(filename: str) -> str:
    """`attachment`, with an ASCII fallback name and the exact UTF-8 one (RFC 6266)."""
    decomposed = unicodedata.normalize("NFKD", filename)
    ascii_name = decomposed.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{ascii_name or 'fichier'}\"; filename*=UTF-8''" + quote(
        filename, safe=""
    )


# ---------------------------------------------------------------- adapters


class AttachmentRepository:
    """Attachment items of the tickets table (pk `ATTACHMENT#{id}`, sk `ATTACHMENT`).

    Claimed attachments carry gsi1pk `ATTACHMENTS#{ticket_id}` so a ticket's
    attachments come back with one Query.
    """

    def __init__(self, table: Table, dynamodb_client: Any) -> None:
        self._table = table
        # For transaction items in the typed form the tickets code's transactions use.
        self._typed_client = dynamodb_client

    @property
    def _client(self) -> Any:
        # The table resource's client: it (de)serialises attribute values itself.
        return self._table.meta.client

    @staticmethod
    def _key(attachment_id: str) -> dict[str, str]:
        return {"pk": f"ATTACHMENT#{attachment_id}", "sk": "ATTACHMENT"}

    def add(self, attachment: Attachment) -> None:
        item = {**self._key(attachment.attachment_id), **_item(attachment)}
        self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")

    def get(self, attachment_id: str) -> Attachment | None:
        response = self._table.get_item(Key=self._key(attachment_id), ConsistentRead=True)
        item = response.get("Item")
        return None if item is None else Attachment.model_validate(item)

    def get_many(self, attachment_ids: Sequence[str]) -> dict[str, Attachment]:
        """The attachments that exist among `attachment_ids` (one BatchGetItem for ≤ 100)."""
        if not attachment_ids:
            return {}
        name = self._table.name
        request: dict[str, Any] = {
            name: {
                "Keys": [self._key(i) for i in dict.fromkeys(attachment_ids)],
                "ConsistentRead": True,
            }
        }
        found: dict[str, Attachment] = {}
        while request:
            response: Any = self._client.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(name, []):
                attachment = Attachment.model_validate(item)
                found[attachment.attachment_id] = attachment
            request = response.get("UnprocessedKeys") or {}
        return found

    def for_ticket(self, ticket_id: str) -> list[Attachment]:
        from boto3.dynamodb.conditions import Key

        response = self._table.query(
            IndexName="gsi1", KeyConditionExpression=Key("gsi1pk").eq(f"ATTACHMENTS#{ticket_id}")
        )
        return [Attachment.model_validate(item) for item in response["Items"]]

    def mark_ready(self, attachment_id: str, size: int, expires_at: int | None) -> bool:
        """Ready with its real size; False if it was rejected meanwhile (rejection is final)."""
        update = "SET #status = :ready, #size = :size REMOVE reason"
        values: dict[str, Any] = {":ready": "ready", ":size": size, ":rejected": "rejected"}
        if expires_at is not None:
            update = "SET #status = :ready, #size = :size, expires_at = :expires REMOVE reason"
            values[":expires"] = expires_at
        return self._update(
            attachment_id,
            update,
            values,
            condition="attribute_exists(pk) AND #status <> :rejected",
            names={"#status": "status", "#size": "size"},
        )

    def mark_rejected(self, attachment_id: str, reason: str, size: int | None) -> bool:
        values: dict[str, Any] = {":rejected": "rejected", ":reason": reason}
        update = "SET #status = :rejected, reason = :reason"
        if size is not None:
            update += ", #size = :size"
            values[":size"] = size
        return self._update(
            attachment_id,
            update,
            values,
            condition="attribute_exists(pk)",
            names={"#status": "status", "#size": "size"} if size is not None else None,
        )

    def _update(
        self,
        attachment_id: str,
        update: str,
        values: dict[str, Any],
        *,
        condition: str,
        names: dict[str, str] | None = None,
    ) -> bool:
        kwargs: dict[str, Any] = {
            "Key": self._key(attachment_id),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if names:
            kwargs["ExpressionAttributeNames"] = {
                k: v for k, v in names.items() if k in update or k in condition
            }
        try:
            self._table.update_item(**kwargs)
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def claim_items(
        self, attachments: Iterable[Attachment], owner: str, ticket_id: str, now: datetime
    ) -> list[dict[str, Any]]:
        """TransactWriteItems Updates tying `attachments` to `ticket_id` (and ending their TTL)."""
        return [
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": dynamo.serialize(self._key(attachment.attachment_id)),
                    "UpdateExpression": (
                        "SET ticket_id = :ticket, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk "
                        "REMOVE expires_at"
                    ),
                    "ConditionExpression": (
                        "#owner = :owner AND #status = :ready "
                        "AND (attribute_not_exists(ticket_id) OR ticket_id = :ticket)"
                    ),
                    "ExpressionAttributeNames": {"#owner": "owner", "#status": "status"},
                    "ExpressionAttributeValues": dynamo.serialize(
                        {
                            ":ticket": ticket_id,
                            ":owner": owner,
                            ":ready": "ready",
                            ":gsi1pk": f"ATTACHMENTS#{ticket_id}",
                            ":gsi1sk": f"{now.isoformat()}#{attachment.attachment_id}",
                        }
                    ),
                }
            }
            for attachment in attachments
        ]

    def commit(self, transaction_items: list[dict[str, Any]]) -> None:
        """Run claim items on their own (when no other write has to be atomic with them).

        The items are in the low-level client's typed form, as the tickets code's
        transactions want them: the table resource's client would type them twice.
        """
        if transaction_items:
            self._typed_client.transact_write_items(TransactItems=transaction_items)


def _item(attachment: Attachment) -> dict[str, Any]:
    return attachment.model_dump(mode="json", exclude_none=True)


class UploadStore:
    """The uploads bucket: signing POSTs and GETs (local, no call), reading, tagging, deleting."""

    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._s3 = s3_client
        self.bucket = bucket

    def presign_post(self, key: str, content_type: str, max_size: int) -> PresignedPost:
        """A POST policy pinning bucket, key, type, 1..max_size bytes, the pending tag, 5 min."""
        tagging = tagging_xml("pending")
        signed = self._s3.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type, "tagging": tagging},
            Conditions=[
                {"Content-Type": content_type},
                {"tagging": tagging},
                ["content-length-range", 1, max_size],
            ],
            ExpiresIn=UPLOAD_EXPIRY_SECONDS,
        )
        return PresignedPost(url=signed["url"], fields=signed["fields"])

    def presign_get(self, key: str, filename: str, content_type: str) -> str:
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentDisposition": content_disposition(filename),
        }
        if FILE_KINDS.get(content_type, FileKind("", "")).text:
            # Checked as UTF-8: say so, or browsers guess the charset.
            params["ResponseContentType"] = f"{content_type}; charset=utf-8"
        return str(
            self._s3.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=DOWNLOAD_EXPIRY_SECONDS
            )
        )

    def open(self, key: str, first_bytes: int | None) -> StoredObject | None:
        """The object (its first bytes, or all of it streamed); None if it is gone."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if first_bytes is not None:
            kwargs["Range"] = f"bytes=0-{first_bytes - 1}"
        try:
            response = self._s3.get_object(**kwargs)
        except self._s3.exceptions.NoSuchKey:
            return None
        except self._s3.exceptions.ClientError as error:
            # An empty object has no byte 0: S3 answers a ranged GET with 416.
            if error.response.get("Error", {}).get("Code") == "InvalidRange":
                return StoredObject(0, "", iter(()))
            raise
        content_range = str(response.get("ContentRange") or "")
        size = int(content_range.rsplit("/", 1)[1]) if "/" in content_range else None
        body = response["Body"]
        return StoredObject(
            size if size is not None else int(response["ContentLength"]),
            str(response.get("ContentType") or ""),
            iter(lambda: body.read(TEXT_CHUNK_BYTES), b""),
        )

    def mark(self, key: str, status: str) -> None:
        self._s3.put_object_tagging(
            Bucket=self.bucket,
            Key=key,
            Tagging={"TagSet": [{"Key": STATUS_TAG, "Value": status}]},
        )

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=key)


def get_attachment_repository() -> AttachmentRepository:
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings

    return AttachmentRepository(aws.table(get_settings().tickets_table), aws.client("dynamodb"))


def get_upload_store() -> UploadStore:
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings

    return UploadStore(aws.s3(), get_settings().uploads_bucket)


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
        filename=clean_filename(filename, FILE_KINDS[content_type].extension),
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


# ---------------------------------------------------------------- checking after upload


class UploadedObject(Model):
    """An object an S3 ObjectCreated notification announces."""

    bucket: str
    key: str


def uploaded_objects(message_body: str) -> list[UploadedObject]:
    """The objects an S3 notification delivered through SQS announces.

    S3's first message to a queue is an `s3:TestEvent` without records; keys
    arrive `quote_plus`-encoded (TRAPS.md). Anything else than ObjectCreated is
    ignored; a body that is not a notification is an error (the message goes
    back to the queue, then to its dead-letter queue).
    """
    from urllib.parse import unquote_plus

    notification = S3Notification.model_validate_json(message_body)
    return [
        UploadedObject(bucket=record.s3.bucket.name, key=unquote_plus(record.s3.object.key))
        for record in notification.Records
        if record.eventName.startswith("ObjectCreated")
    ]


class _S3Bucket(Model):
    name: str


class _S3Object(Model):
    key: str


class _S3Entity(Model):
    bucket: _S3Bucket
    object: _S3Object


class _S3Record(Model):
    eventName: str  # noqa: N815 - S3's field name
    s3: _S3Entity


class S3Notification(Model):
    """The body S3 sends to a queue (only what the checker reads)."""

    Records: list[_S3Record] = []  # noqa: N815 - S3's field name


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


def rejection_reason(attachment: Attachment, stored: StoredObject) -> str | None:
    """Why a stored object cannot be this attachment, in French; None if it can."""
    kind = FILE_KINDS[attachment.content_type]
    if stored.size < 1:
        return "Le fichier est vide."
    if stored.size > attachment.declared_size:
        return (
            f"Le fichier ({stored.size} octets) dépasse la taille annoncée "
            f"({attachment.declared_size} octets)."
        )
    stored_type = stored.content_type.split(";")[0].strip().lower()
    if stored_type != attachment.content_type:
        return f"Le fichier a été envoyé comme « {stored_type or 'inconnu'} », pas {kind.label}."
    if kind.text:
        return text_problem(stored.chunks, xml=attachment.content_type.endswith("xml"))
    head = b"".join(stored.chunks)[:HEAD_BYTES]
    if not matches_signature(attachment.content_type, head):
        return f"Le contenu du fichier n'est pas celui d'un(e) {kind.label}."
    return None


def matches_signature(content_type: str, head: bytes) -> bool:
    """Whether the first bytes are those of `content_type` (binary types)."""
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return any(head.startswith(signature) for signature in FILE_KINDS[content_type].signatures)


def text_problem(chunks: Iterable[bytes], *, xml: bool = False) -> str | None:
    """Why streamed bytes are not UTF-8 text without NUL (or not XML-looking); None if fine.

    Decoded incrementally, so a 10 MB file costs 64 KiB of memory, and a
    character split across two chunks is not an error.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    start = ""
    try:
        for chunk in chunks:
            text = decoder.decode(chunk)
            if "\x00" in text:
                return "Le texte contient un caractère nul."
            if xml and len(start) < 64:
                start += text[:64]
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "Le texte n'est pas encodé en UTF-8."
    if xml and not start.lstrip("\ufeff \t\r\n").startswith("<"):
        return "Le contenu du fichier n'est pas du XML."
    return None


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
    naming each bad `attachment_ids.N`. Nothing is written: put
    `claim.transaction_items` in the ticket's (or comment's) TransactWriteItems,
    or run them alone with `repo.commit`. 1 BatchGetItem (none for an empty list).
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
        attachments=attachments,
        transaction_items=repo.claim_items(attachments, owner, ticket_id, now),
        total_bytes=total,
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


def claim_conflicts(
    cancellation_codes: Sequence[str], first_claim_index: int, attachment_ids: Sequence[str]
) -> InvalidFieldsError | None:
    """A 422 naming the attachments whose claim failed in a cancelled transaction, if any.

    `first_claim_index` is where `claim.transaction_items` start in the
    transaction; `attachment_ids` are `claim.attachments`' ids, in order.
    """
    errors = [
        FieldError(f"attachment_ids.{index}", "Pièce jointe plus disponible pour ce ticket.")
        for index, attachment_id in enumerate(attachment_ids)
        if first_claim_index + index < len(cancellation_codes)
        and cancellation_codes[first_claim_index + index] == "ConditionalCheckFailed"
    ]
    if not errors:
        return None
    return InvalidFieldsError("Pièces jointes plus disponibles.", errors=errors)


def may_download(
    viewer: Identity, viewer_organisation_ids: Iterable[str], ticket: TicketAccess
) -> bool:
    """The emitter, and the agents the ticket is addressed to; nobody else.

    Support tickets: `support_agents`. Business tickets: `business_agents` of
    the recipient organisation. Must say the same as who may read the ticket.
    """
    if ticket.emitter_user_id is not None and viewer.user_id == ticket.emitter_user_id:
        return True
    if ticket.recipient_type == "support":
        return viewer.has_role(SUPPORT_AGENTS)
    return viewer.has_role(BUSINESS_AGENTS) and (
        ticket.recipient_organisation_id in set(viewer_organisation_ids)
    )


def attachment_links(
    repo: AttachmentRepository,
    store: UploadStore,
    ticket_id: str,
    now: datetime,
    attachments: Sequence[Attachment] | None = None,
) -> list[AttachmentLink]:
    """The ticket's ready attachments with presigned GETs (5 minutes, as attachment).

    1 Query on gsi1 unless `attachments` are given; signing makes no call. Call
    it only for viewers `may_download` allows.
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
