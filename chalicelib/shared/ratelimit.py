"""Fixed-window rate limits, counted in DynamoDB (one UpdateItem a request, TTL cleans up)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from chalicelib.shared.errors import TooManyRequestsError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class RateLimiter(Protocol):
    """Counts hits per key and fixed window (DynamoDB, or an in-memory fake)."""

    def hit(self, scope: str, key: str, *, limit: int, window_seconds: int, now: datetime) -> int:
        """Count one hit; raise TooManyRequestsError past `limit`. Returns the count."""
        ...


class DynamoRateLimiter:
    """Counts hits per key and window; past the limit, a 429 with Retry-After."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def hit(self, scope: str, key: str, *, limit: int, window_seconds: int, now: datetime) -> int:
        """Count one hit; raise TooManyRequestsError past `limit`. Returns the count."""
        instant = int(now.timestamp())
        window_start = instant - instant % window_seconds
        window_end = window_start + window_seconds
        response = self._table.update_item(
            Key={"pk": f"{scope}#{key}#{window_start}"},
            UpdateExpression="ADD hits :one SET expires_at = :expires",
            ExpressionAttributeValues={":one": 1, ":expires": window_end + 60},
            ReturnValues="UPDATED_NEW",
        )
        hits = int(response["Attributes"]["hits"])  # type: ignore[arg-type]
        if hits > limit:
            raise TooManyRequestsError(window_end - instant)
        return hits
