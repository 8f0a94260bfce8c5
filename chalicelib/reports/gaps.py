"""ClaudIA's knowledge gaps: the not-understood questions, grouped when only spelling differs.

The assistant counts each not-understood question under its folded text (lower
case, no accents). People type the same question many ways: "reinitialiser mon
mot de passe ?", "Réinitialiser mon mot-de-passe", "reinitialisr mon mot de
passe". Two questions are one gap when their letters and digits, punctuation
and spaces aside, are the same or nearly (difflib's ratio >= 0.9, i.e. a typo
or two in a sentence); the group is named after its most frequent spelling and
counts them all. Pure: the edge hands in the assistant's counts.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from chalicelib.shared.models import Model

SIMILAR = 0.9
NOT_LETTERS = re.compile(r"[\W_]+", re.UNICODE)


class GapGroup(Model):
    """One knowledge gap: the questions that differ only by spelling."""

    question: str
    count: int
    variants: list[str]


def spelling_key(question: str) -> str:
    """Letters and digits only, lower case, no accents."""
    decomposed = unicodedata.normalize("NFKD", question.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return NOT_LETTERS.sub("", plain)


def _close(a: str, b: str) -> bool:
    if a == b:
        return True
    if not a or not b or abs(len(a) - len(b)) > max(len(a), len(b)) * (1 - SIMILAR) + 1:
        return False
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= SIMILAR


def group_questions(counts: list[tuple[str, int]], limit: int = 20) -> list[GapGroup]:
    """The questions grouped by spelling, most frequent group first."""
    groups: list[tuple[str, list[tuple[str, int]]]] = []
    for question, count in sorted(counts, key=lambda item: (-item[1], item[0])):
        key = spelling_key(question)
        for group_key, members in groups:
            if _close(key, group_key):
                members.append((question, count))
                break
        else:
            groups.append((key, [(question, count)]))
    result = [
        GapGroup(
            # The most frequent spelling; on a tie the longest (a typo drops letters).
            question=max(members, key=lambda member: (member[1], len(member[0])))[0],
            count=sum(count for _, count in members),
            variants=[question for question, _ in members],
        )
        for _, members in groups
    ]
    result.sort(key=lambda group: (-group.count, group.question))
    return result[:limit]
