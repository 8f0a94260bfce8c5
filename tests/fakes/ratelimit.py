"""An in-memory `RateLimiter`: fixed windows aligned on the epoch, as the DynamoDB one counts.

Every hit counts, refused ones too (DynamoDB's ADD happens before the
comparison); past `limit`, a 429 whose Retry-After is the time left in the window.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.shared.errors import TooManyRequestsError
from tests.fakes.transaction import STATE_LOCK


class FakeRateLimiter:
    """Hits per scope, key and window, in memory."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}

    def hit(self, scope: str, key: str, *, limit: int, window_seconds: int, now: datetime) -> int:
        instant = int(now.timestamp())
        window_start = instant - instant % window_seconds
        counter = f"{scope}#{key}#{window_start}"
        with STATE_LOCK:
            hits = self.hits[counter] = self.hits.get(counter, 0) + 1
        if hits > limit:
            raise TooManyRequestsError(window_start + window_seconds - instant)
        return hits
