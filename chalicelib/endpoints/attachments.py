"""Attachment routes (ask to upload, follow an upload) and the S3 upload checker."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from chalicelib.attachments import service as attachments
from chalicelib.attachments.models import (
    UPLOAD_TOKEN_HEADER,
    AttachmentStatus,
    ContentType,
    UploadGrant,
)
from chalicelib.attachments.uploads import uploaded_objects
from chalicelib.endpoints import wiring
from chalicelib.endpoints.api import Api, Call, RequestModel
from chalicelib.shared import clock
from chalicelib.shared.models import Model

api = Api("tickets")


class UploadRequest(RequestModel):
    filename: str = Field(min_length=1, max_length=1000)
    content_type: ContentType
    # The upper bound (10 MB) is checked by the service: past it is a 413, not a 422.
    size: int = Field(ge=1)

    @field_validator("content_type", mode="before")
    @classmethod
    def _bare_media_type(cls, value: Any) -> Any:
        """`Text/CSV; charset=utf-8` is `text/csv`: browsers vary in case and parameters."""
        if isinstance(value, str):
            return value.split(";")[0].strip().lower()
        return value


@api.route(
    "/tickets/attachments",
    "POST",
    summary="Ask to upload an attachment: a presigned POST to S3 (also without an account)",
    body=UploadRequest,
    response=UploadGrant,
    status=201,
    anonymous=True,
    errors=(413, 422, 429),
)
def request_upload(call: Call) -> UploadGrant:
    body: UploadRequest = call.body
    return attachments.request_upload(
        wiring.attachment_repository(),
        wiring.upload_store(),
        wiring.rate_limiter(),
        attachments.uploader_for(call.identity, call.headers.get(UPLOAD_TOKEN_HEADER)),
        filename=body.filename,
        content_type=body.content_type,
        size=body.size,
        client_address=call.client_ip,
        now=clock.now(),
    )


@api.route(
    "/tickets/attachments/{attachment_id}",
    summary="Where an upload stands (without an account: send X-Upload-Token)",
    response=AttachmentStatus,
    anonymous=True,
    errors=(404,),
)
def attachment_status(call: Call, attachment_id: str) -> AttachmentStatus:
    return attachments.attachment_status(
        wiring.attachment_repository(),
        attachment_id,
        attachments.caller_owners(call.identity, call.headers.get(UPLOAD_TOKEN_HEADER)),
        clock.now(),
    )


class CheckedUpload(Model):
    attachment_id: str | None
    status: str | None


def check_upload(event: Any) -> list[dict[str, Any]]:
    # S3 announces uploads to a queue (infra/resources.py), not straight to this
    # function: Chalice cannot package `on_s3_event` beside the bucket's own
    # notifications, and the queue gives retries and a dead-letter queue.
    results = []
    for record in event:
        for uploaded in uploaded_objects(record.body):
            checked = attachments.check_upload(
                wiring.attachment_repository(),
                wiring.upload_store(),
                uploaded.key,
                clock.now(),
            )
            results.append(
                CheckedUpload(
                    attachment_id=checked.attachment_id if checked else None,
                    status=checked.status if checked else None,
                ).model_dump()
            )
    return results
