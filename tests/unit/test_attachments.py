"""Attachments without AWS: the signed POST policy (moto does not enforce it), filename
cleaning, file signatures, text checks."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from chalicelib.attachments.content import (
    clean_filename,
    content_disposition,
    matches_signature,
    rejection_reason,
    text_problem,
)
from chalicelib.attachments.models import MAX_FILENAME_CHARS, Attachment, StoredObject
from chalicelib.attachments.service import caller_owners, help_owner, uploader_for
from chalicelib.attachments.uploads import (
    S3UploadStore,
    attachment_id_from_key,
    object_key,
    tagging_xml,
)
from chalicelib.auth import Identity

BUCKET = "guichet-test-uploads"
KEY = "uploads/alice/0123abcd/file.png"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def _s3_client() -> Any:
    """A real boto3 client: signing is local, so no request leaves the process."""
    import boto3

    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-3"
    ).client("s3")


def _policy(fields: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return decoded


def _conditions(policy: dict[str, Any]) -> tuple[dict[str, Any], list[list[Any]]]:
    exact: dict[str, Any] = {}
    others: list[list[Any]] = []
    for condition in policy["conditions"]:
        if isinstance(condition, dict):
            exact.update(condition)
        else:
            others.append(condition)
    return exact, others


def test_presigned_post_policy_pins_bucket_key_length_type_tag_and_expiry() -> None:
    store = S3UploadStore(_s3_client(), BUCKET)
    signed_at = datetime.now(UTC).replace(microsecond=0)

    post = store.presign_post(KEY, "image/png", 123_456)

    policy = _policy(post.fields)
    exact, others = _conditions(policy)
    assert exact["bucket"] == BUCKET
    assert exact["key"] == KEY
    assert exact["Content-Type"] == "image/png"
    assert exact["tagging"] == tagging_xml("pending")
    assert ["content-length-range", 1, 123_456] in others
    # No starts-with condition: the key is exact, nothing else is left open.
    assert not [c for c in others if c[0] == "starts-with"]
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 0 < (expiration - signed_at).total_seconds() <= 300
    assert post.fields["key"] == KEY
    assert post.fields["Content-Type"] == "image/png"
    assert post.fields["tagging"] == tagging_xml("pending")
    # Every field the client sends is covered by the policy (S3 refuses others).
    signed_fields = {"policy", "x-amz-signature"}
    for name in set(post.fields) - signed_fields:
        assert name in exact, name


def test_presigned_get_is_short_lived_and_downloads_as_an_attachment() -> None:
    store = S3UploadStore(_s3_client(), BUCKET)

    url = store.presign_get(KEY, "Relevé été.csv", "text/csv")

    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == ["300"]
    disposition = query["response-content-disposition"][0]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + "Relev%C3%A9%20%C3%A9t%C3%A9.csv" in disposition
    assert query["response-content-type"] == ["text/csv; charset=utf-8"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("a\u0000b.png", "ab.png"),
        ("facture\u202egnp.exe", "facturegnp.exe"),
        ("Relevé de compte été.pdf", "Relevé de compte été.pdf"),
        ("  espaces   multiples .txt ", "espaces multiples.txt"),
        ("..", "fichier.png"),
        (".bashrc", "bashrc"),
        ("sans extension", "sans extension"),
    ],
)
def test_filenames_are_cleaned(raw: str, expected: str) -> None:
    assert clean_filename(raw, ".png") == expected


def test_a_300_character_filename_is_cut_to_100_keeping_its_extension() -> None:
    cleaned = clean_filename("é" * 300 + ".pdf")

    assert len(cleaned) == MAX_FILENAME_CHARS
    assert cleaned.endswith(".pdf")
    assert cleaned == "é" * 96 + ".pdf"


def test_decomposed_accents_are_composed() -> None:
    assert clean_filename("e\u0301te\u0301.txt") == "été.txt"


def test_the_key_is_made_by_the_server_under_the_owner_prefix() -> None:
    assert object_key("alice", "abc", "image/png") == "uploads/alice/abc/file.png"
    assert object_key(help_owner("t" * 43), "abc", "text/csv") == "uploads/help/abc/file.csv"
    odd = object_key("../x y", "abc", "application/pdf")
    assert odd.startswith("uploads/u-") and odd.endswith("/abc/file.pdf")
    assert attachment_id_from_key(odd) == "abc"
    assert attachment_id_from_key("uploads/alice/abc") is None


def test_anonymous_uploaders_get_a_token_whose_hash_only_is_the_owner() -> None:
    first = uploader_for(None, None)
    again = uploader_for(None, first.client_token)
    forged = uploader_for(None, "short")
    user = uploader_for(Identity(user_id="alice"), "ignored-" * 5)

    assert first.client_token is not None and len(first.client_token) >= 43
    assert first.owner == help_owner(first.client_token)
    assert first.client_token not in first.owner
    assert again.owner == first.owner
    assert forged.owner != help_owner("short")
    assert user.owner == "alice" and user.client_token is None
    assert caller_owners(None, first.client_token) == {first.owner}
    assert caller_owners(None, None) == set()


@pytest.mark.parametrize(
    ("content_type", "head", "ok"),
    [
        ("image/png", PNG, True),
        ("image/png", b"GIF89a....", False),
        ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF", True),
        ("image/gif", b"GIF87a\x01\x00", True),
        ("image/webp", b"RIFF\x24\x00\x00\x00WEBPVP8 ", True),
        ("image/webp", b"RIFF\x24\x00\x00\x00WAVEfmt ", False),
        ("application/pdf", b"%PDF-1.7\n", True),
        ("application/pdf", b"<html>%PDF-", False),
    ],
)
def test_binary_types_are_recognised_by_their_first_bytes(
    content_type: str, head: bytes, ok: bool
) -> None:
    assert matches_signature(content_type, head) is ok


def test_text_must_be_utf8_without_nul_even_across_chunks() -> None:
    euro = "€".encode()

    assert text_problem([b"prix : 10 ", euro[:1], euro[1:], b"\n"]) is None
    assert text_problem([b"a;b\n", b"c\x00d"]) == "Le texte contient un caractère nul."
    assert text_problem([b"caf\xe9"]) == "Le texte n'est pas encodé en UTF-8."
    assert text_problem([euro[:2]]) == "Le texte n'est pas encodé en UTF-8."
    assert text_problem([b"\xef\xbb\xbf  <?xml version='1.0'?><a/>"], xml=True) is None
    assert text_problem([b"not xml"], xml=True) == "Le contenu du fichier n'est pas du XML."


def _attachment(content_type: str = "image/png", declared: int = 100) -> Attachment:
    return Attachment(
        attachment_id="abc",
        owner="alice",
        key=KEY,
        filename="a.png",
        content_type=content_type,
        declared_size=declared,
        created_at=datetime(2026, 12, 4, tzinfo=UTC),
    )


def _stored(data: bytes, content_type: str = "image/png", size: int | None = None) -> StoredObject:
    chunks: Iterator[bytes] = iter([data])
    return StoredObject(len(data) if size is None else size, content_type, chunks)


def test_a_matching_object_has_no_rejection_reason() -> None:
    assert rejection_reason(_attachment(), _stored(PNG)) is None


@pytest.mark.parametrize(
    ("stored", "fragment"),
    [
        (_stored(PNG, size=101), "dépasse la taille annoncée"),
        (_stored(b"", size=0), "vide"),
        (_stored(PNG, content_type="image/gif"), "envoyé comme « image/gif »"),
        (_stored(b"%PDF-1.4 not a png"), "n'est pas celui d'un(e) image PNG"),
    ],
)
def test_an_object_unlike_its_declaration_is_rejected_with_a_reason(
    stored: StoredObject, fragment: str
) -> None:
    reason = rejection_reason(_attachment(), stored)

    assert reason is not None and fragment in reason


def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name() -> None:
    value = content_disposition('Relevé "été".pdf')

    assert value.startswith('attachment; filename="Releve ete.pdf"; ')
    assert unquote(value.split("filename*=UTF-8''")[1]) == 'Relevé "été".pdf'


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        ("facture.pdf.cmd", "text/plain", "facture.pdf.txt"),
        ("rapport\u202etxt.exe", "text/plain", "rapporttxt.txt"),
        ("photo.JPEG", "image/jpeg", "photo.JPEG"),
        ("photo.jpg", "image/jpeg", "photo.jpg"),
        ("photo", "image/png", "photo.png"),
        ("scan.PDF", "application/pdf", "scan.PDF"),
        ("script.exe", "application/pdf", "script.pdf"),
        ("...", "text/csv", "fichier.csv"),
    ],
)
def test_a_stored_name_ends_with_the_extension_of_its_checked_type(
    raw: str, content_type: str, expected: str
) -> None:
    from chalicelib.attachments.content import filename_for
    from chalicelib.attachments.models import FILE_KINDS

    assert filename_for(raw, FILE_KINDS[content_type]) == expected


def test_a_long_name_keeps_the_extension_of_its_type() -> None:
    from chalicelib.attachments.content import filename_for
    from chalicelib.attachments.models import FILE_KINDS

    name = filename_for("a" * 300 + ".cmd", FILE_KINDS["text/plain"])

    assert len(name) <= MAX_FILENAME_CHARS and name.endswith("a.txt")
