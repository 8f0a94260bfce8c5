"""Question understanding: ranking, refusal, typos, invoice numbers, asks for a human."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.assistant import engine as engine_module
from chalicelib.assistant.engine import (
    _band,
    _topic_scores,
    detect_human_request,
    extract_invoice_numbers,
    understand,
)
from chalicelib.assistant.index import (
    OFF_TOPIC_MARKERS,
    SHARED_MARKERS,
    SearchIndex,
    build_index,
    tokenise,
)
from chalicelib.assistant.knowledge import KnowledgeBase, load_knowledge_base
from chalicelib.assistant.text import normalise

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("j'ai paumé mon mdp", "compte.mot_de_passe_oublie"),
        (
            "Où consulter l'annuaire pour trouver le SIRET d'un client public ?",
            "facture.trouver_siret_destinataire",
        ),
        ("ma facture est revenue à recycler", "facture.a_recycler"),
        ("horaires du livechat", "support.livechat"),
    ],
)
def test_an_in_scope_paraphrase_is_understood(question: str, topic: str) -> None:
    result = understand(question, "fournisseur")
    assert result.understood
    assert result.topic == topic


@pytest.mark.parametrize(
    "question",
    [
        "Quel temps fera-t-il à Marseille ce week-end ?",
        "Qui a gagné la coupe du monde de football ?",
        "Donne-moi une recette de crêpes",
        "Comment créer un compte sur ameli ?",
        "t'es nul",
        "xkcd qwpo zzzz",
        "",
    ],
)
def test_an_out_of_scope_question_is_refused(question: str) -> None:
    result = understand(question, "anonyme")
    assert not result.understood
    assert result.topic is None


def test_typos_are_corrected_towards_the_base_vocabulary() -> None:
    result = understand("lien d'activasion expirer", "anonyme")
    assert result.topic == "compte.lien_activation"


def test_candidates_are_ranked_best_first() -> None:
    result = understand("facture rejetée", "fournisseur")
    scores = [candidate.score for candidate in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert result.candidates[0].topic == result.topic


def test_profile_breaks_ties_without_hiding_the_answer() -> None:
    public = understand("rejeter une facture", "structure_publique")
    supplier = understand("rejeter une facture", "fournisseur")
    assert public.topic == "entite_publique.rejeter_suspendre"
    assert supplier.topic is not None


def test_invoice_numbers_are_extracted_from_the_raw_text() -> None:
    text = "Où en sont FA-2026-0002, FC-2026-0001, F458 et la facture 88412 (envoyée à 8h30) ?"
    assert extract_invoice_numbers(text) == ["FA-2026-0002", "FC-2026-0001", "F458", "88412"]


def test_years_times_and_sizes_are_not_invoice_numbers() -> None:
    assert extract_invoice_numbers("réforme 2026, ouvert de 8h30 à 18h30, 10Mo, flux E1") == []


def test_understanding_carries_the_invoice_numbers() -> None:
    result = understand("statut de ma facture FA-2026-0002", "fournisseur")
    assert result.topic == "facture.statut_ma_facture"
    assert result.invoice_numbers == ["FA-2026-0002"]


@pytest.mark.parametrize(
    "text",
    [
        "je veux parler à un conseiller",
        "Je voudrais un humain svp",
        "passez-moi une vraie personne",
        "un conseiller",
    ],
)
def test_asking_for_a_person_is_detected(text: str) -> None:
    assert detect_human_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "quels sont les horaires du chat ?",
        "le conseiller est-il disponible le samedi ?",
        "comment déposer une facture",
    ],
)
def test_questions_about_the_livechat_are_not_a_request_for_a_person(text: str) -> None:
    assert not detect_human_request(text)


def test_no_dev_question_is_copied_into_the_examples() -> None:
    dev_path = REPO_ROOT / "bench" / "data" / "dev_questions.jsonl"
    lines = dev_path.read_text(encoding="utf-8").splitlines()
    dev = {normalise(json.loads(line)["text"]) for line in lines if line.strip()}
    examples = {
        normalise(example) for topic in load_knowledge_base().topics for example in topic.examples
    }
    assert not dev & examples


def test_a_long_story_is_read_sentence_by_sentence() -> None:
    story = (
        "Je suis artisan et je travaille depuis des années avec plusieurs communes du "
        "département. Hier encore tout allait bien. Ce matin le portail me refuse l'accès "
        "après trop de tentatives de connexion. Combien de temps dure le blocage du compte ?"
    )
    result = understand(story, "fournisseur")
    assert result.topic == "compte.compte_bloque"


def test_off_topic_markers_are_not_words_of_the_base_questions() -> None:
    _, lexicon = tokenise(load_knowledge_base())
    asked = {folded for folded, (_, _, in_questions) in lexicon.items() if in_questions}
    assert (OFF_TOPIC_MARKERS & asked) - SHARED_MARKERS == set()


@pytest.mark.parametrize(
    "question",
    ["changer mon adresse mail sur mon compte Amazon", "mon compte Netflix est bloqué"],
)
def test_a_question_about_another_site_is_refused(question: str) -> None:
    result = understand(question, "anonyme")
    assert result.band == "refuse"


def test_a_short_follow_up_is_read_in_the_context_of_the_previous_topic() -> None:
    result = understand("et si elle est suspendue ?", "fournisseur", "facture.rejetee")
    assert result.topic == "facture.suspendue"


def test_a_follow_up_asking_nothing_new_stays_on_the_previous_topic() -> None:
    result = understand("et je le mets où ?", "fournisseur", "facture.numero_engagement")
    assert result.band == "answer"
    assert result.topic == "facture.numero_engagement"


def test_a_follow_up_naming_who_asks_gives_that_profile() -> None:
    result = understand(
        "et si je suis une collectivité ?", "anonyme", "facture.obligation_chorus_pro"
    )
    assert result.topic == "facture.obligation_chorus_pro"
    assert result.profile_hint == "structure_publique"


def test_a_new_question_after_an_answer_does_not_carry_the_context() -> None:
    result = understand("mot de passe oublié", "fournisseur", "facture.avoir")
    assert result.topic == "compte.mot_de_passe_oublie"
    assert result.profile_hint is None


def test_a_sure_question_is_answered() -> None:
    result = understand("mot de passe oublié", "anonyme")
    assert result.band == "answer" and result.understood
    assert result.offered == []


def test_an_unsure_question_offers_up_to_three_topics_best_first() -> None:
    result = understand("le code à six chiffres arrive pas", "fournisseur")
    assert result.band == "offer" and not result.understood and result.topic is None
    assert 1 <= len(result.offered) <= 3
    assert result.offered == [c.topic for c in result.candidates][: len(result.offered)]
    assert "compte.double_authentification" in result.offered


def test_an_out_of_scope_question_is_refused_without_an_offer() -> None:
    result = understand("Donne-moi une recette de crêpes", "anonyme")
    assert result.band == "refuse"
    assert result.offered == []


def test_a_close_call_is_offered_rather_than_answered() -> None:
    # Sure enough by score and coverage alone, but the runner-up is nearly as good.
    assert _band(best_score=10.0, runner_up=9.5, coverage=0.5, off_topic=False) == "offer"
    assert _band(best_score=10.0, runner_up=8.5, coverage=0.5, off_topic=False) == "answer"


def test_a_close_call_the_best_topic_explains_well_is_answered() -> None:
    assert _band(best_score=10.0, runner_up=9.9, coverage=0.7, off_topic=False) == "answer"


def test_the_bands_thresholds_on_score_coverage_and_off_topic() -> None:
    assert _band(best_score=2.0, runner_up=0.0, coverage=0.9, off_topic=False) == "offer"
    assert _band(best_score=10.0, runner_up=0.0, coverage=0.3, off_topic=False) == "offer"
    assert _band(best_score=1.0, runner_up=0.0, coverage=0.9, off_topic=False) == "refuse"
    assert _band(best_score=10.0, runner_up=0.0, coverage=0.1, off_topic=False) == "refuse"
    assert _band(best_score=10.0, runner_up=0.0, coverage=0.9, off_topic=True) == "refuse"


OFFICE_SUPPLIES = "tampon encre papier crayon gomme ciseaux"
ANSWER = "Une réponse suffisamment longue pour être valide."
ZORGLUB_ANSWER = "Une réponse qui parle de zorglub et de rien d'autre."


def _office_index() -> SearchIndex:
    def topic(topic_id: str, examples: list[str], answer: str = ANSWER) -> dict[str, object]:
        return {
            "id": topic_id,
            "title": "Un sujet",
            "answer": answer,
            "examples": examples,
            "audiences": ["fournisseur"],
            "suggestion": "Un sujet",
        }

    return build_index(
        KnowledgeBase.model_validate(
            {
                "topics": [
                    topic("a.tampon", ["tampon rouge", "encre noire", "tampon bleu"]),
                    topic("b.bureau", [OFFICE_SUPPLIES, "papier crayon"]),
                    topic("c.agrafe", ["agrafe trombone"], answer=ZORGLUB_ANSWER),
                ]
            }
        )
    )


def test_evidence_spread_over_a_topics_examples_adds_up(monkeypatch: pytest.MonkeyPatch) -> None:
    index = _office_index()
    question = {"tampon", "encre"}
    scores = _topic_scores(index, question)
    assert scores["a.tampon"] > scores["b.bureau"]
    # Without the topic's whole document, one example naming both words wins.
    monkeypatch.setattr(engine_module, "TOPIC_DOCUMENT_SHARE", 0.0)
    scores = _topic_scores(index, question)
    assert scores["a.tampon"] < scores["b.bureau"]


def test_a_topics_whole_document_joins_its_questions_not_its_answer() -> None:
    postings = _office_index().topic_postings
    assert {topic for topic, _ in postings["encre"]} == {"a.tampon", "b.bureau"}
    assert "zorglub" not in postings
