"""The uploads bucket: presigned POSTs and GETs, reading, tagging and deleting objects,
and the notifications S3 sends when an object is created."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol
from urllib.parse import unquote_plus

from chalicelib.attachments.content import content_disposition
from chalicelib.attachments.models import (
    DOWNLOAD_EXPIRY_SECONDS,
    FILE_KINDS,
    HELP_OWNER_PREFIX,
    STATUS_TAG,
    TEXT_CHUNK_BYTES,
    UPLOAD_EXPIRY_SECONDS,
    USER_SEGMENT_PATTERN,
    FileKind,
    PresignedPost,
    StoredObject,
)
from chalicelib.shared.models import Model


class UploadStore(Protocol):
    """Where files are (S3, or an in-memory fake)."""

    def presign_post(self, key: str, content_type: str, max_size: int) -> PresignedPost: ...

    def presign_get(self, key: str, filename: str, content_type: str) -> str: ...

    def open(self, key: str, first_bytes: int | None) -> StoredObject | None: ...

    def mark(self, key: str, status: str) -> None: ...

    def delete(self, key: str) -> None: ...


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


class S3UploadStore:
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
