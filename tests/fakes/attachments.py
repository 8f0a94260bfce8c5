"""In-memory `AttachmentRepository` and `UploadStore`.

The repository keeps each attachment as its item (the record, plus `gsi1sk` once
claimed: `{claim time}#{id}`, the order `for_ticket` returns), with the adapter's
conditions: `add` refuses an existing id (`ConditionFailedError`, which
`condition_failed` recognises), `mark_ready` a missing or rejected attachment,
`mark_rejected` a missing one, and each claim (`attachment:{id}` in the ticket's
transaction) an attachment that is not the owner's, not `ready`, or on another
ticket. Updates never create a missing attachment.

The upload store keeps objects (bytes, content type, tags) by key. Its signed
URLs are deterministic fakes under https://uploads.fake.invalid/; `upload` is
what the browser's POST does (the object arrives tagged `status=pending`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from chalicelib.attachments.content import content_disposition
from chalicelib.attachments.models import (
    FILE_KINDS,
    STATUS_TAG,
    TEXT_CHUNK_BYTES,
    Attachment,
    AttachmentClaim,
    PresignedPost,
    StoredObject,
)
from chalicelib.attachments.repository import CLAIM_LABEL
from chalicelib.attachments.uploads import tagging_xml
from chalicelib.shared.dynamo import Transaction
from tests.fakes.transaction import STATE_LOCK, ConditionFailedError, fake_transaction

FAKE_UPLOADS_URL = "https://uploads.fake.invalid"


class FakeAttachmentRepository:
    """Attachment records, in memory."""

    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}

    def add(self, attachment: Attachment) -> None:
        with STATE_LOCK:
            if attachment.attachment_id in self._items:
                raise ConditionFailedError(f"attachment {attachment.attachment_id} exists")
            self._items[attachment.attachment_id] = attachment.model_dump(
                mode="json", exclude_none=True
            )

    def get(self, attachment_id: str) -> Attachment | None:
        with STATE_LOCK:
            item = self._items.get(attachment_id)
            return Attachment.model_validate(item) if item else None

    def get_many(self, attachment_ids: Sequence[str]) -> dict[str, Attachment]:
        with STATE_LOCK:
            return {
                attachment_id: Attachment.model_validate(self._items[attachment_id])
                for attachment_id in dict.fromkeys(attachment_ids)
                if attachment_id in self._items
            }

    def for_ticket(self, ticket_id: str) -> list[Attachment]:
        with STATE_LOCK:
            claimed = [i for i in self._items.values() if i.get("ticket_id") == ticket_id]
            claimed.sort(key=lambda item: str(item["gsi1sk"]))
            return [Attachment.model_validate(item) for item in claimed]

    def mark_ready(self, attachment_id: str, size: int, expires_at: int | None) -> bool:
        with STATE_LOCK:
            item = self._items.get(attachment_id)
            if item is None or item["status"] == "rejected":
                return False
            item.update(status="ready", size=size)
            item.pop("reason", None)
            if expires_at is not None:
                item["expires_at"] = expires_at
            return True

    def mark_rejected(self, attachment_id: str, reason: str, size: int | None) -> bool:
        with STATE_LOCK:
            item = self._items.get(attachment_id)
            if item is None:
                return False
            item.update(status="rejected", reason=reason)
            if size is not None:
                item["size"] = size
            return True

    def claim_in(self, tx: Transaction, claim: AttachmentClaim, now: datetime) -> None:
        fake = fake_transaction(tx)
        for attachment in claim.attachments:
            attachment_id = attachment.attachment_id

            def claimable(attachment_id: str = attachment_id) -> bool:
                item = self._items.get(attachment_id)
                return (
                    item is not None
                    and item["owner"] == claim.owner
                    and item["status"] == "ready"
                    and item.get("ticket_id") in (None, claim.ticket_id)
                )

            def write(attachment_id: str = attachment_id) -> None:
                item = self._items[attachment_id]
                item.update(ticket_id=claim.ticket_id, gsi1sk=f"{now.isoformat()}#{attachment_id}")
                item.pop("expires_at", None)

            fake.add(CLAIM_LABEL + attachment_id, claimable, write)


@dataclass
class FakeObject:
    """An object of the uploads bucket."""

    body: bytes
    content_type: str
    tags: dict[str, str] = field(default_factory=dict)


class FakeUploadStore:
    """The uploads bucket, in memory."""

    def __init__(self) -> None:
        self.objects: dict[str, FakeObject] = {}

    def presign_post(self, key: str, content_type: str, max_size: int) -> PresignedPost:
        return PresignedPost(
            url=f"{FAKE_UPLOADS_URL}/",
            fields={
                "key": key,
                "Content-Type": content_type,
                "tagging": tagging_xml("pending"),
                # Stands for the policy's content-length-range, so a test can read it.
                "x-fake-max-size": str(max_size),
            },
        )

    def presign_get(self, key: str, filename: str, content_type: str) -> str:
        params = {"response-content-disposition": content_disposition(filename)}
        kind = FILE_KINDS.get(content_type)
        if kind is not None and kind.text:
            params["response-content-type"] = f"{content_type}; charset=utf-8"
        return f"{FAKE_UPLOADS_URL}/{quote(key)}?{urlencode(params, quote_via=quote)}"

    def open(self, key: str, first_bytes: int | None) -> StoredObject | None:
        with STATE_LOCK:
            found = self.objects.get(key)
        if found is None:
            return None
        body = found.body
        if first_bytes is not None:
            if not body:
                # S3 answers a ranged GET of an empty object with 416: no type either.
                return StoredObject(0, "", iter(()))
            return StoredObject(len(body), found.content_type, iter([body[:first_bytes]]))
        return StoredObject(len(body), found.content_type, _chunks(body))

    def mark(self, key: str, status: str) -> None:
        with STATE_LOCK:
            if key not in self.objects:
                raise KeyError(f"NoSuchKey: {key}")
            self.objects[key].tags = {STATUS_TAG: status}

    def delete(self, key: str) -> None:
        with STATE_LOCK:
            self.objects.pop(key, None)

    # For tests

    def upload(self, key: str, body: bytes, content_type: str) -> None:
        """What the browser's POST does: the object, tagged as the policy says."""
        with STATE_LOCK:
            self.objects[key] = FakeObject(body, content_type, {STATUS_TAG: "pending"})

    def tags(self, key: str) -> dict[str, str]:
        with STATE_LOCK:
            return dict(self.objects[key].tags)


def _chunks(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), TEXT_CHUNK_BYTES):
        yield body[start : start + TEXT_CHUNK_BYTES]
