"""An in-memory key for the follow-up links: fixed bytes, as a secret read once would be."""

from __future__ import annotations


class FixedKey:
    """A key that is always the same bytes (64 of them unless told)."""

    def __init__(self, value: bytes = b"k" * 64) -> None:
        self.value = value
        self.reads = 0

    def key(self) -> bytes:
        self.reads += 1
        return self.value
