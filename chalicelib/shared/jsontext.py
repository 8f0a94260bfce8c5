"""JSON from clients, parsed with a bound on nesting.

`json.loads` recurses once per nesting level: a body or a JWT header of ~1,000
nested `[` raises RecursionError (a 500), and a few hundred levels that do parse
then cost every later walk over the value (validation, serialisation, DynamoDB).
No document of this service nests deeper than a handful of levels, so anything
deeper than `MAX_DEPTH` is refused before it is parsed.

The check is cheap: a document with fewer opening brackets than the limit
cannot be too deep (one C-speed count); only others are scanned, their string
literals removed first.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
_OPENERS = (b"[", b"{")
# String literals (brackets inside them do not nest), then the brackets left.
_STRING = re.compile(rb'"(?:[^"\\\\]|\\\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class TooDeepError(ValueError):
    """The JSON document nests deeper than allowed."""


def depth_exceeds(raw: bytes, limit: int) -> bool:
    """Whether the JSON text `raw` nests arrays and objects deeper than `limit`."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", raw)):
        depth += 1 if bracket in _OPENERS else -1
        if depth > limit:
            return True
    return False


def parse(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads(raw)`, refusing documents nested deeper than `max_depth`.

    Raises ValueError (TooDeepError, json.JSONDecodeError, UnicodeDecodeError)
    for anything that is not acceptable JSON; NaN and Infinity are refused too.
    """
    data = raw.encode() if isinstance(raw, str) else raw
    if depth_exceeds(data, max_depth):
        raise TooDeepError(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except RecursionError as error:  # pragma: no cover - the depth check comes first
        raise TooDeepError("JSON nested too deep") from error


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
