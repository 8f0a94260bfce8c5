"""French text normalisation for the assistant: the same pipeline on the index and query sides.

Steps: lowercase, elisions (l', qu', jusqu'...) removed, punctuation dropped, synonyms and
abbreviations expanded to the knowledge base's words, stop words removed, Snowball French
stemming, then accent folding. Folding comes after stemming because Snowball keeps accents
(``réinitialiser`` -> ``réinitialis``) and behaves differently on unaccented input
(``rejetée`` -> ``rejet`` but ``rejetee`` -> ``rejete``): a word of the knowledge base is
therefore stemmed through its unaccented spelling, to the stem of its accented form, so that
it gives the same term however it is typed.
Typo tolerance lives here too: a bounded Damerau-Levenshtein distance and a deletion
neighbourhood (SymSpell-like) dictionary built once with the index.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import sys
import threading
import types
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.assistant.vocabulary import SMS_SPELLINGS, STOP_WORDS, SYNONYMS

# Apostrophes of every kind users type, normalised to the ASCII one first.
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_ELISION = re.compile(r"\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[ldjnsctm])'", re.IGNORECASE)
# Hyphenated and spaced spellings glued before splitting so that they stay one word; one
# alternation scanned once, since normalising the whole base must fit the cold-start budget.
_GLUED = {
    "email": r"\be[\s.-]?mails?\b",
    # A "boîte" alone is a company ("ma boîte"); with mail words it is a mailbox.
    "boitemail": r"\bbo[iî]tes?\s+(?:aux\s+lettres\s+)?(?:[ée]lectroniques?|mails?|e-?mails?"
    r"|de\s+r[ée]ception|courriels?)\b",
    "facturx": r"\bfactur[\s-]x\b",
    "livechat": r"\blive[\s-]?chat\b",
    "numero": r"\bn\s?°",
    "motdepasse": r"\bmots?[\s-]+(?:de[\s-]+)?pas+e?s?\b",
    "choruspro": r"\bchorus[\s-]?pro\b",
    # "Où en est ma facture ?": only stop words, yet the commonest way to ask for a status.
    "ouenest": r"\bo[uù]\s+en\s+(?:est|sont|êtes|etes|sommes)\b",
    # "Mes tickets": the caller's own tickets, to follow them (not to create one).
    "mestickets": r"\bmes\s+(?:tickets?|sollicitations?"
    r"|demandes?\s+(?:au\s+support|d.assistance))\b",
    # Another administration, named in two words that are each the portal's own.
    "secu": r"\bs[ée]curit[ée]\s+sociale\b",
    # "Combien de temps" asks for a delay, and must not read as the weather ("temps").
    "delai": r"\bcombien\s+de\s+temps\b",
    # The verb "avoir" before what one has ("avoir un compte", "d'avoir accès") is not the
    # credit note of the same spelling ("faire un avoir").
    "verbavoir": r"\bavoir\s+(?=(?:un|une|des|le|la|les|l'|mon|ma|mes|son|sa|ses|notre|nos"
    r"|votre|vos|plusieurs|deux|acc[eè]s|droit|besoin)\b)",
    # Prefixed words keep their own ending: "sous-traitant" -> "soustraitant".
    "prefixed": r"\b(?:auto|micro|sous|co)[\s-](?:entrepr|trait)\w*",
}
# Every pattern starts at a word boundary (a unit test checks it): factored out, the scan
# fails at once inside words instead of trying each alternative at each character (~10 ms
# of the index build).
_GLUE = re.compile(
    r"\b(?:" + "|".join(f"(?P<{name}>{pattern[2:]})" for name, pattern in _GLUED.items()) + ")"
)


def _glued(match: re.Match[str]) -> str:
    if match.lastgroup == "boitemail":
        return " email "
    if match.lastgroup == "verbavoir":
        return " "
    if match.lastgroup == "prefixed":
        return " " + re.sub(r"[\s-]", "", match.group(0)) + " "
    return f" {match.lastgroup} "


_WORD_CHARS = "a-z0-9œæàâäçéèêëîïôöùûüÿ"
_WORD = re.compile(f"[{_WORD_CHARS}]+")
_YEAR = re.compile(r"(?:19|20)\d\d")

# The pseudo-word standing for any reference-like number (invoice, ticket...).
REFERENCE_TOKEN = "numref"
# Invoice-like references become one pseudo-word before splitting: FA-2026-0002, 2024-118.
# Bounded by what `_WORD` keeps, not by regex word characters: "²a00" loses its "²" in the
# split, and must read the same as "a00" (normalising twice gives the same text).
_REFERENCE = re.compile(
    f"(?<![{_WORD_CHARS}])"
    r"(?:[a-z]{1,4}-?\d{2,}|\d{2,}[-/]\d+)(?:[-/_][a-z0-9]+)*"
    f"(?![{_WORD_CHARS}])"
)

# Snowball in pure Python costs ~80 µs a word: the stems of the knowledge base's words are
# precomputed (python -m chalicelib.assistant.index --write) so that building the
# index stays within the cold-start budget. A word missing from the table is stemmed live.
STEM_TABLE_PATH = Path(__file__).resolve().parent.parent / "data" / "assistant" / "stems.json"

_FRENCH_FOLDING = str.maketrans(
    {
        **dict.fromkeys("àâä", "a"),
        **dict.fromkeys("éèêë", "e"),
        **dict.fromkeys("îï", "i"),
        **dict.fromkeys("ôö", "o"),
        **dict.fromkeys("ùûü", "u"),
        "ç": "c",
        "ÿ": "y",
        "œ": "oe",
        "æ": "ae",
    }
)


def fold_accents(text: str) -> str:
    """Remove diacritics, and spell out the œ/æ ligatures."""
    folded = text.translate(_FRENCH_FOLDING)
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalise(text: str) -> str:
    """Lowercase, remove elisions and punctuation; keep letters (with accents) and digits."""
    lowered = text.translate(_APOSTROPHES).lower()
    lowered = _ELISION.sub(" ", lowered)
    lowered = _GLUE.sub(_glued, lowered)
    lowered = _REFERENCE.sub(f" {REFERENCE_TOKEN} ", lowered)
    return " ".join(_WORD.findall(lowered))


def words(text: str) -> list[str]:
    """Normalised surface words, synonyms expanded, stop words removed (accents kept)."""
    result: list[str] = []
    for word in normalise(text).split():
        if not word.isalpha() and fold_accents(word) not in SYNONYMS:
            result.append(_number_word(word))
        else:
            result.extend(expand(word))
    return result


@cache
def expand(word: str) -> tuple[str, ...]:
    """A word's synonym expansion; nothing for a stop word; else the word itself.

    An SMS spelling is first read as the words it stands for, each expanded in turn.
    """
    folded = fold_accents(word)
    spelled = SMS_SPELLINGS.get(folded)
    if spelled is not None and spelled != word:
        return tuple(expanded for part in normalise(spelled).split() for expanded in expand(part))
    expansion = SYNONYMS.get(folded)
    if expansion is not None:
        return tuple(expansion.split())
    if folded in STOP_WORDS or len(folded) < 2:
        return ()
    return (word,)


def _number_word(word: str) -> str:
    """Keep short numbers and years; any longer number-like word is a reference."""
    if len(word) <= 2 or _YEAR.fullmatch(word):
        return word
    return REFERENCE_TOKEN


@cache
def stem(word: str) -> str:
    """Snowball French stem of one word, accents folded after stemming."""
    if word == REFERENCE_TOKEN or word.isdigit():
        return word
    known = load_stem_table().get(fold_accents(word))
    return known if known is not None else snowball_stem(word)


def snowball_stem(word: str) -> str:
    """The stem computed by Snowball, accents folded (no table)."""
    return fold_accents(_stemmer().stemWord(word))


_STEMMER_LOCK = threading.Lock()


@cache
def _stemmer() -> Any:
    """Snowball's French stemmer, loaded on first use and on its own.

    `import snowballstemmer` loads every language it has (~150 ms of cold
    start); the French module needs only two helpers of its package (~15 ms),
    so it is imported under a bare package that does not run the package's
    `__init__`. A later full import reuses the modules loaded here.
    """
    with _STEMMER_LOCK:
        loaded = sys.modules.get("snowballstemmer")
        if loaded is not None and hasattr(loaded, "stemmer"):
            return loaded.stemmer("french")
        spec = importlib.util.find_spec("snowballstemmer")
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("snowballstemmer")
        bare = types.ModuleType("snowballstemmer")
        bare.__path__ = list(spec.submodule_search_locations)
        sys.modules["snowballstemmer"] = bare
        try:
            french = importlib.import_module("snowballstemmer.french_stemmer")
        finally:
            del sys.modules["snowballstemmer"]
        return french.FrenchStemmer()


@cache
def load_stem_table() -> dict[str, str]:
    """The precomputed stems by unaccented spelling, read once; empty when the file is absent."""
    try:
        table: dict[str, str] = json.loads(STEM_TABLE_PATH.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return table


def build_stem_table(texts: Iterable[str]) -> dict[str, str]:
    """Unaccented spelling -> stem, for every word of these texts and of the synonym expansions.

    The stem is the one of the most accented spelling met: Snowball reads accents
    ("sécurité" -> "secur", "securite" -> "securit"), so the accented form is the one it was
    written for; ties go to the first spelling in alphabetical order.
    """
    vocabulary = {word for text in texts for word in words(text)}
    vocabulary |= {word for expansion in SYNONYMS.values() for word in expansion.split()}
    vocabulary.discard(REFERENCE_TOKEN)
    spellings: dict[str, str] = {}
    for word in sorted(vocabulary):
        if word.isdigit():
            continue
        folded = fold_accents(word)
        kept = spellings.get(folded)
        if kept is None or _accents(word) > _accents(kept):
            spellings[folded] = word
    return {folded: snowball_stem(word) for folded, word in sorted(spellings.items())}


def _accents(word: str) -> int:
    return sum(1 for char in word if not char.isascii())


def terms(text: str) -> list[str]:
    """The index terms of a text: normalised, expanded, filtered, stemmed and folded."""
    return [stem(word) for word in words(text)]


def damerau_levenshtein(left: str, right: str, bound: int) -> int:
    """Optimal-string-alignment distance, or ``bound + 1`` as soon as it exceeds ``bound``."""
    if abs(len(left) - len(right)) > bound:
        return bound + 1
    previous_previous: list[int] = []
    previous = list(range(len(right) + 1))
    for i, left_char in enumerate(left, start=1):
        current = [i] + [0] * len(right)
        for j, right_char in enumerate(right, start=1):
            cost = 0 if left_char == right_char else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if (
                i > 1
                and j > 1
                and left_char == right[j - 2]
                and left[i - 2] == right_char
                and previous_previous
            ):
                best = min(best, previous_previous[j - 2] + 1)
            current[j] = best
        if min(current) > bound:
            return bound + 1
        previous_previous, previous = previous, current
    return previous[-1]


def max_typos(word: str) -> int:
    """How many edits a word of this length may carry: none when short, 1, then 2 when long."""
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class SpellingIndex:
    """Deletion-neighbourhood dictionary over a vocabulary, for typo correction.

    Each vocabulary word is stored under itself and its one-character deletions; a query word
    looks itself and its deletions up (one, two for long words). That finds every word within
    one edit and, for long words, two insertions or an insertion with a substitution; two
    substitutions would need two-deletion keys on the vocabulary side, which cost more than the
    whole index to build, so they are left out. Candidates are checked with the real distance.
    """

    def __init__(self, vocabulary: Iterable[str], frequencies: dict[str, int]) -> None:
        self._frequencies = frequencies
        self._neighbours: dict[str, set[str]] = {}
        for word in vocabulary:
            if len(word) < 4:
                continue
            for key in _deletions(word) | {word}:
                self._neighbours.setdefault(key, set()).add(word)

    def correct(self, word: str) -> str | None:
        """The closest vocabulary word within the allowed distance, most frequent first."""
        bound = max_typos(word)
        if bound == 0:
            return None
        keys = _deletions(word) | {word}
        if bound == 2:
            keys |= {deleted for key in list(keys) for deleted in _deletions(key)}
        candidates: set[str] = set()
        for key in keys:
            candidates |= self._neighbours.get(key, set())
        best: tuple[int, int, str] | None = None
        for candidate in candidates:
            distance = damerau_levenshtein(word, candidate, min(bound, max_typos(candidate)))
            if distance > min(bound, max_typos(candidate)):
                continue
            rank = (distance, -self._frequencies.get(candidate, 0), candidate)
            if best is None or rank < best:
                best = rank
        return best[2] if best else None
