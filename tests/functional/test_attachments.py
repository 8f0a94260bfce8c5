"""Attachments with moto in-process: asking to upload, following an upload, the S3 checker,
and the seam the tickets code uses (claim, links)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.attachments import service as attachments
from chalicelib.attachments.models import MB, Attachment, AttachmentClaim, Uploader
from chalicelib.attachments.repository import AttachmentRepository
from chalicelib.attachments.service import (
    check_upload,
    claim_attachments,
    claim_conflicts,
    help_owner,
)
from chalicelib.attachments.uploads import S3UploadStore
from chalicelib.endpoints import wiring
from chalicelib.shared import aws
from chalicelib.shared.dynamo import TransactionFailed
from chalicelib.shared.errors import InvalidFieldsError
from tests.conftest import AwsCalls

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 64
NOW = datetime(2026, 12, 4, 17, 29, tzinfo=UTC)

Auth = Callable[[str], dict[str, str]]


def _post_upload(
    client: Any, headers: dict[str, str], **overrides: Any
) -> tuple[int, dict[str, Any]]:
    body = {"filename": "capture écran.png", "content_type": "image/png", "size": 1000}
    body.update(overrides)
    response = client.http.post("/tickets/attachments", headers=headers, body=json.dumps(body))
    return response.status_code, json.loads(response.body)


def _ready_attachment(
    owner: str = "alice", data: bytes = PNG, content_type: str = "image/png", size: int = 0
) -> Attachment:
    """An attachment uploaded and checked, straight through the services."""
    repo, store = wiring.attachment_repository(), wiring.upload_store()
    grant = attachments.request_upload(
        repo,
        store,
        wiring.rate_limiter(),
        Uploader(owner),
        filename="pièce.png",
        content_type=content_type,
        size=size or len(data),
        client_address="192.0.2.1",
        now=NOW,
    )
    _s3_put(store, f"{grant.upload.fields['key']}", data, content_type)
    checked = check_upload(repo, store, grant.upload.fields["key"], NOW)
    assert checked is not None and checked.status == "ready", checked
    return checked


def _s3_put(store: S3UploadStore, key: str, data: bytes, content_type: str) -> None:
    aws.s3().put_object(Bucket=store.bucket, Key=key, Body=data, ContentType=content_type)


def _object_exists(key: str) -> bool:
    listed = aws.s3().list_objects_v2(Bucket=wiring.upload_store().bucket, Prefix=key)
    return bool(listed.get("KeyCount"))


# ---------------------------------------------------------------- asking to upload


def test_a_user_gets_a_presigned_post_for_a_server_made_key_with_one_aws_call(
    client: Any, auth: Auth, aws_calls: AwsCalls
) -> None:
    aws_calls.reset()

    status, body = _post_upload(client, auth("alice"))

    assert status == 201, body
    assert aws_calls.total == 1 and aws_calls.count("PutItem") == 1, aws_calls.calls
    assert body["status"] == "pending"
    assert body["filename"] == "capture écran.png"
    assert body["max_size"] == 1000
    assert body["client_token"] is None
    fields = body["upload"]["fields"]
    assert fields["key"] == f"uploads/alice/{body['attachment_id']}/file.png"
    assert fields["Content-Type"] == "image/png"
    assert body["upload"]["url"].startswith("https://guichet-test-uploads.s3.")


def test_an_anonymous_upload_gets_a_client_token_and_costs_two_aws_calls(
    client: Any, aws_calls: AwsCalls
) -> None:
    aws_calls.reset()

    status, body = _post_upload(client, {"Content-Type": "application/json"})

    assert status == 201, body
    assert aws_calls.total == 2, aws_calls.calls
    assert aws_calls.count("UpdateItem") == 1  # the rate limit
    assert body["client_token"]
    assert body["upload"]["fields"]["key"].startswith("uploads/help/")
    stored = wiring.attachment_repository().get(body["attachment_id"])
    assert stored is not None
    assert stored.owner == help_owner(body["client_token"])
    assert body["client_token"] not in json.dumps(stored.model_dump(mode="json"))


def test_a_second_anonymous_upload_can_reuse_the_client_token(client: Any) -> None:
    _, first = _post_upload(client, {"Content-Type": "application/json"})

    _, second = _post_upload(
        client,
        {"Content-Type": "application/json", "X-Upload-Token": first["client_token"]},
    )

    assert second["client_token"] == first["client_token"]
    repo = wiring.attachment_repository()
    assert repo.get(second["attachment_id"]).owner == repo.get(first["attachment_id"]).owner  # type: ignore[union-attr]


def test_anonymous_uploads_are_rate_limited_per_client_address(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attachments, "ANONYMOUS_UPLOADS_PER_HOUR", 2)
    statuses = [_post_upload(client, {"Content-Type": "application/json"})[0] for _ in range(3)]

    assert statuses == [201, 201, 429]


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"size": 10 * MB + 1}, 413, None),
        ({"size": 0}, 422, "size"),
        ({"content_type": "application/x-msdownload"}, 422, "content_type"),
        ({"content_type": "text/html"}, 422, "content_type"),
        ({"filename": ""}, 422, "filename"),
    ],
)
def test_a_bad_upload_request_is_refused(
    client: Any, auth: Auth, overrides: dict[str, Any], status: int, field: str | None
) -> None:
    got, body = _post_upload(client, auth("alice"), **overrides)

    assert got == status, body
    if field:
        assert [error["field"] for error in body["errors"]] == [field]


def test_content_type_case_and_parameters_are_ignored(client: Any, auth: Auth) -> None:
    status, body = _post_upload(
        client, auth("alice"), content_type="Text/CSV; charset=utf-8", filename="a.csv"
    )

    assert status == 201, body
    assert body["content_type"] == "text/csv"
    assert body["upload"]["fields"]["Content-Type"] == "text/csv"


# ---------------------------------------------------------------- following an upload


def test_only_the_uploader_sees_an_upload(client: Any, auth: Auth) -> None:
    _, mine = _post_upload(client, auth("alice"))
    _, anonymous = _post_upload(client, {"Content-Type": "application/json"})
    path = "/tickets/attachments/"

    alice = client.http.get(path + mine["attachment_id"], headers=auth("alice"))
    bruno = client.http.get(path + mine["attachment_id"], headers=auth("bruno"))
    nobody = client.http.get(path + mine["attachment_id"])
    no_token = client.http.get(path + anonymous["attachment_id"])
    wrong_token = client.http.get(
        path + anonymous["attachment_id"], headers={"X-Upload-Token": "x" * 43}
    )
    with_token = client.http.get(
        path + anonymous["attachment_id"], headers={"X-Upload-Token": anonymous["client_token"]}
    )

    assert alice.status_code == 200
    assert json.loads(alice.body)["status"] == "pending"
    assert (bruno.status_code, nobody.status_code) == (404, 404)
    assert (no_token.status_code, wrong_token.status_code) == (404, 404)
    assert with_token.status_code == 200


def test_an_upload_never_made_is_gone_after_its_ttl(
    client: Any, auth: Auth, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock("2026-12-04T10:00:00+01:00")
    _, body = _post_upload(client, auth("alice"))
    stored = wiring.attachment_repository().get(body["attachment_id"])
    assert stored is not None and stored.expires_at is not None

    frozen_clock("2026-12-04T11:00:01+01:00")
    response = client.http.get(
        "/tickets/attachments/" + body["attachment_id"], headers=auth("alice")
    )

    assert response.status_code == 404


# ---------------------------------------------------------------- checking after upload


def _deliver_s3_events(client: Any) -> int:
    """What the local stack's pump does: S3 → queue → `check_upload`."""
    from app import app
    from infra.local.pump import Pump

    def invoke(name: str, event: dict[str, Any]) -> Any:
        return client.lambda_.invoke(name, event).payload

    return Pump(app, aws.session(), invoke=invoke, clock=lambda: 0.0).drain()


def test_an_uploaded_png_announced_by_s3_becomes_ready_and_tagged(client: Any, auth: Auth) -> None:
    _, body = _post_upload(client, auth("alice"), size=len(PNG))
    key = body["upload"]["fields"]["key"]
    _s3_put(wiring.upload_store(), key, PNG, "image/png")

    delivered = _deliver_s3_events(client)

    assert delivered >= 1
    status = json.loads(
        client.http.get("/tickets/attachments/" + body["attachment_id"], headers=auth("alice")).body
    )
    assert status["status"] == "ready" and status["size"] == len(PNG)
    tags = aws.s3().get_object_tagging(Bucket=wiring.upload_store().bucket, Key=key)["TagSet"]
    assert tags == [{"Key": "status", "Value": "ready"}]


def test_a_text_file_named_like_a_program_is_stored_and_downloaded_as_text(
    client: Any, auth: Auth
) -> None:
    from urllib.parse import parse_qs, urlparse

    text = b"Bonjour, voici ma facture.\n"
    status, body = _post_upload(
        client, auth("alice"), filename="facture.pdf.cmd", content_type="text/plain", size=len(text)
    )
    assert status == 201 and body["filename"] == "facture.pdf.txt"
    _s3_put(wiring.upload_store(), body["upload"]["fields"]["key"], text, "text/plain")
    _deliver_s3_events(client)
    attachment = wiring.attachment_repository().get(body["attachment_id"])
    assert attachment is not None and attachment.status == "ready"

    on_ticket = attachment.model_copy(update={"ticket_id": "t"})
    (link,) = attachments.attachment_links(
        wiring.attachment_repository(), wiring.upload_store(), "t", datetime.now(UTC), [on_ticket]
    )

    assert link.filename == "facture.pdf.txt"
    disposition = parse_qs(urlparse(link.download_url).query)["response-content-disposition"][0]
    assert disposition.startswith('attachment; filename="facture.pdf.txt"')
    assert ".cmd" not in disposition


@pytest.mark.parametrize(
    ("declared_type", "declared_size", "data", "sent_type", "fragment"),
    [
        ("image/png", 1000, PDF, "image/png", "image PNG"),
        ("image/png", 10, PNG, "image/png", "dépasse la taille annoncée"),
        ("image/png", 1000, PNG, "image/gif", "envoyé comme"),
        ("text/csv", 1000, b"a;b\n\x00", "text/csv", "caractère nul"),
        ("text/plain", 1000, b"caf\xe9", "text/plain", "UTF-8"),
    ],
)
def test_an_object_unlike_its_declaration_is_deleted_and_the_attachment_rejected(
    client: Any,
    auth: Auth,
    declared_type: str,
    declared_size: int,
    data: bytes,
    sent_type: str,
    fragment: str,
) -> None:
    _, body = _post_upload(client, auth("alice"), content_type=declared_type, size=declared_size)
    key = body["upload"]["fields"]["key"]
    _s3_put(wiring.upload_store(), key, data, sent_type)

    _deliver_s3_events(client)

    stored = wiring.attachment_repository().get(body["attachment_id"])
    assert stored is not None and stored.status == "rejected"
    assert stored.reason is not None and fragment in stored.reason
    assert not _object_exists(key)


def test_a_checked_file_replaced_by_a_bad_one_is_rejected_for_good(client: Any, auth: Auth) -> None:
    _, body = _post_upload(client, auth("alice"), size=len(PNG))
    key = body["upload"]["fields"]["key"]
    store, repo = wiring.upload_store(), wiring.attachment_repository()
    _s3_put(store, key, PNG, "image/png")
    _deliver_s3_events(client)

    _s3_put(store, key, PDF[: len(PNG)], "image/png")  # the 5-minute policy allows a re-POST
    _deliver_s3_events(client)
    _s3_put(store, key, PNG, "image/png")
    _deliver_s3_events(client)

    assert repo.get(body["attachment_id"]).status == "rejected"  # type: ignore[union-attr]
    assert not _object_exists(key)


def test_an_object_nobody_asked_for_is_deleted(client: Any) -> None:
    store = wiring.upload_store()
    _s3_put(store, "uploads/alice/not-an-attachment/file.png", PNG, "image/png")
    _s3_put(store, "uploads/stray.png", PNG, "image/png")

    _deliver_s3_events(client)

    assert not _object_exists("uploads/alice/not-an-attachment/file.png")
    assert not _object_exists("uploads/stray.png")


def test_an_upload_arriving_after_its_attachment_expired_is_deleted(
    client: Any, auth: Auth, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock("2026-12-04T10:00:00+01:00")
    _, body = _post_upload(client, auth("alice"), size=len(PNG))
    key = body["upload"]["fields"]["key"]
    _s3_put(wiring.upload_store(), key, PNG, "image/png")
    frozen_clock("2026-12-04T11:30:00+01:00")

    _deliver_s3_events(client)

    assert not _object_exists(key)


def test_checking_one_upload_costs_four_aws_calls(aws_calls: AwsCalls) -> None:
    repo, store = wiring.attachment_repository(), wiring.upload_store()
    grant = attachments.request_upload(
        repo,
        store,
        wiring.rate_limiter(),
        Uploader("alice"),
        filename="a.png",
        content_type="image/png",
        size=len(PNG),
        client_address="192.0.2.1",
        now=NOW,
    )
    _s3_put(store, grant.upload.fields["key"], PNG, "image/png")
    aws_calls.reset()

    check_upload(repo, store, grant.upload.fields["key"], NOW)

    assert aws_calls.total == 4, aws_calls.calls
    assert aws_calls.count("GetObject") == 1


# ---------------------------------------------------------------- the seam: claiming


def _commit(repo: AttachmentRepository, claim: AttachmentClaim) -> None:
    """Run a claim on its own transaction (in the service it shares the ticket's)."""
    tx = wiring.transaction()
    repo.claim_in(tx, claim, NOW)
    tx.commit()


def test_a_ready_attachment_can_be_put_on_a_ticket(aws_env: dict[str, str]) -> None:
    repo = wiring.attachment_repository()
    attachment = _ready_attachment()

    claim = claim_attachments(repo, "alice", [attachment.attachment_id], "T-1", now=NOW)
    _commit(repo, claim)

    assert [a.attachment_id for a in claim.attachments] == [attachment.attachment_id]
    assert claim.total_bytes == len(PNG)
    stored = repo.get(attachment.attachment_id)
    assert stored is not None and stored.ticket_id == "T-1" and stored.expires_at is None
    assert [a.attachment_id for a in repo.for_ticket("T-1")] == [attachment.attachment_id]


def test_claiming_again_for_the_same_ticket_is_allowed_but_not_for_another(
    aws_env: dict[str, str],
) -> None:
    repo = wiring.attachment_repository()
    attachment = _ready_attachment()
    _commit(repo, claim_attachments(repo, "alice", [attachment.attachment_id], "T-1", now=NOW))

    again = claim_attachments(repo, "alice", [attachment.attachment_id], "T-1", now=NOW)
    with pytest.raises(InvalidFieldsError) as other:
        claim_attachments(repo, "alice", [attachment.attachment_id], "T-2", now=NOW)

    _commit(repo, again)
    assert [(e.field, e.message) for e in other.value.errors] == [
        ("attachment_ids.0", "Pièce jointe déjà jointe à un autre ticket.")
    ]


def _claim_errors(
    repo: AttachmentRepository, ids: list[str], owner: str = "alice", **kwargs: Any
) -> list[tuple[str, str]]:
    with pytest.raises(InvalidFieldsError) as raised:
        claim_attachments(repo, owner, ids, "T-1", now=NOW, **kwargs)
    assert raised.value.status == 422
    return [(error.field, error.message) for error in raised.value.errors]


def test_another_users_or_unknown_attachment_is_refused_naming_its_index(
    aws_env: dict[str, str],
) -> None:
    repo = wiring.attachment_repository()
    mine = _ready_attachment("alice")
    claires = _ready_attachment("claire")

    errors = _claim_errors(repo, [mine.attachment_id, claires.attachment_id, "nope"])

    assert errors == [
        ("attachment_ids.1", "Pièce jointe introuvable."),
        ("attachment_ids.2", "Pièce jointe introuvable."),
    ]


def test_the_same_attachment_twice_is_refused(aws_env: dict[str, str]) -> None:
    repo = wiring.attachment_repository()
    mine = _ready_attachment()

    errors = _claim_errors(repo, [mine.attachment_id, mine.attachment_id])

    assert errors == [("attachment_ids.1", "Pièce jointe citée deux fois.")]


def test_pending_and_rejected_attachments_are_refused(aws_env: dict[str, str]) -> None:
    repo, store = wiring.attachment_repository(), wiring.upload_store()
    pending = attachments.request_upload(
        repo,
        store,
        wiring.rate_limiter(),
        Uploader("alice"),
        filename="a.pdf",
        content_type="application/pdf",
        size=100,
        client_address="192.0.2.1",
        now=NOW,
    )
    rejected = attachments.request_upload(
        repo,
        store,
        wiring.rate_limiter(),
        Uploader("alice"),
        filename="b.pdf",
        content_type="application/pdf",
        size=100,
        client_address="192.0.2.1",
        now=NOW,
    )
    _s3_put(store, rejected.upload.fields["key"], PNG, "application/pdf")
    check_upload(repo, store, rejected.upload.fields["key"], NOW)

    errors = _claim_errors(repo, [pending.attachment_id, rejected.attachment_id])

    assert errors[0][0] == "attachment_ids.0" and "vérification" in errors[0][1]
    assert errors[1][0] == "attachment_ids.1" and errors[1][1].startswith("Pièce jointe refusée")


def test_at_most_five_attachments_and_twenty_megabytes_per_ticket(
    aws_env: dict[str, str],
) -> None:
    repo = wiring.attachment_repository()
    ids = [_ready_attachment().attachment_id for _ in range(2)]

    too_many = _claim_errors(repo, ids, already_on_ticket=4)
    too_big = _claim_errors(repo, ids, already_bytes=20 * MB - len(PNG))

    assert too_many[0] == ("attachment_ids", "Au plus 5 pièces jointes par ticket.")
    assert too_big == [("attachment_ids", "Au plus 20 Mo de pièces jointes par ticket.")]
    assert claim_attachments(repo, "alice", ids, "T-1", now=NOW, already_on_ticket=3)


def test_anonymous_uploads_are_claimed_with_their_client_token_owner(
    aws_env: dict[str, str],
) -> None:
    repo = wiring.attachment_repository()
    owner = help_owner("t" * 43)
    attachment = _ready_attachment(owner)

    claim = claim_attachments(repo, owner, [attachment.attachment_id], "HELP-1", now=NOW)

    assert _claim_errors(repo, [attachment.attachment_id], owner=help_owner("u" * 43))
    assert [a.attachment_id for a in claim.attachments] == [attachment.attachment_id]


def test_a_claim_lost_to_a_concurrent_ticket_cancels_the_transaction(
    aws_env: dict[str, str],
) -> None:
    repo = wiring.attachment_repository()
    attachment = _ready_attachment()
    first = claim_attachments(repo, "alice", [attachment.attachment_id], "T-1", now=NOW)
    second = claim_attachments(repo, "alice", [attachment.attachment_id], "T-2", now=NOW)
    _commit(repo, first)
    tx = wiring.transaction()
    tx.put("ticket", aws_env["TICKETS_TABLE"], {"pk": "TICKET#T-2", "sk": "TICKET"})
    repo.claim_in(tx, second, NOW)

    with pytest.raises(TransactionFailed) as raised:
        tx.commit()

    conflict = claim_conflicts(raised.value, second)
    assert conflict is not None
    assert [e.field for e in conflict.errors] == ["attachment_ids.0"]
    assert repo.get(attachment.attachment_id).ticket_id == "T-1"  # type: ignore[union-attr]


def test_links_list_only_the_tickets_ready_attachments_for_five_minutes(
    aws_env: dict[str, str],
) -> None:
    repo, store = wiring.attachment_repository(), wiring.upload_store()
    first, second = _ready_attachment(), _ready_attachment()
    _commit(
        repo,
        claim_attachments(
            repo, "alice", [first.attachment_id, second.attachment_id], "T-1", now=NOW
        ),
    )

    links = attachments.attachment_links(repo, store, "T-1", NOW)

    assert {link.attachment_id for link in links} == {first.attachment_id, second.attachment_id}
    assert all(link.expires_at == NOW + timedelta(seconds=300) for link in links)
    assert all("X-Amz-Expires=300" in link.download_url for link in links)
    assert attachments.attachment_links(repo, store, "T-2", NOW) == []


def test_the_uploads_bucket_expires_unchecked_uploads_and_incomplete_multipart_uploads(
    aws_env: dict[str, str],
) -> None:
    rules = aws.s3().get_bucket_lifecycle_configuration(Bucket=aws_env["UPLOADS_BUCKET"])["Rules"]

    by_id = {rule["ID"]: rule for rule in rules}
    pending = by_id["expire-unchecked-uploads"]
    assert pending["Filter"]["And"]["Prefix"] == "uploads/"
    assert pending["Filter"]["And"]["Tags"] == [{"Key": "status", "Value": "pending"}]
    assert pending["Expiration"]["Days"] == 1
    multipart = by_id["abort-incomplete-multipart-uploads"]
    assert multipart["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
