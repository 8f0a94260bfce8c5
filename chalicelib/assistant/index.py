"""The assistant's search index: BM25 postings over the knowledge base, and how queries read.

Each example, title, keyword and answer of a topic is one small document. Normalising the
whole base (~1,400 texts through the French pipeline of text.py) would cost most of the
index build, so its result, each document's terms, is precomputed into
chalicelib/data/assistant/index_terms.json (`python -m chalicelib.assistant.index --write`),
keyed by a fingerprint of the base and of the code that reads it: a stale table is ignored
and the terms computed live, so an edit can never be served with an old index.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from chalicelib.assistant import text as text_module
from chalicelib.assistant import vocabulary
from chalicelib.assistant.classifier import Classifier, train
from chalicelib.assistant.knowledge import KNOWLEDGE_BASE_PATH, KnowledgeBase, load_knowledge_base
from chalicelib.assistant.text import (
    STEM_TABLE_PATH,
    STOP_WORDS,
    SYNONYMS,
    SpellingIndex,
    build_stem_table,
    expand,
    fold_accents,
    load_stem_table,
    stem,
    words,
)
from chalicelib.assistant.wordlist import french_words, is_french_word, nearest_french_word

TERMS_TABLE_PATH = KNOWLEDGE_BASE_PATH.parent / "index_terms.json"

# BM25 parameters: documents are one-sentence examples, so length normalisation is mild.
K1 = 1.2
B = 0.5

FIELD_WEIGHTS = {"example": 1.0, "title": 1.0, "keyword": 0.9, "answer": 0.5}

# Words that make a question about another administration or life outside the portal; they
# only refuse a question that names nothing of the portal's own domain.
OFF_TOPIC_MARKERS = frozenset(
    """
    ameli caf urssaf impots impot passeport permis grise pole france-travail ants cpam
    retraite mutuelle meteo temps football match foot film films cinema recette recettes
    blague poeme poesie bitcoin bourse train trains sncf avion vacances elections election
    capitale voisin voisine traduis traduire traduction chanson android iphone smartphone
    nul nulle idiot idiote debile con conne stupide abruti nullite naze
    amende amendes naissance mariage cantine rsa apl chomage salaire loyer secu
    declaration declarations
    wifi electricite doctolib medecin allocation prime cpf recrutement devis prelevement
    """.split()
)
# Other sites and services by name: a question naming one is about it, however much of it
# the base explains ("changer mon adresse mail sur mon compte Amazon"), unless it names the
# portal's own domain too.
OTHER_SITES = frozenset(
    """
    ameli caf urssaf impots cpam ants amazon netflix leboncoin franceconnect edf engie sfr
    bouygues laposte doctolib paypal facebook instagram gmail outlook hotmail
    """.split()
)
# Markers that the base's own questions use too, for which the coverage override is meant:
# "le gestionnaire principal part à la retraite", "l'environnement de recette".
SHARED_MARKERS = frozenset({"retraite", "recette"})
_OPAQUE = OFF_TOPIC_MARKERS | OTHER_SITES

# (topic id, field, terms) of one document.
Document = tuple[str, str, list[str]]
# Folded word of the base -> (its term, how often the base uses it, whether questions do:
# examples, titles, keywords).
Lexicon = dict[str, tuple[str, int, bool]]


@dataclass
class SearchIndex:
    """BM25 postings over the knowledge base's documents, with the lexicon used to read queries."""

    document_topics: list[str] = field(default_factory=list)
    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    unknown_idf: float = 0.0
    lexicon: dict[str, str] = field(default_factory=dict)
    audiences: dict[str, frozenset[str]] = field(default_factory=dict)
    topic_terms: dict[str, set[str]] = field(default_factory=dict)
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)
    spelling: SpellingIndex = field(default_factory=lambda: SpellingIndex((), {}))
    # BM25 postings over one document per topic (its title, examples and keywords together):
    # evidence spread over several examples ("argent" in one, "arrive" in another) adds up.
    topic_postings: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    # A naive Bayes classifier over the same documents, re-ordering the best topics.
    classifier: Classifier = field(default_factory=Classifier)

    def known_term(self, word: str) -> str:
        """The stem the base uses for this spelling (accents restored), else the word's stem."""
        known = self.lexicon.get(fold_accents(word))
        return known if known is not None else stem(word)

    def terms_of(self, word: str) -> list[str]:
        """The index terms for a query word: known spelling, own stem, else a typo correction.

        A real French word the base does not use is no typo: it stays itself (weight the base
        does not explain). Otherwise a typo is corrected towards the base's words first, then
        towards a French word one edit away. A correction may land on a synonym or a stop word
        ("verouillé" -> "verrouillé" -> "bloqué"), hence a list.
        """
        folded = fold_accents(word)
        if folded in _OPAQUE:
            # Kept opaque: a marker neither matches nor is "corrected" into the base's words
            # ("secu" -> "reçu"), so that it stays unexplained weight in the coverage.
            return [f"?{folded}"]
        term = self.known_term(word)
        if term in self.idf or is_french_word(folded):
            return [term]
        corrected = self.spelling.correct(folded) or nearest_french_word(folded)
        if corrected is None:
            return [term]
        return [self.known_term(expanded) for expanded in expand(corrected)]


def indexed_texts(knowledge_base: KnowledgeBase) -> list[str]:
    """Every text the index reads, for the precomputed stem table."""
    return [text for _, _, text in _documents(knowledge_base)]


def _documents(knowledge_base: KnowledgeBase) -> list[tuple[str, str, str]]:
    """(topic id, field, text) for every indexed text of the base."""
    documents: list[tuple[str, str, str]] = []
    for topic in knowledge_base.topics:
        documents.append((topic.id, "title", topic.title))
        documents.extend((topic.id, "example", text) for text in topic.examples)
        documents.extend((topic.id, "keyword", text) for text in topic.keywords)
        answers = " ".join([topic.answer, *topic.variants.values()])
        documents.append((topic.id, "answer", answers))
    return documents


def tokenise(knowledge_base: KnowledgeBase) -> tuple[list[Document], Lexicon]:
    """Each document's terms, and the lexicon of the base's words."""
    documents: list[Document] = []
    terms: dict[str, str] = {}
    counts: Counter[str] = Counter()
    asked: set[str] = set()
    for topic_id, field_name, text in _documents(knowledge_base):
        document_terms: list[str] = []
        for word in words(text):
            folded = fold_accents(word)
            if folded not in terms:
                terms[folded] = stem(word)
            counts[folded] += 1
            document_terms.append(terms[folded])
            if field_name != "answer":
                asked.add(folded)
        documents.append((topic_id, field_name, document_terms))
    lexicon = {folded: (term, counts[folded], folded in asked) for folded, term in terms.items()}
    return documents, lexicon


def fingerprint() -> str:
    """What the precomputed terms depend on: the base, and the code that reads it."""
    digest = hashlib.sha256()
    for path in (
        KNOWLEDGE_BASE_PATH,
        Path(text_module.__file__),
        Path(vocabulary.__file__),
        Path(__file__),
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _precomputed_terms() -> tuple[list[Document], Lexicon] | None:
    """The shipped table when it was made from this very base and code, else None."""
    try:
        table = json.loads(TERMS_TABLE_PATH.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if table.get("fingerprint") != fingerprint():
        return None
    documents = [(topic, field_name, terms) for topic, field_name, terms in table["documents"]]
    lexicon = {
        folded: (term, count, bool(asked))
        for folded, (term, count, asked) in table["lexicon"].items()
    }
    return documents, lexicon


def build_index(knowledge_base: KnowledgeBase, precomputed: bool = False) -> SearchIndex:
    """Index every example, title, keyword and answer of the base as its own document.

    Lengths are normalised per field (BM25F-style), so a long answer is compared with other
    answers, not with one-line examples. `precomputed`: read the documents' terms from the
    shipped table when it matches (the packaged base only).
    """
    tokenised = _precomputed_terms() if precomputed else None
    documents, lexicon = tokenised if tokenised is not None else tokenise(knowledge_base)
    index = SearchIndex()
    index.lexicon = {folded: entry[0] for folded, entry in lexicon.items()}
    count = len(documents)
    field_lengths: dict[str, list[int]] = {}
    frequencies: Counter[str] = Counter()
    for topic_id, field_name, terms in documents:
        field_lengths.setdefault(field_name, []).append(len(terms))
        frequencies.update(set(terms))
        index.topic_terms.setdefault(topic_id, set()).update(terms)
    average_lengths = {name: sum(sizes) / len(sizes) for name, sizes in field_lengths.items()}
    index.idf = {
        term: math.log(1 + (count - df + 0.5) / (df + 0.5)) for term, df in frequencies.items()
    }
    index.unknown_idf = math.log(1 + (count + 0.5) / 0.5)
    for position, (topic_id, field_name, terms) in enumerate(documents):
        index.document_topics.append(topic_id)
        weight = FIELD_WEIGHTS[field_name]
        norm = K1 * (1 - B + B * len(terms) / average_lengths[field_name])
        for term, tf in Counter(terms).items():
            score = weight * index.idf[term] * tf * (K1 + 1) / (tf + norm)
            index.postings.setdefault(term, []).append((position, score))
    index.topic_postings = _topic_postings(documents)
    index.classifier = train(documents)
    index.audiences = {topic.id: frozenset(topic.audiences) for topic in knowledge_base.topics}
    index.related = {topic.id: tuple(topic.related) for topic in knowledge_base.topics}
    # Typos are corrected towards the words questions use (not the answers' prose, which would
    # triple the dictionary); synonym keys and stop words are targets too, so
    # that a typo of either does not become a topic word.
    asked = {folded for folded, (_, _, in_questions) in lexicon.items() if in_questions}
    vocabulary = asked | set(SYNONYMS) | STOP_WORDS
    counts = {folded: count for folded, (_, count, _) in lexicon.items()}
    index.spelling = SpellingIndex(vocabulary, counts)
    return index


def _topic_postings(documents: list[Document]) -> dict[str, list[tuple[str, float]]]:
    """BM25 postings over one document per topic: its questions' documents joined (no answer)."""
    topics: dict[str, list[str]] = {}
    for topic_id, field_name, terms in documents:
        if field_name != "answer":
            topics.setdefault(topic_id, []).extend(terms)
    count = len(topics)
    average_length = sum(len(terms) for terms in topics.values()) / max(count, 1)
    frequencies: Counter[str] = Counter()
    for terms in topics.values():
        frequencies.update(set(terms))
    postings: dict[str, list[tuple[str, float]]] = {}
    for topic_id, terms in topics.items():
        norm = K1 * (1 - B + B * len(terms) / average_length)
        for term, tf in Counter(terms).items():
            idf = math.log(1 + (count - frequencies[term] + 0.5) / (frequencies[term] + 0.5))
            postings.setdefault(term, []).append((topic_id, idf * tf * (K1 + 1) / (tf + norm)))
    return postings


@cache
def get_index() -> SearchIndex:
    """The index of the packaged knowledge base, built once per process."""
    return build_index(load_knowledge_base(), precomputed=True)


# What building the index reads and caches, cleared to measure a cold build.
INDEX_CACHES = (get_index, stem, expand, load_stem_table, french_words)


def write_tables() -> None:
    """Regenerate the precomputed stems and documents' terms of the packaged base."""
    knowledge_base = load_knowledge_base()
    stems = build_stem_table(indexed_texts(knowledge_base))
    STEM_TABLE_PATH.write_text(
        json.dumps(stems, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8"
    )
    load_stem_table.cache_clear()
    stem.cache_clear()
    documents, lexicon = tokenise(knowledge_base)
    table = {"fingerprint": fingerprint(), "documents": documents, "lexicon": lexicon}
    TERMS_TABLE_PATH.write_text(
        json.dumps(table, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m chalicelib.assistant.index --write")
    write_tables()
