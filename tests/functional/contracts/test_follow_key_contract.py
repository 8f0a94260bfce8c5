"""The follow-up links' key, run on the fake and on Secrets Manager (moto): the same bytes on
every read, long enough for HMAC-SHA256; the secret read once per process."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.endpoints import wiring
from chalicelib.shared.secrets import MIN_KEY_BYTES
from chalicelib.tickets.followlink import FollowKey
from tests.fakes.secrets import FixedKey


class FollowKeyContract:
    @pytest.fixture
    def key(self) -> FollowKey:
        raise NotImplementedError

    def test_the_key_is_the_same_bytes_on_every_read(self, key: FollowKey) -> None:
        first = key.key()

        assert key.key() == first
        assert len(first) >= MIN_KEY_BYTES


class TestFixedKey(FollowKeyContract):
    @pytest.fixture
    def key(self) -> FollowKey:
        return FixedKey()


class TestSecretsManagerKey(FollowKeyContract):
    @pytest.fixture
    def key(self, aws_env: dict[str, str]) -> FollowKey:
        return wiring.follow_key()

    def test_the_secret_is_read_once_per_process(self, aws_calls: Any) -> None:
        for _ in range(3):
            wiring.follow_key().key()

        assert aws_calls.calls == {"secretsmanager.GetSecretValue": 1}

    def test_a_short_secret_is_refused(self, aws_env: dict[str, str]) -> None:
        import boto3

        from chalicelib.shared.secrets import SecretsManagerKey

        boto3.client("secretsmanager").create_secret(Name="short", SecretString="x" * 31)

        with pytest.raises(ValueError, match="shorter"):
            SecretsManagerKey("short").key()
