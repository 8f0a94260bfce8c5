"""The frozen field question sets stay a measure: unchanged, and never copied into the base.

bench/data/FIELD_QUESTIONS.md and FIELD_QUESTIONS_B.md: the field questions and follow-up
dialogues of sets A and B were written without seeing the knowledge base and must never
become examples, keywords or answers of it. These tests hold both promises mechanically,
and keep set B from repeating set A (it would then measure nothing new).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from chalicelib.assistant.knowledge import KNOWLEDGE_BASE_PATH, load_knowledge_base
from chalicelib.shared.text import fold

DATA = Path(__file__).resolve().parents[3] / "bench" / "data"
FROZEN_SHA256 = {
    "field_questions.jsonl": "9de237da2449f10bb129ad68b68a75d773e38b90eb77f9177ae7b135efce4a9b",
    "followup_dialogues.jsonl": "97f88b78cea63ca09f072bf8b7953fcf4f20913e022b9caf53df99acae13569d",
    "field_questions_b.jsonl": "32ad02907cada73b7060dfc06672517cabfe5e84d48ff1a092b50dc0d451a3c8",
    "followup_dialogues_b.jsonl": (
        "4ad29b7ae01ff60f017ec983dc4125882ea005c9cf1e3c5b28e83f3b2ffb49c2"
    ),
}
# Each set: its questions file and its follow-up dialogues file.
SET_A = ("field_questions.jsonl", "followup_dialogues.jsonl")
SET_B = ("field_questions_b.jsonl", "followup_dialogues_b.jsonl")
# Set A's short keyword questions (2-4 words) that were already keywords or titles of the
# base when it was frozen (commit ec3f433), as the SHA-256 prefixes of their keys: the set's
# author never saw them, people simply type them too. Any other match is a leak. Set B has
# no such exception: it repeats no question of set A, and it was reworded where it matched.
ALREADY_IN_THE_BASE = frozenset(
    """
    0147de53c6e7f4fe 07d78fdaaabb6d7d 1513be9d76bed5bb 232ea02d97d01eaa 478e8488a9fb1b94
    4ffdad433e8bc0ad 50bce8a59e2fbb11 647975f682fbcc2c 8688c4f6589404d7 8882b9db7d9c7182
    8b4ce7732aa732a7 91a8ab1a62af750e a4377571bc439189 b39a3535e86dff08 c49bf94154de0fcc
    dc74cb9922403ad5 dc869e5fd149c820 e8497261d4662470 f15d6a57a2162d77 f3a05e8a69d35add
    """.split()
)
# Texts the tuning set shared with a field set when that set was frozen (SHA-256 prefixes of
# their keys): 5 dialogue turns of set A (the tuning dialogues came later) and 11 texts of set
# B (written blind to the tuning set; short keyword questions, follow-ups, small talk that
# people type alike). The tuning set is read and fitted: any other shared text is a leak.
SHARED_WITH_TUNING = frozenset(
    """
    249e746598688688 3182f45bfbfde835 4a90f16c575fcaa1 c7375b27f78e66d0 e8497261d4662470
    01d7f71ba223db54 29b10dbd868a4c33 2b4981297eeeb653 2de5160e704da041 3873f04a97dde69c
    40ad0c3b346b2822 439800433dba17cd 4e691cf76d203f25 a5ca3dfd4314e02e 3bf4a2608aaad120
    d562934bff30a5ff
    """.split()
)
TUNING = ("tuning_questions.jsonl", "tuning_dialogues.jsonl")
# A question this long is a sentence of its own: it must not appear even inside an answer.
SENTENCE_WORDS = 5


def _key(text: str) -> str:
    """Folded, punctuation dropped: the same question however it is punctuated."""
    return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def set_questions(question_set: tuple[str, str]) -> list[str]:
    questions_file, dialogues_file = question_set
    questions: list[str] = []
    for line in (DATA / questions_file).read_text(encoding="utf-8").splitlines():
        if line.strip():
            questions.append(json.loads(line)["text"])
    for line in (DATA / dialogues_file).read_text(encoding="utf-8").splitlines():
        if line.strip():
            questions.extend(turn["text"] for turn in json.loads(line)["turns"])
    return questions


def frozen_questions() -> list[str]:
    return set_questions(SET_A) + set_questions(SET_B)


@pytest.mark.parametrize("name", sorted(FROZEN_SHA256))
def test_the_frozen_sets_are_unchanged(name: str) -> None:
    digest = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
    assert digest == FROZEN_SHA256[name], f"{name} changed: write a new set instead"


def test_no_frozen_question_is_an_example_keyword_or_title() -> None:
    indexed = {
        _key(text)
        for topic in load_knowledge_base().topics
        for text in [topic.title, topic.suggestion, *topic.examples, *topic.keywords]
    }
    leaked = [
        question
        for question in frozen_questions()
        if _key(question) in indexed and _digest(_key(question)) not in ALREADY_IN_THE_BASE
    ]
    assert leaked == []


def test_no_frozen_sentence_appears_anywhere_in_the_base_file() -> None:
    base = " " + _key(KNOWLEDGE_BASE_PATH.read_text(encoding="utf-8")) + " "
    leaked = [
        question
        for question in frozen_questions()
        if len(_key(question).split()) >= SENTENCE_WORDS and f" {_key(question)} " in base
    ]
    assert leaked == []


def test_set_b_repeats_no_question_of_set_a() -> None:
    set_a = {_key(question) for question in set_questions(SET_A)}
    assert [question for question in set_questions(SET_B) if _key(question) in set_a] == []


def test_the_tuning_set_shares_no_frozen_question_but_those_it_shared_when_frozen() -> None:
    tuning = {_key(question) for question in set_questions(TUNING)}
    shared = {
        _digest(_key(question)) for question in frozen_questions() if _key(question) in tuning
    }
    assert shared <= SHARED_WITH_TUNING
