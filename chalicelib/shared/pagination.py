"""Paginated listings with an opaque cursor: `?limit=&cursor=` in, `items` and `next_cursor` out.

The query parameters are validated at the edge (`chalicelib.endpoints.api.PageQuery`).

The cursor is DynamoDB's LastEvaluatedKey, encoded. It is checked against the
partition being read, so a cursor cannot move a Query to someone else's items,
and against the exact key attributes of what is read (the table's key, plus
the index's), so a forged one such as `{"gsi1pk": "EMITTER#claire"}` alone is a
422, not DynamoDB's ValidationException (a 500).
"""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.models import Model

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(Model, Generic[T]):
    """One page of a listing."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """The cursor for the page after `last_evaluated_key` (None at the end)."""
    if not last_evaluated_key:
        return None
    text = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True, default=str)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, expected: dict[str, str], others: tuple[str, ...]
) -> dict[str, Any] | None:
    """The ExclusiveStartKey a cursor stands for: `expected` pins its partition attributes,
    `others` names the rest of its key attributes; it has those and nothing else."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidFieldsError.single("cursor", "Curseur invalide.") from error
    valid = (
        isinstance(key, dict)
        and set(key) == {*expected, *others}
        and all(isinstance(value, str) and value for value in key.values())
        and all(key.get(name) == value for name, value in expected.items())
    )
    if not valid:
        raise InvalidFieldsError.single("cursor", "Curseur invalide.")
    return key
