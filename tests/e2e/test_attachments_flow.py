"""Attachments on the local stack over HTTP: ask, POST the form to S3 (the moto server), the
pump delivers S3's announcement to the checker, the upload becomes ready; then a ticket."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.e2e.stack import LocalStack

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
READY_TIMEOUT_SECONDS = 15


def _upload(
    stack: LocalStack,
    data: bytes,
    user: str | None = "alice",
    headers: dict[str, str] | None = None,
    **declared: Any,
) -> dict[str, Any]:
    body = {"filename": "capture d'écran.png", "content_type": "image/png", "size": len(data)}
    body.update(declared)
    status, grant = stack.request("POST", "/tickets/attachments", body, user=user, headers=headers)
    assert status == 201, grant
    posted = requests.post(
        grant["upload"]["url"],
        data=grant["upload"]["fields"],
        files={"file": ("capture.png", data, str(body["content_type"]))},
        timeout=10,
    )
    assert posted.status_code == 204, posted.text
    return dict(grant)


def _settled_status(
    stack: LocalStack,
    attachment_id: str,
    user: str | None = "alice",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Poll until the pump has delivered S3's announcement and the checker has decided."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        status, body = stack.request(
            "GET", f"/tickets/attachments/{attachment_id}", user=user, headers=headers
        )
        assert status == 200, body
        if body["status"] != "pending" or time.monotonic() > deadline:
            return dict(body)
        time.sleep(0.3)


def test_an_upload_posted_to_the_returned_form_becomes_ready(local_stack: LocalStack) -> None:
    grant = _upload(local_stack, PNG)

    status = _settled_status(local_stack, grant["attachment_id"])

    assert grant["upload"]["url"].startswith(local_stack.moto_url)
    assert status["status"] == "ready"
    assert status["size"] == len(PNG)
    assert status["filename"] == "capture d'écran.png"
    other_status, _ = local_stack.request(
        "GET", f"/tickets/attachments/{grant['attachment_id']}", user="bruno"
    )
    assert other_status == 404


def test_an_anonymous_upload_is_followed_with_its_client_token(local_stack: LocalStack) -> None:
    grant = _upload(local_stack, b"%PDF-1.7 not a png", user=None, size=100)
    token = {"X-Upload-Token": grant["client_token"]}

    status = _settled_status(local_stack, grant["attachment_id"], user=None, headers=token)
    without_token, _ = local_stack.request("GET", f"/tickets/attachments/{grant['attachment_id']}")

    assert status["status"] == "rejected"
    assert "image PNG" in status["reason"]
    assert without_token == 404


def test_an_attachment_put_on_a_ticket_downloads_with_the_same_bytes(
    local_stack: LocalStack,
) -> None:
    grant = _upload(local_stack, PNG)
    assert _settled_status(local_stack, grant["attachment_id"])["status"] == "ready"

    status, ticket = local_stack.request(
        "POST",
        "/tickets",
        {
            "organisation_id": "org-boulangerie-martin",
            "category": "FACTURE",
            "subcategory": "M21",
            "object_number": "FA-2026-0002",
            "title": "Rejet de ma facture",
            "description": "La facture a été rejetée ; voici la capture du portail.",
            "attachment_ids": [grant["attachment_id"]],
        },
        user="alice",
    )
    assert status == 201, ticket
    downloads = {}
    for user in ("alice", "marc"):
        got, detail = local_stack.request("GET", f"/tickets/{ticket['ticket_id']}", user=user)
        assert got == 200, detail
        [attachment] = detail["attachments"]
        assert attachment["attachment_id"] == grant["attachment_id"]
        downloads[user] = requests.get(attachment["download_url"], timeout=10)
    bruno, _ = local_stack.request("GET", f"/tickets/{ticket['ticket_id']}", user="bruno")

    for response in downloads.values():
        assert response.status_code == 200
        assert response.content == PNG
        assert response.headers["Content-Disposition"].startswith("attachment;")
    assert bruno == 404
