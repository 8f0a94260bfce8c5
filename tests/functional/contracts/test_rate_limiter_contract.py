"""The RateLimiter contract: one suite, run on the in-memory fake and on DynamoDB (moto).

Fixed windows aligned on the epoch: `limit` hits pass, counted 1, 2, ...; the
next is a 429 whose Retry-After is what is left of the window; a new window,
another key or another scope counts from 1.
"""

from __future__ import annotations

import pytest

from chalicelib.endpoints import wiring
from chalicelib.shared.errors import TooManyRequestsError
from chalicelib.shared.ratelimit import RateLimiter
from tests.fakes.ratelimit import FakeRateLimiter
from tests.records import at

HOUR = 3600


class RateLimiterContract:
    @pytest.fixture
    def limiter(self) -> RateLimiter:
        raise NotImplementedError

    def test_hits_are_counted_up_to_the_limit(self, limiter: RateLimiter) -> None:
        counts = [
            limiter.hit("help-email", "a@example.fr", limit=3, window_seconds=HOUR, now=at(10, m))
            for m in (0, 20, 40)
        ]

        assert counts == [1, 2, 3]

    def test_past_the_limit_a_429_says_when_the_window_ends(self, limiter: RateLimiter) -> None:
        for _ in range(2):
            limiter.hit("help-email", "a@example.fr", limit=2, window_seconds=HOUR, now=at(10))

        with pytest.raises(TooManyRequestsError) as refused:
            limiter.hit(
                "help-email", "a@example.fr", limit=2, window_seconds=HOUR, now=at(10, 0, 30)
            )

        assert refused.value.status == 429
        assert refused.value.headers == {"Retry-After": "3570"}

    def test_a_new_window_counts_from_one(self, limiter: RateLimiter) -> None:
        limiter.hit("help-email", "a@example.fr", limit=1, window_seconds=HOUR, now=at(10, 59, 59))

        assert (
            limiter.hit("help-email", "a@example.fr", limit=1, window_seconds=HOUR, now=at(11)) == 1
        )

    def test_keys_and_scopes_are_counted_apart(self, limiter: RateLimiter) -> None:
        limiter.hit("help-email", "a@example.fr", limit=1, window_seconds=HOUR, now=at(10))

        other_key = limiter.hit(
            "help-email", "b@example.fr", limit=1, window_seconds=HOUR, now=at(10)
        )
        other_scope = limiter.hit(
            "help-address", "a@example.fr", limit=1, window_seconds=HOUR, now=at(10)
        )

        assert (other_key, other_scope) == (1, 1)


class TestFakeRateLimiter(RateLimiterContract):
    @pytest.fixture
    def limiter(self) -> RateLimiter:
        return FakeRateLimiter()


class TestDynamoRateLimiter(RateLimiterContract):
    @pytest.fixture
    def limiter(self, aws_env: dict[str, str]) -> RateLimiter:
        return wiring.rate_limiter()
