"""The naive Bayes classifier over the base's questions, and how it re-orders BM25's best topics."""

from __future__ import annotations

import pytest

from chalicelib.assistant import engine as engine_module
from chalicelib.assistant.classifier import features, train
from chalicelib.assistant.engine import _band, _reranked, understand
from chalicelib.assistant.index import SearchIndex, get_index

DOCUMENTS = [
    ("a.tampon", "example", ["tampon", "rouge"]),
    ("a.tampon", "example", ["encre", "noir"]),
    ("b.bureau", "example", ["papier", "crayon", "gomme"]),
    ("b.bureau", "example", ["tampon", "papier"]),
    ("b.bureau", "answer", ["encre", "encre", "encre"]),
]


def test_features_are_the_terms_and_each_pair_of_neighbours() -> None:
    assert features(["mot_pass", "oubli", "compt"]) == [
        "mot_pass",
        "oubli",
        "compt",
        "mot_pass oubli",
        "oubli compt",
    ]


def test_words_spread_over_a_topics_examples_make_it_likelier() -> None:
    probabilities = train(DOCUMENTS).probabilities(["tampon", "encre"], ["a.tampon", "b.bureau"])

    assert probabilities["a.tampon"] > 0.5 > probabilities["b.bureau"]
    assert sum(probabilities.values()) == pytest.approx(1.0)


def test_an_answer_counts_for_less_than_a_question() -> None:
    # b.bureau's answer says "encre" three times, a.tampon's one example once: still a.tampon.
    probabilities = train(DOCUMENTS).probabilities(["encre"], ["a.tampon", "b.bureau"])
    as_questions = [(topic, "example", terms) for topic, _, terms in DOCUMENTS]
    if_questions = train(as_questions).probabilities(["encre"], ["a.tampon", "b.bureau"])

    assert probabilities["a.tampon"] > probabilities["b.bureau"]
    assert if_questions["a.tampon"] < if_questions["b.bureau"]


def test_a_question_of_words_the_base_never_uses_has_no_opinion() -> None:
    assert train(DOCUMENTS).probabilities(["zorglub"], ["a.tampon", "b.bureau"]) == {}


def _index_of(documents: list[tuple[str, str, list[str]]]) -> SearchIndex:
    index = SearchIndex()
    index.classifier = train(documents)
    return index


def test_the_rerank_moves_topics_but_keeps_the_scores_values() -> None:
    scores = {"b.bureau": 10.0, "a.tampon": 9.5, "c.agrafe": 2.0}

    reranked, disputed = _reranked(_index_of(DOCUMENTS), ["tampon", "encre"], scores)

    assert reranked == {"a.tampon": 10.0, "b.bureau": 9.5, "c.agrafe": 2.0}
    assert disputed


def test_a_topic_far_below_the_best_is_not_raised_by_the_classifier() -> None:
    scores = {"b.bureau": 10.0, "a.tampon": 3.0}

    reranked, disputed = _reranked(_index_of(DOCUMENTS), ["tampon", "encre"], scores)

    assert reranked == scores
    assert not disputed


def test_the_classifier_corrects_the_ranking_of_a_short_question(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # BM25 alone prefers the agents' rights topic ("ajouter" un utilisateur).
    assert understand("ajouter une structure").topic == "structure.creer"

    monkeypatch.setattr(engine_module, "CLASSIFIER_WEIGHT", 0.0)

    assert understand("ajouter une structure").topic != "structure.creer"


def test_a_disputed_call_is_offered_with_both_opinions(monkeypatch: pytest.MonkeyPatch) -> None:
    result = understand("inscription chorus pro étapes")

    assert result.band == "offer"
    assert result.offered[0] == "compte.creation"

    monkeypatch.setattr(engine_module, "DISPUTED_COVERAGE", 0.0)
    monkeypatch.setattr(engine_module, "CLASSIFIER_WEIGHT", 0.0)

    assert understand("inscription chorus pro étapes").band == "answer"


def test_a_disputed_call_the_best_topic_explains_well_is_answered() -> None:
    assert _band(10.0, 5.0, coverage=0.8, off_topic=False, disputed=True) == "answer"
    assert _band(10.0, 5.0, coverage=0.6, off_topic=False, disputed=True) == "offer"
    assert _band(10.0, 5.0, coverage=0.6, off_topic=False, disputed=False) == "answer"


def test_the_packaged_index_holds_a_classifier_of_every_topic() -> None:
    index = get_index()

    assert set(index.classifier.counts) == set(index.topic_terms)
