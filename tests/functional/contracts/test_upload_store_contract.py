"""The UploadStore contract: one suite, run on the in-memory fake and on S3 (moto).

An uploaded object opens with its real size and type, as its first bytes or
whole; a missing one opens as None, an empty one as size 0 without bytes;
marking replaces its status tag; deleting removes it (and a missing key is no
error). Signed URLs name the key and the upload's type.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.attachments.models import STATUS_TAG, TEXT_CHUNK_BYTES
from chalicelib.attachments.uploads import UploadStore, tagging_xml
from chalicelib.endpoints import wiring
from chalicelib.shared import aws
from tests.fakes.attachments import FakeUploadStore

KEY = "uploads/alice/a1/file.png"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


class Bucket:
    """An upload store, and what a test needs besides: the browser's upload, the tags."""

    store: UploadStore

    def upload(self, key: str, body: bytes, content_type: str) -> None:
        raise NotImplementedError

    def tags(self, key: str) -> dict[str, str]:
        raise NotImplementedError


class FakeBucket(Bucket):
    def __init__(self) -> None:
        self.fake = FakeUploadStore()
        self.store = self.fake

    def upload(self, key: str, body: bytes, content_type: str) -> None:
        self.fake.upload(key, body, content_type)

    def tags(self, key: str) -> dict[str, str]:
        return self.fake.tags(key)


class S3Bucket(Bucket):
    def __init__(self) -> None:
        self.store = wiring.upload_store()
        self.s3: Any = aws.s3()
        self.name = wiring.upload_store().bucket

    def upload(self, key: str, body: bytes, content_type: str) -> None:
        self.s3.put_object(
            Bucket=self.name,
            Key=key,
            Body=body,
            ContentType=content_type,
            Tagging=f"{STATUS_TAG}=pending",
        )

    def tags(self, key: str) -> dict[str, str]:
        tag_set = self.s3.get_object_tagging(Bucket=self.name, Key=key)["TagSet"]
        return {tag["Key"]: tag["Value"] for tag in tag_set}


class UploadStoreContract:
    @pytest.fixture
    def bucket(self) -> Bucket:
        raise NotImplementedError

    def test_the_first_bytes_of_an_object_come_with_its_whole_size_and_type(
        self, bucket: Bucket
    ) -> None:
        bucket.upload(KEY, PNG, "image/png")

        stored = bucket.store.open(KEY, 8)

        assert stored is not None
        assert (stored.size, stored.content_type) == (1032, "image/png")
        assert b"".join(stored.chunks) == b"\x89PNG\r\n\x1a\n"

    def test_a_whole_object_streams_in_chunks(self, bucket: Bucket) -> None:
        text = b"ligne de texte\n" * 5000
        bucket.upload("uploads/alice/a2/file.txt", text, "text/plain")

        stored = bucket.store.open("uploads/alice/a2/file.txt", None)

        assert stored is not None
        chunks = list(stored.chunks)
        assert (stored.size, stored.content_type) == (75_000, "text/plain")
        assert b"".join(chunks) == text
        # Streamed: a 10 MB text file never sits whole in memory.
        assert len(chunks) >= 2
        assert max(len(chunk) for chunk in chunks) <= TEXT_CHUNK_BYTES

    def test_a_missing_object_opens_as_none(self, bucket: Bucket) -> None:
        assert bucket.store.open(KEY, 8) is None
        assert bucket.store.open(KEY, None) is None

    def test_an_empty_object_has_size_zero_and_no_bytes(self, bucket: Bucket) -> None:
        bucket.upload(KEY, b"", "image/png")

        for first_bytes in (8, None):
            stored = bucket.store.open(KEY, first_bytes)
            assert stored is not None
            assert (stored.size, b"".join(stored.chunks)) == (0, b"")

    def test_marking_replaces_the_status_tag(self, bucket: Bucket) -> None:
        bucket.upload(KEY, PNG, "image/png")
        assert bucket.tags(KEY) == {"status": "pending"}

        bucket.store.mark(KEY, "ready")

        assert bucket.tags(KEY) == {"status": "ready"}

    def test_a_deleted_object_is_gone_and_deleting_again_is_no_error(self, bucket: Bucket) -> None:
        bucket.upload(KEY, PNG, "image/png")

        bucket.store.delete(KEY)
        bucket.store.delete(KEY)

        assert bucket.store.open(KEY, None) is None

    def test_a_signed_post_pins_the_key_the_type_and_the_pending_tag(self, bucket: Bucket) -> None:
        post = bucket.store.presign_post(KEY, "image/png", 1000)

        assert post.url.startswith("https://")
        assert post.fields["key"] == KEY
        assert post.fields["Content-Type"] == "image/png"
        assert post.fields["tagging"] == tagging_xml("pending")

    def test_a_signed_get_names_the_key(self, bucket: Bucket) -> None:
        url = bucket.store.presign_get(KEY, "capture écran.png", "image/png")

        assert url.startswith("https://")
        assert KEY in url


class TestFakeUploadStore(UploadStoreContract):
    @pytest.fixture
    def bucket(self) -> Bucket:
        return FakeBucket()


class TestS3UploadStore(UploadStoreContract):
    @pytest.fixture
    def bucket(self, aws_env: dict[str, str]) -> Bucket:
        return S3Bucket()
