"""The follow-up link's token: bound to one request, expiring, refused when touched."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.tickets.followlink import TOKEN_PATTERN, mint, read

KEY = b"k" * 64
TICKET_ID = "0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(days=90)


def token() -> str:
    return mint(KEY, TICKET_ID, "T-2026-000042", EXPIRES)


def test_a_token_opens_its_request_until_it_expires() -> None:
    opened = read(KEY, token(), "T-2026-000042", NOW)

    assert opened is not None
    assert (opened.ticket_id, opened.expires_at) == (TICKET_ID, EXPIRES)
    assert TOKEN_PATTERN.match(token())
    assert read(KEY, token(), "T-2026-000042", EXPIRES - timedelta(seconds=1)) is not None
    assert read(KEY, token(), "T-2026-000042", EXPIRES) is None


def test_a_token_does_not_open_another_request() -> None:
    assert read(KEY, token(), "T-2026-000043", NOW) is None


def test_a_token_signed_with_another_key_is_refused() -> None:
    assert read(b"x" * 64, token(), "T-2026-000042", NOW) is None


@pytest.mark.parametrize("position", [0, 1, 17, 20, 21, 52])
def test_any_byte_changed_is_refused(position: int) -> None:
    raw = bytearray(base64.urlsafe_b64decode(token() + "=="))
    raw[position] ^= 0x01
    touched = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")

    assert read(KEY, touched, "T-2026-000042", NOW) is None


def test_a_later_expiry_cannot_be_written_into_a_token() -> None:
    raw = bytearray(base64.urlsafe_b64decode(token() + "=="))
    raw[17:21] = int((EXPIRES + timedelta(days=365)).timestamp()).to_bytes(4, "big")
    extended = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")

    assert read(KEY, extended, "T-2026-000042", NOW) is None


@pytest.mark.parametrize(
    "malformed", [None, "", "x", "A" * 70, "A" * 72, "!" * 71, token()[:-1] + "*", " " + token()]
)
def test_malformed_tokens_are_refused_without_error(malformed: str | None) -> None:
    assert read(KEY, malformed, "T-2026-000042", NOW) is None


def test_each_token_is_for_one_expiry_and_one_request() -> None:
    other = mint(KEY, "f" * 32, "T-2026-000042", EXPIRES)

    assert other != token()
    assert read(KEY, other, "T-2026-000042", NOW) is not None
    assert read(KEY, other, "T-2026-000042", NOW).ticket_id == "f" * 32  # type: ignore[union-attr]
