"""Small text helpers shared by areas: accent folding for search keys."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lowercase, accents removed, whitespace collapsed: a search key."""
    # Casefolded after the compatibility decomposition too: NFKD can yield capitals
    # ("ϒ" -> "Υ", "🅪" -> "MC"), which made fold(fold(x)) differ from fold(x).
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.split())
