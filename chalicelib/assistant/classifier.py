"""A naive Bayes classifier over the knowledge base's own questions: a second opinion on BM25.

BM25 scores a topic by its best-matching example; the classifier weighs every word and word
pair of the question against everything a topic's questions say (titles, examples, keywords,
and its answer at a lower weight), so a question whose words each appear in some example of
the right topic, but never together, still leans towards it. It is trained on the base alone
(never on a question set), from the documents' terms the index already holds, when the index
is built. Counting ~1,400 short documents costs ~5 ms of CPU; reading the same counts from
a shipped JSON table was measured at ~3.3 ms, not worth a second fingerprinted file.

It only re-orders the best few BM25 topics: the scores keep their values, so the bands'
thresholds keep their meaning, and a topic BM25 does not rank near the top is never raised.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

# A topic's answer speaks of it in the content team's prose, not in users' words: it counts
# for less than a question. Chosen by cross-validation over the base's own examples.
FIELD_WEIGHTS = {"title": 1.0, "example": 1.0, "keyword": 1.0, "answer": 0.3}
# Additive smoothing: small, since a topic has only ~15 questions.
SMOOTHING = 0.1


@dataclass
class Classifier:
    """Multinomial naive Bayes: each topic's weighted feature counts."""

    counts: dict[str, dict[str, float]] = field(default_factory=dict)
    totals: dict[str, float] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()

    def log_likelihoods(self, terms: list[str], topics: Iterable[str]) -> dict[str, float]:
        """log P(question | topic) for each topic, over the features the base knows.

        Empty when the question has no feature the base uses (nothing to weigh).
        """
        known = [feature for feature in features(terms) if feature in self.vocabulary]
        if not known:
            return {}
        size = len(self.vocabulary)
        likelihoods: dict[str, float] = {}
        for topic in topics:
            counts = self.counts.get(topic, {})
            denominator = math.log(self.totals.get(topic, 0.0) + SMOOTHING * size)
            likelihoods[topic] = sum(
                math.log(counts.get(feature, 0.0) + SMOOTHING) - denominator for feature in known
            )
        return likelihoods

    def probabilities(self, terms: list[str], topics: list[str]) -> dict[str, float]:
        """P(topic | question) among the given topics (equal priors); empty if nothing known."""
        likelihoods = self.log_likelihoods(terms, topics)
        if not likelihoods:
            return {}
        top = max(likelihoods.values())
        exponentials = {topic: math.exp(value - top) for topic, value in likelihoods.items()}
        total = sum(exponentials.values())
        return {topic: value / total for topic, value in exponentials.items()}


def features(terms: list[str]) -> list[str]:
    """A text's terms in order, and each pair of neighbouring terms ("mot_pass oubli")."""
    return [*terms, *(f"{first} {second}" for first, second in zip(terms, terms[1:], strict=False))]


def train(documents: Iterable[tuple[str, str, list[str]]]) -> Classifier:
    """Count each topic's features over its documents (topic id, field, terms)."""
    counts: dict[str, dict[str, float]] = {}
    totals: dict[str, float] = {}
    for topic, field_name, terms in documents:
        weight = FIELD_WEIGHTS[field_name]
        topic_counts = counts.setdefault(topic, {})
        found = features(terms)
        for feature in found:
            topic_counts[feature] = topic_counts.get(feature, 0.0) + weight
        totals[topic] = totals.get(topic, 0.0) + weight * len(found)
    vocabulary = frozenset().union(*counts.values())
    return Classifier(counts=counts, totals=totals, vocabulary=vocabulary)
