"""Text normalisation and pagination cursors hold for any input (hypothesis).

- `fold` (search keys) and the assistant's `normalise` are idempotent; accents are
  folded the same whichever side carries them (typed query, indexed text), and NFC
  and NFD spellings give the same key.
- A cursor of any bytes is either a valid ExclusiveStartKey pinned to the partition
  asked for, or a 422 on `cursor`: never another exception.
"""

from __future__ import annotations

import base64
import json
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chalicelib.assistant.index import indexed_texts
from chalicelib.assistant.knowledge import load_knowledge_base
from chalicelib.assistant.text import fold_accents, normalise, terms, words
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from chalicelib.shared.text import fold

FAST = settings(max_examples=200, deadline=None)
PARTITION = {"pk": "USER#alice"}
# The key attributes of a base-table page besides its partition.
OTHERS = ("sk",)
# French letters with and without their accents.
ACCENTED = {"é": "e", "è": "e", "ê": "e", "à": "a", "â": "a", "ç": "c", "î": "i", "ï": "i",
            "ô": "o", "ù": "u", "û": "u", "ë": "e", "É": "E", "À": "A", "Ç": "C"}  # fmt: skip
french_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz" + "".join(ACCENTED), min_size=1)


def without_accents(text: str) -> str:
    return "".join(ACCENTED.get(char, char) for char in text)


@FAST
@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@FAST
@given(st.text())
def test_fold_gives_the_same_key_to_nfc_and_nfd_spellings(text: str) -> None:
    assert fold(unicodedata.normalize("NFC", text)) == fold(unicodedata.normalize("NFD", text))


@FAST
@given(st.lists(french_words, min_size=1, max_size=6))
def test_fold_gives_the_same_key_with_or_without_accents_and_case(words: list[str]) -> None:
    text = " ".join(words)

    assert fold(text) == fold(without_accents(text)) == fold(without_accents(text).upper())


@FAST
@given(st.text())
@example("²A00")  # found by Hypothesis: "²" hid the reference from \b, then was dropped
def test_normalise_is_idempotent(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


@FAST
@given(st.text())
def test_fold_accents_is_idempotent(text: str) -> None:
    assert fold_accents(fold_accents(text)) == fold_accents(text)


@FAST
@given(st.text())
def test_index_terms_never_keep_an_accent(text: str) -> None:
    # Accents are folded after stemming, the same for the question and the indexed text.
    assert all(fold_accents(term) == term for term in terms(text))


def test_every_word_of_the_knowledge_base_typed_without_its_accents_gives_the_same_terms() -> None:
    # People often type without accents; Snowball sees them ("rejetée" -> "rejet" but
    # "rejetee" -> "rejete"), so a base word's stem is looked up by its unaccented spelling.
    base_words = sorted(
        {word for text in indexed_texts(load_knowledge_base()) for word in words(text)}
    )
    assert len(base_words) > 1000
    differing = [word for word in base_words if terms(word) != terms(without_accents(word))]
    assert differing == []


@FAST
@given(st.binary(max_size=300))
def test_a_cursor_of_any_bytes_is_a_pinned_key_or_a_422_on_cursor(raw: bytes) -> None:
    cursor = raw.decode("latin-1")

    try:
        key = decode_cursor(cursor, PARTITION, OTHERS)
    except InvalidFieldsError as refused:
        assert [e.field for e in refused.errors] == ["cursor"]
        return
    assert key is None or (
        key["pk"] == "USER#alice" and all(isinstance(v, str) for v in key.values())
    )


@FAST
@given(st.binary(max_size=200))
def test_any_base64_encoded_bytes_decode_to_a_pinned_key_or_a_422(raw: bytes) -> None:
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")

    try:
        key = decode_cursor(cursor, PARTITION, OTHERS)
    except InvalidFieldsError as refused:
        assert [e.field for e in refused.errors] == ["cursor"]
        return
    assert key is None or key["pk"] == "USER#alice"


@FAST
@given(st.dictionaries(st.sampled_from(["sk", "gsi1pk", "gsi1sk"]), st.text(), max_size=3))
def test_a_cursor_round_trips_and_only_for_its_own_partition(rest: dict[str, str]) -> None:
    key = {"pk": "USER#alice", **rest}
    cursor = encode_cursor(key)

    others = tuple(rest)
    if all(rest.values()):
        assert decode_cursor(cursor, PARTITION, others) == key
    else:  # an empty attribute is no key DynamoDB gave
        with pytest.raises(InvalidFieldsError) as empty:
            decode_cursor(cursor, PARTITION, others)
        assert [e.field for e in empty.value.errors] == ["cursor"]
    with pytest.raises(InvalidFieldsError) as other:  # not the listing's key attributes
        decode_cursor(cursor, PARTITION, (*others, "gsi9sk"))
    assert [e.field for e in other.value.errors] == ["cursor"]
    try:
        decode_cursor(cursor, {"pk": "USER#claire"}, others)
    except InvalidFieldsError as refused:
        assert [e.field for e in refused.errors] == ["cursor"]
    else:
        raise AssertionError("a cursor of alice's partition opened claire's")


def test_a_cursor_of_json_that_is_not_an_object_of_strings_is_a_422() -> None:
    values: list[object] = [[], "x", 1, {"pk": 1}, {"pk": "USER#alice", "sk": None}]
    for value in values:
        cursor = base64.urlsafe_b64encode(json.dumps(value).encode()).decode()
        try:
            decode_cursor(cursor, PARTITION, OTHERS)
        except InvalidFieldsError as refused:
            assert [e.field for e in refused.errors] == ["cursor"]
        else:
            raise AssertionError(f"{value!r} was accepted as a cursor")
