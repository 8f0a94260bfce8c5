"""The attachments service on fakes: asking to upload, the checker's verdicts, claims, links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.attachments.models import MB, Attachment, Uploader, UploadGrant
from chalicelib.attachments.service import (
    attachment_links,
    attachment_status,
    check_upload,
    claim_attachments,
    request_upload,
)
from chalicelib.shared.errors import (
    InvalidFieldsError,
    NotFoundError,
    PayloadTooLargeError,
    TooManyRequestsError,
)
from tests.fakes.context import Fakes
from tests.unit.given import ready_upload

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
CHECKED = NOW + timedelta(seconds=20)
ALICE = Uploader("alice")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 92
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 96


def upload(
    fakes: Fakes,
    content_type: str = "image/png",
    size: int = 100,
    uploader: Uploader = ALICE,
    filename: str = "capture.png",
) -> UploadGrant:
    return request_upload(
        fakes.attachments,
        fakes.uploads,
        fakes.limiter,
        uploader,
        filename=filename,
        content_type=content_type,
        size=size,
        client_address="203.0.113.7",
        now=NOW,
    )


def uploaded(fakes: Fakes, body: bytes, stored_type: str = "image/png", **grant: object) -> str:
    """Ask to upload, then POST `body` to the signed key; returns the key."""
    key = upload(fakes, **grant).upload.fields["key"]  # type: ignore[arg-type]
    fakes.uploads.upload(key, body, stored_type)
    return key


def stored(fakes: Fakes, attachment_id: str) -> Attachment:
    found = fakes.attachments.get(attachment_id)
    assert found is not None
    return found


# Asking to upload


def test_asking_to_upload_records_a_pending_attachment_and_signs_its_own_key(
    fakes: Fakes,
) -> None:
    grant = upload(fakes, filename="../../Capture d’écran.PNG", size=1234)

    key = f"uploads/alice/{grant.attachment_id}/file.png"
    assert grant.upload.fields["key"] == key
    assert grant.upload.fields["x-fake-max-size"] == "1234"
    assert (grant.status, grant.filename, grant.expires_at) == (
        "pending",
        "Capture d’écran.PNG",
        NOW + timedelta(minutes=5),
    )
    record = stored(fakes, grant.attachment_id)
    assert (record.key, record.owner, record.status) == (key, "alice", "pending")
    assert record.expires_at == int((NOW + timedelta(hours=1)).timestamp())


def test_a_file_over_10_mb_is_a_413_and_one_of_10_mb_is_accepted(fakes: Fakes) -> None:
    with pytest.raises(PayloadTooLargeError):
        upload(fakes, size=10 * MB + 1)

    upload(fakes, size=10 * MB)


def test_a_type_outside_the_list_is_a_422(fakes: Fakes) -> None:
    with pytest.raises(InvalidFieldsError) as refused:
        upload(fakes, content_type="application/zip")

    assert [e.field for e in refused.value.errors] == ["content_type"]


def test_uploads_without_an_account_are_limited_per_address(fakes: Fakes) -> None:
    anonymous = Uploader("help:owner", client_token="t" * 43)
    for _ in range(30):
        upload(fakes, uploader=anonymous)

    with pytest.raises(TooManyRequestsError):
        upload(fakes, uploader=anonymous)
    upload(fakes, uploader=ALICE)


def test_a_signed_in_users_uploads_are_not_counted(fakes: Fakes) -> None:
    for _ in range(3):
        upload(fakes)

    assert fakes.limiter.hits == {}


# The checker's verdicts


def test_a_file_like_its_declaration_becomes_ready_for_a_day(fakes: Fakes) -> None:
    key = uploaded(fakes, PNG)

    checked = check_upload(fakes.attachments, fakes.uploads, key, CHECKED)

    assert checked is not None
    assert (checked.status, checked.size) == ("ready", 100)
    record = stored(fakes, checked.attachment_id)
    assert (record.status, record.size) == ("ready", 100)
    assert record.expires_at == int((CHECKED + timedelta(days=1)).timestamp())
    assert fakes.uploads.tags(key) == {"status": "ready"}


@pytest.mark.parametrize(
    ("body", "stored_type", "reason"),
    [
        (JPEG, "image/png", "Le contenu du fichier n'est pas celui d'un(e) image PNG."),
        (
            PNG + b"\x00",
            "image/png",
            "Le fichier (101 octets) dépasse la taille annoncée (100 octets).",
        ),
        (PNG, "image/jpeg", "Le fichier a été envoyé comme « image/jpeg », pas image PNG."),
        (b"", "image/png", "Le fichier est vide."),
    ],
)
def test_a_file_unlike_its_declaration_is_deleted_and_rejected(
    fakes: Fakes, body: bytes, stored_type: str, reason: str
) -> None:
    key = uploaded(fakes, body, stored_type)

    checked = check_upload(fakes.attachments, fakes.uploads, key, CHECKED)

    assert checked is not None
    assert (checked.status, checked.reason) == ("rejected", reason)
    assert stored(fakes, checked.attachment_id).reason == reason
    assert fakes.uploads.open(key, None) is None


def test_a_text_file_must_be_utf8_through_to_its_end(fakes: Fakes) -> None:
    text = "é".encode() * 40_000 + "fin en latin-1 : é".encode("latin-1")
    key = uploaded(
        fakes, text, "text/plain", content_type="text/plain", size=len(text), filename="a.txt"
    )

    checked = check_upload(fakes.attachments, fakes.uploads, key, CHECKED)

    assert checked is not None and checked.reason == "Le texte n'est pas encodé en UTF-8."


def test_an_object_nobody_waits_for_is_deleted(fakes: Fakes) -> None:
    fakes.uploads.upload("uploads/alice/unknown/file.png", PNG, "image/png")

    assert (
        check_upload(fakes.attachments, fakes.uploads, "uploads/alice/unknown/file.png", CHECKED)
        is None
    )
    assert fakes.uploads.open("uploads/alice/unknown/file.png", None) is None


def test_an_upload_past_its_expiry_is_deleted(fakes: Fakes) -> None:
    key = uploaded(fakes, PNG)

    assert check_upload(fakes.attachments, fakes.uploads, key, NOW + timedelta(hours=1)) is None
    assert fakes.uploads.open(key, None) is None


def test_a_rejection_is_final_even_for_good_bytes_posted_after(fakes: Fakes) -> None:
    key = uploaded(fakes, JPEG)
    check_upload(fakes.attachments, fakes.uploads, key, CHECKED)
    fakes.uploads.upload(key, PNG, "image/png")

    checked = check_upload(fakes.attachments, fakes.uploads, key, CHECKED)

    assert checked is not None and checked.status == "rejected"
    assert fakes.uploads.open(key, None) is None


def test_bad_bytes_posted_over_a_checked_file_are_judged_and_rejected(fakes: Fakes) -> None:
    key = uploaded(fakes, PNG)
    check_upload(fakes.attachments, fakes.uploads, key, CHECKED)
    fakes.uploads.upload(key, JPEG, "image/png")

    checked = check_upload(fakes.attachments, fakes.uploads, key, CHECKED)

    assert checked is not None and checked.status == "rejected"


# Reading, claiming, linking


def test_an_attachments_status_is_for_its_owner_only(fakes: Fakes) -> None:
    grant = upload(fakes)

    status = attachment_status(fakes.attachments, grant.attachment_id, {"alice"}, NOW)

    assert (status.status, status.filename) == ("pending", "capture.png")
    for owners in ({"claire"}, set()):
        with pytest.raises(NotFoundError):
            attachment_status(fakes.attachments, grant.attachment_id, owners, NOW)


def test_a_claim_names_each_attachment_that_cannot_go_on_the_ticket(fakes: Fakes) -> None:
    ready_upload(fakes, "a1")
    pending = upload(fakes).attachment_id

    with pytest.raises(InvalidFieldsError) as refused:
        claim_attachments(fakes.attachments, "alice", ["a1", pending, "a1", "ghost"], "t1", now=NOW)

    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("attachment_ids.2", "Pièce jointe citée deux fois."),
        (
            "attachment_ids.1",
            "Pièce jointe en cours de vérification : réessayez dans un instant.",
        ),
        ("attachment_ids.3", "Pièce jointe introuvable."),
    ]


def test_a_ticket_takes_at_most_five_attachments_and_20_mb(fakes: Fakes) -> None:
    ids = [ready_upload(fakes, f"a{n}", size=5 * MB).attachment_id for n in range(6)]

    with pytest.raises(InvalidFieldsError) as too_many:
        claim_attachments(fakes.attachments, "alice", ids, "t1", now=NOW)
    with pytest.raises(InvalidFieldsError) as too_big:
        claim_attachments(fakes.attachments, "alice", ids[:4], "t1", now=NOW, already_bytes=1)

    assert too_many.value.detail == "Au plus 5 pièces jointes par ticket."
    assert [e.field for e in too_big.value.errors] == ["attachment_ids"]
    claim = claim_attachments(fakes.attachments, "alice", ids[:4], "t1", now=NOW)
    assert claim.total_bytes == 20 * MB


def test_links_are_signed_for_the_tickets_ready_attachments_oldest_first(fakes: Fakes) -> None:
    later, earlier = ready_upload(fakes, "a-later"), ready_upload(fakes, "a-earlier")
    later = later.model_copy(update={"created_at": NOW + timedelta(minutes=1), "ticket_id": "t1"})
    earlier = earlier.model_copy(update={"ticket_id": "t1"})
    elsewhere = earlier.model_copy(update={"attachment_id": "a-other", "ticket_id": "t2"})

    links = attachment_links(
        fakes.attachments, fakes.uploads, "t1", NOW, [later, elsewhere, earlier]
    )

    assert [link.attachment_id for link in links] == ["a-earlier", "a-later"]
    assert links[0].download_url == (
        "https://uploads.fake.invalid/uploads/alice/a-earlier/file.png"
        "?response-content-disposition=attachment%3B%20filename%3D%22capture.png%22%3B%20"
        "filename%2A%3DUTF-8%27%27capture.png"
    )
