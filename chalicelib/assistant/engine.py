"""Question understanding for the assistant: which topic a French question is about, if any.

A BM25 index over each topic's examples, title and keywords (one small document each) is
built on first use and kept for the life of the process. A topic scores as its best document
plus a share of its second best. The decision to answer needs both a high enough best score
and enough of the question's weight explained by the answer's topic ("coverage"): a question
about the weather or another administration shares a word or two with the base ("compte",
"créer") but most of its weight stays unexplained, and is refused rather than answered with
the nearest topic. A naive Bayes classifier over the same documents (classifier.py) then
re-orders the best three topics, and a call it disputes is offered rather than answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import ConfigDict

from chalicelib.assistant.index import OFF_TOPIC_MARKERS, OTHER_SITES, SearchIndex, get_index
from chalicelib.assistant.text import (
    REFERENCE_TOKEN,
    fold_accents,
    words,
)
from chalicelib.shared.models import Model

# Calibrated on bench/data/dev_questions.jsonl, checked on bench/data/holdout_questions.jsonl.
MIN_SCORE = 3.0
MIN_COVERAGE = 0.4
# A topic's second-best document adds this share: several examples agreeing beat one fluke.
SECOND_DOCUMENT_SHARE = 0.25
# The topic's whole document (all its questions together) adds this share of its own BM25
# score: several examples each matching part of the question beat one matching a word.
# Chosen on bench/data/tuning_questions.jsonl.
TOPIC_DOCUMENT_SHARE = 0.6
# Topics whose audiences exclude the asker lose a share of their score: a prior between
# neighbouring topics (a supplier asking about an invoice means the supplier's side of it).
AUDIENCE_PENALTY = 0.7
CANDIDATE_COUNT = 3
# The offer band: not sure enough to answer, but the question is about the portal. Up to
# OFFER_COUNT topics are offered, each within OFFER_SHARE of the best one's score.
OFFER_MIN_SCORE = 1.5
OFFER_MIN_COVERAGE = 0.2
OFFER_COUNT = 3
OFFER_SHARE = 0.5
# A close call is offered, not answered: the runner-up within CLOSE_CALL_SHARE of the best
# topic's score while the best explains less than CLOSE_CALL_COVERAGE of the question (two
# neighbouring topics share most words; a wrong answer costs more than a click). Chosen on
# bench/data/tuning_questions.jsonl.
CLOSE_CALL_SHARE = 0.9
CLOSE_CALL_COVERAGE = 0.6
# The classifier's second opinion (classifier.py) re-orders the best RERANK_COUNT topics:
# each is ranked by its share of the best BM25 score plus CLASSIFIER_WEIGHT times its
# probability among them. When it puts another topic first than BM25 did, the call is
# disputed: answered only if the new best explains at least DISPUTED_COVERAGE of the
# question, else offered. Chosen by cross-validation over the base's examples (each fifth
# left out in turn), checked on bench/data/tuning_questions.jsonl.
RERANK_COUNT = 3
CLASSIFIER_WEIGHT = 0.6
DISPUTED_COVERAGE = 0.7

# A marker does not refuse a question this much explained by its topic: "le gestionnaire
# principal part à la retraite" is about the portal (off-topic questions stay below ~0.45).
OFF_TOPIC_OVERRIDE_COVERAGE = 0.6
# A reference (invoice number...) in a question says which object it is about: it counts double.
REFERENCE_WEIGHT = 2.0
DOMAIN_STEMS = frozenset(
    {"choruspro", "factur", "memoir", "ticket", "siret", "structur", "rattach", "engag"}
)

_INVOICE_NUMBER = re.compile(
    r"(?<![\w-])(?=[\w/-]*\d)[A-Za-z0-9]+(?:[-/_][A-Za-z0-9]+)+(?![\w-])"
    r"|(?<![\w-])(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{3,}(?![\w-])"
)
_NUMBER_AFTER_CUE = re.compile(
    r"(?:factures?|avoirs?|n°|no|num(?:é|e)ro|réf(?:érence)?|ref(?:erence)?|#)\s*:?\s*"
    r"(?:n°\s*)?(\d{3,})\b",
    re.IGNORECASE,
)
# Times, quantities and flux names look like references but are not.
_NOT_A_REFERENCE = re.compile(
    r"\d{1,2}h\d{0,2}|\d+(?:mo|go|ko|min|h|j|km|e|er|eme|ème|€)|e\d|kb\d+|\d{1,2}/\d{1,2}(?:/\d{2,4})?",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d\d")
# A follow-up: opens like one, or has this few content words; the previous topic's score
# gains FOLLOW_UP_PRIOR, its related topics RELATED_PRIOR.
_FOLLOW_UP = re.compile(
    r"^\W*(?:et|mais|sinon|aussi|pareil|idem|ok\W+et|d.accord\W+et|même chose)\b", re.IGNORECASE
)
FOLLOW_UP_MAX_WORDS = 2
FOLLOW_UP_PRIOR = 2.0
RELATED_PRIOR = 1.5
_PROFILE_MENTIONS = (
    (
        "structure_publique",
        re.compile(
            r"\b(?:collectivit[ée]s?|mairies?|communes?|entit[ée]s? publiques?|h[oô]pital"
            r"|[ée]tablissements? publics?|administrations?|acheteurs? publics?|agents? publics?"
            r"|structures? publiques?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "fournisseur",
        re.compile(
            r"\b(?:fournisseurs?|entreprises?|prestataires?|auto.?entrepreneurs?"
            r"|micro.?entreprises?|artisans?|soci[ée]t[ée]s?)\b",
            re.IGNORECASE,
        ),
    ),
    ("anonyme", re.compile(r"\b(?:sans compte|pas (?:de|encore de) compte)\b", re.IGNORECASE)),
)
# A question this long (in content words) is read sentence by sentence too.
LONG_STORY_WORDS = 12
_CLAUSE = re.compile(r"[.!?;\n]+")

_HUMAN = re.compile(
    r"\b(conseill[eè]re?s?|humains?|(?:vraie?|réelle?|reelle?) personne|personne physique"
    r"|(?:un|une|des) (?:agents?|opérat(?:eur|rice)s?|operat(?:eur|rice)s?)|quelqu.un"
    r"|t[ée]l[ée]conseill[eè]re?|interlocut(?:eur|rice))\b",
    re.IGNORECASE,
)
_ASKING = re.compile(
    r"\b(parler|discuter|échanger|echanger|contacter|joindre|avoir|voir|passer|"
    r"mettre en relation|mettez|passez|transf[ée]rer|veux|voudrais|souhaite|souhaiterais|"
    r"aimerais|besoin|exige|demande)\b",
    re.IGNORECASE,
)
# Questions about the service itself (opening hours, availability) are information, not a call.
_ABOUT_THE_SERVICE = re.compile(
    r"\b(horaires?|heures?|ouverts?|ouverture|ferm[ée]s?|disponibles?|disponibilité|quand"
    r"|samedi|dimanche|week-end|weekend|jours?)\b",
    re.IGNORECASE,
)


class Candidate(Model):
    """A topic the question might be about, with its score."""

    model_config = ConfigDict(frozen=True)

    topic: str
    score: float


Band = Literal["answer", "offer", "refuse"]


class Understanding(Model):
    """What the engine made of a question.

    `band`: "answer" (sure: `topic` is answered), "offer" (unsure: the topics of `offered`
    are proposed, best first) or "refuse" (not about the portal).
    """

    model_config = ConfigDict(frozen=True)

    topic: str | None
    score: float
    coverage: float
    understood: bool
    candidates: list[Candidate]
    invoice_numbers: list[str]
    band: Band = "refuse"
    offered: list[str] = []
    # A follow-up that names who asks ("et si je suis une collectivité ?"): that profile's
    # variant of the answer.
    profile_hint: str | None = None


def _topic_scores(index: SearchIndex, terms: set[str]) -> dict[str, float]:
    document_scores: dict[int, float] = {}
    for term in terms:
        weight = REFERENCE_WEIGHT if term == REFERENCE_TOKEN else 1.0
        for position, score in index.postings.get(term, ()):
            document_scores[position] = document_scores.get(position, 0.0) + weight * score
    best: dict[str, list[float]] = {}
    for position, score in document_scores.items():
        top = best.setdefault(index.document_topics[position], [0.0, 0.0])
        if score > top[0]:
            top[0], top[1] = score, top[0]
        elif score > top[1]:
            top[1] = score
    scores = {topic: top[0] + SECOND_DOCUMENT_SHARE * top[1] for topic, top in best.items()}
    for term in terms:
        for topic, score in index.topic_postings.get(term, ()):
            scores[topic] = scores.get(topic, 0.0) + TOPIC_DOCUMENT_SHARE * score
    return scores


def _coverage(index: SearchIndex, terms: set[str], topic_terms: set[str]) -> float:
    """Share of the question's idf weight found among the chosen topic's terms."""
    total = sum(index.idf.get(term, index.unknown_idf) for term in terms)
    if total == 0:
        return 0.0
    matched = sum(index.idf[term] for term in terms & topic_terms)
    return matched / total


def _is_off_topic(raw_words: list[str], terms: set[str], coverage: float) -> bool:
    folded = {fold_accents(word) for word in raw_words}
    if folded & OTHER_SITES:
        return not terms & DOMAIN_STEMS
    if not folded & OFF_TOPIC_MARKERS or coverage >= OFF_TOPIC_OVERRIDE_COVERAGE:
        return False
    return not terms & DOMAIN_STEMS


def understand(
    text: str, profile: str | None = None, previous_topic: str | None = None
) -> Understanding:
    """Rank the topics for a question and decide whether it was understood.

    `previous_topic`: the topic answered just before in the conversation, if any: a short
    follow-up ("et pour un avoir ?") is read in its context.
    """
    index = get_index()
    raw_words = words(text)
    ordered_terms = _ordered_terms(index, raw_words)
    terms = set(ordered_terms)
    scores, story_coverage = _ranked_scores(index, text, raw_words, terms)
    follow_up = previous_topic is not None and is_follow_up(text, raw_words)
    disputed = False
    if not follow_up:
        # A follow-up's few words are read through the previous topic, not the classifier.
        scores, disputed = _reranked(index, ordered_terms, scores)
    if profile is not None:
        scores = {
            topic: score * (1.0 if profile in index.audiences[topic] else AUDIENCE_PENALTY)
            for topic, score in scores.items()
        }
    context: set[str] = set()
    if follow_up and previous_topic is not None:
        scores = _with_context(index, scores, previous_topic)
        context = index.topic_terms.get(previous_topic, set())
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    best_topic, best_score = ranked[0] if ranked else (previous_topic, 0.0)
    coverage = 0.0
    if best_topic is not None and terms:
        coverage = _coverage(index, terms, index.topic_terms[best_topic] | context)
        coverage = max(coverage, story_coverage(best_topic))
    off_topic = _is_off_topic(raw_words, terms, coverage)
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    band = _band(best_score, runner_up, coverage, off_topic, disputed)
    if follow_up and not terms and not off_topic:
        # "et je le trouve où ?": nothing new is asked, the same topic goes on.
        band = "answer"
    return Understanding(
        topic=best_topic if band == "answer" else None,
        score=round(best_score, 3),
        coverage=round(coverage, 3),
        understood=band == "answer",
        candidates=[
            Candidate(topic=topic, score=round(score, 3))
            for topic, score in ranked[:CANDIDATE_COUNT]
        ],
        invoice_numbers=extract_invoice_numbers(text),
        band=band,
        offered=_offered(ranked, best_score) if band == "offer" else [],
        profile_hint=mentioned_profile(text) if follow_up else None,
    )


def _ranked_scores(
    index: SearchIndex, text: str, raw_words: list[str], terms: set[str]
) -> tuple[dict[str, float], Callable[[str], float]]:
    """Each topic's score, and how to read a topic's coverage sentence by sentence.

    A long story is read sentence by sentence as well (see `_story_scores`).
    """
    scores = _topic_scores(index, terms)
    clauses = _clauses(text) if len(raw_words) >= LONG_STORY_WORDS else []
    clause_terms = [found for clause in clauses if (found := _query_terms(index, words(clause)))]
    if len(clause_terms) < 2:
        return scores, lambda topic: 0.0
    clause_scores = [_topic_scores(index, found) for found in clause_terms]

    def story_coverage(topic: str) -> float:
        return _story_coverage(index, topic, clause_terms, clause_scores)

    return _story_scores(scores, clause_scores), story_coverage


def _offered(ranked: list[tuple[str, float]], best_score: float) -> list[str]:
    return [topic for topic, score in ranked[:OFFER_COUNT] if score >= best_score * OFFER_SHARE]


def is_follow_up(text: str, raw_words: list[str]) -> bool:
    """Whether a question only makes sense after the previous answer: it opens like one
    ("et pour…", "mais si…") or says next to nothing on its own."""
    return bool(_FOLLOW_UP.match(text)) or len(raw_words) <= FOLLOW_UP_MAX_WORDS


def _with_context(
    index: SearchIndex, scores: dict[str, float], previous_topic: str
) -> dict[str, float]:
    """The previous topic, and less so its related topics, are likelier for a follow-up."""
    boosted = dict(scores)
    boosted[previous_topic] = boosted.get(previous_topic, 0.0) + FOLLOW_UP_PRIOR
    for related in index.related.get(previous_topic, ()):
        if related in boosted:
            boosted[related] += RELATED_PRIOR
    return boosted


def mentioned_profile(text: str) -> str | None:
    """The profile a question says it asks for ("et si je suis une collectivité ?")."""
    for profile, pattern in _PROFILE_MENTIONS:
        if pattern.search(text):
            return profile
    return None


def _query_terms(index: SearchIndex, raw_words: list[str]) -> set[str]:
    return set(_ordered_terms(index, raw_words))


def _ordered_terms(index: SearchIndex, raw_words: list[str]) -> list[str]:
    return [term for word in raw_words for term in index.terms_of(word)]


def _reranked(
    index: SearchIndex, ordered_terms: list[str], scores: dict[str, float]
) -> tuple[dict[str, float], bool]:
    """The best RERANK_COUNT topics re-ordered with the classifier's opinion, and whether it
    put another topic first.

    The scores keep their values (the best topic's score stays the best score, and so on
    down): only which topic holds each changes, so the bands' thresholds keep their meaning.
    """
    top = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:RERANK_COUNT]
    if len(top) < 2 or top[0][1] <= 0:
        return scores, False
    probabilities = index.classifier.probabilities(ordered_terms, [topic for topic, _ in top])
    if not probabilities:
        return scores, False
    best = top[0][1]
    combined = {
        topic: score / best + CLASSIFIER_WEIGHT * probabilities[topic] for topic, score in top
    }
    order = sorted(combined, key=lambda topic: (-combined[topic], topic))
    reranked = dict(scores)
    for topic, (_, score) in zip(order, top, strict=True):
        reranked[topic] = score
    return reranked, order[0] != top[0][0]


def _clauses(text: str) -> list[str]:
    """The sentences of a long text, questions last-weighted by the caller."""
    return [clause for clause in _CLAUSE.split(text) if clause.strip()]


def _story_scores(
    whole: dict[str, float], clause_scores: list[dict[str, float]]
) -> dict[str, float]:
    """A long story's topic scores: the sum of its sentences' scores.

    Each sentence picks the topic's example it is closest to, so a topic that several
    sentences speak of (in other examples' words) gains over one that a single example
    matches across the whole text. (Measured on the frozen set against the whole text alone
    and against the best sentence plus half the whole text: the sum ranked best.)
    """
    return {topic: sum(scores.get(topic, 0.0) for scores in clause_scores) for topic in whole}


def _story_coverage(
    index: SearchIndex,
    topic: str,
    clause_terms: list[set[str]],
    clause_scores: list[dict[str, float]],
) -> float:
    """The topic's coverage of the sentence that speaks most of it."""
    best = max(range(len(clause_terms)), key=lambda i: clause_scores[i].get(topic, 0.0))
    return _coverage(index, clause_terms[best], index.topic_terms[topic])


def _band(
    best_score: float, runner_up: float, coverage: float, off_topic: bool, disputed: bool = False
) -> Band:
    """Answer when sure, offer the best topics when unsure, refuse what is not the portal's.

    Unsure: a low score or coverage, a close call (the runner-up nearly as good while the
    best explains little of the question), or a disputed one (the classifier put another
    topic first than BM25 did, and the best explains under DISPUTED_COVERAGE of it).
    """
    if off_topic:
        return "refuse"
    close_call = runner_up >= CLOSE_CALL_SHARE * best_score and coverage < CLOSE_CALL_COVERAGE
    unsure = close_call or (disputed and coverage < DISPUTED_COVERAGE)
    if best_score >= MIN_SCORE and coverage >= MIN_COVERAGE and not unsure:
        return "answer"
    if best_score >= OFFER_MIN_SCORE and coverage >= OFFER_MIN_COVERAGE:
        return "offer"
    return "refuse"


def extract_invoice_numbers(text: str) -> list[str]:
    """Invoice-number-like tokens of the raw text (FA-2026-0002, F458, "facture 88412")."""
    found: list[str] = []
    for match in _INVOICE_NUMBER.finditer(text):
        token = match.group(0)
        if _NOT_A_REFERENCE.fullmatch(token) or _YEAR.fullmatch(token):
            continue
        found.append(token)
    for match in _NUMBER_AFTER_CUE.finditer(text):
        number = match.group(1)
        if not _YEAR.fullmatch(number) and not any(number in token for token in found):
            found.append(number)
    return list(dict.fromkeys(found))


def detect_human_request(text: str) -> bool:
    """Whether the user asks to talk to a person (escalation "asked"), not about the LiveChat.

    "Je veux parler à un conseiller" is a request; "quels sont les horaires du chat ?" or
    "le conseiller est-il disponible le samedi ?" ask for information the topic answers.
    """
    if not _HUMAN.search(text):
        return False
    if _ABOUT_THE_SERVICE.search(text):
        return False
    stripped = re.sub(r"[^\w\s]", " ", text).split()
    # A bare "un conseiller svp" is a request even without a verb.
    return bool(_ASKING.search(text)) or len(stripped) <= 4
