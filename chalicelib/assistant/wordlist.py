"""A French word list, for spelling: a real word is not a typo, and a typo may be one edit
away from a real word that the base does not use ("rapeller" is "rappeler").

The list ships pruned (chalicelib/data/assistant/french_words.txt: the ~18,600 most frequent
French words of four letters or more, accents folded, most frequent first, 160 KB) and is
read on the first word that needs it, not at import nor with the index. It is made at build
time from pyspellchecker's French frequencies (a development dependency; MIT, from
OpenSubtitles counts): `python -m chalicelib.assistant.wordlist --write`.
"""

from __future__ import annotations

import sys
from functools import cache

from chalicelib.assistant.knowledge import KNOWLEDGE_BASE_PATH
from chalicelib.assistant.text import fold_accents

WORD_LIST_PATH = KNOWLEDGE_BASE_PATH.parent / "french_words.txt"
# Words kept from the source's most frequent, before shorter ones are dropped (typos of
# words under four letters are not corrected anyway).
SOURCE_WORDS = 20_000
MIN_LENGTH = 4
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@cache
def french_words() -> dict[str, int]:
    """Folded word -> its frequency rank (0 is the most frequent)."""
    lines = WORD_LIST_PATH.read_text(encoding="utf-8").split()
    return {word: rank for rank, word in enumerate(lines)}


def is_french_word(folded: str) -> bool:
    """Whether a folded word is a common French word."""
    return folded in french_words()


def nearest_french_word(folded: str) -> str | None:
    """The most frequent French word one edit away (deletion, transposition, substitution,
    insertion), or None. Only for words of four letters or more."""
    if len(folded) < MIN_LENGTH:
        return None
    known = french_words()
    found = [word for word in _edits(folded) if word in known]
    return min(found, key=known.__getitem__) if found else None


def _edits(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {left + right[1:] for left, right in splits if right}
    swaps = {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    replaces = {left + c + right[1:] for left, right in splits if right for c in _LETTERS}
    inserts = {left + c + right for left, right in splits for c in _LETTERS}
    return (deletes | swaps | replaces | inserts) - {word}


def write_word_list() -> None:
    """Prune pyspellchecker's French frequencies into the shipped list."""
    from spellchecker import SpellChecker  # development dependency only

    frequencies = SpellChecker(language="fr").word_frequency.dictionary
    ranked = sorted(frequencies.items(), key=lambda item: (-item[1], item[0]))[:SOURCE_WORDS]
    kept: dict[str, None] = {}
    for word, _ in ranked:
        folded = fold_accents(word)
        if folded.isalpha() and folded.isascii() and len(folded) >= MIN_LENGTH:
            kept.setdefault(folded, None)
    WORD_LIST_PATH.write_text("\n".join(kept) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m chalicelib.assistant.wordlist --write")
    write_word_list()
