"""The knowledge base: validation, completeness against the topic catalogue, variants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from chalicelib.assistant import index as index_module
from chalicelib.assistant.index import (
    TERMS_TABLE_PATH,
    build_index,
    fingerprint,
    get_index,
    indexed_texts,
    tokenise,
)
from chalicelib.assistant.knowledge import KnowledgeBase, load_knowledge_base, parse_knowledge_base
from chalicelib.assistant.text import build_stem_table, load_stem_table

TOPICS_PATH = Path(__file__).resolve().parents[2] / "data" / "assistant" / "topics.yaml"


def catalogue_ids() -> list[str]:
    catalogue = yaml.safe_load(TOPICS_PATH.read_text(encoding="utf-8"))
    return [topic["id"] for topic in catalogue["topics"]]


def minimal_topic(topic_id: str, **overrides: object) -> dict[str, object]:
    topic: dict[str, object] = {
        "id": topic_id,
        "title": "Un sujet",
        "answer": "Une réponse suffisamment longue pour être valide.",
        "examples": ["une question"],
        "audiences": ["fournisseur"],
        "suggestion": "Un sujet",
    }
    topic.update(overrides)
    return topic


def test_every_catalogue_topic_has_exactly_one_entry() -> None:
    base_ids = [topic.id for topic in load_knowledge_base().topics]
    missing = sorted(set(catalogue_ids()) - set(base_ids))
    assert missing == []
    assert len(base_ids) == len(set(base_ids)), "a topic has two entries"
    assert sorted(base_ids) == sorted(catalogue_ids())


def test_related_topics_exist() -> None:
    base = load_knowledge_base()
    ids = {topic.id for topic in base.topics}
    assert all(related in ids for topic in base.topics for related in topic.related)


def test_unknown_related_topic_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown related"):
        KnowledgeBase.model_validate(
            {"topics": [minimal_topic("compte.creation", related=["compte.inexistant"])]}
        )


def test_duplicated_topic_id_is_rejected() -> None:
    with pytest.raises(ValidationError, match="duplicated topic ids"):
        KnowledgeBase.model_validate(
            {"topics": [minimal_topic("compte.creation"), minimal_topic("compte.creation")]}
        )


def test_unknown_profile_variant_is_rejected() -> None:
    with pytest.raises(ValidationError):
        parse_knowledge_base(
            yaml.safe_dump({"topics": [minimal_topic("a.b", variants={"administrateur": "x"})]})
        )


def test_answer_for_picks_the_profile_variant_and_falls_back_to_the_default() -> None:
    base = load_knowledge_base()
    topic = base.topic("support.suivi_ticket")
    assert base.answer_for("support.suivi_ticket", "anonyme") == topic.variants["anonyme"]
    assert base.answer_for("support.suivi_ticket", "fournisseur") == topic.answer
    assert base.answer_for("support.suivi_ticket", None) == topic.answer


def test_data_aware_topics_are_flagged() -> None:
    flagged = {topic.id for topic in load_knowledge_base().topics if topic.data_aware}
    assert flagged == {"support.suivi_ticket", "facture.statut_ma_facture"}


def test_ticket_hints_use_catalogue_codes() -> None:
    hints = [topic.ticket for topic in load_knowledge_base().topics if topic.ticket]
    assert hints
    assert all(hint.subcategory[0] in "SM" for hint in hints)


def test_the_precomputed_terms_table_matches_the_base_and_the_code() -> None:
    table = json.loads(TERMS_TABLE_PATH.read_text(encoding="utf-8"))
    assert table["fingerprint"] == fingerprint(), (
        "run: python -m chalicelib.assistant.index --write"
    )
    documents, lexicon = tokenise(load_knowledge_base())
    assert [tuple(document) for document in table["documents"]] == documents
    assert {folded: tuple(entry) for folded, entry in table["lexicon"].items()} == lexicon


def test_a_stale_terms_table_is_ignored_and_the_index_built_live(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(index_module, "fingerprint", lambda: "another base")
    live = build_index(load_knowledge_base(), precomputed=True)
    shipped = get_index()
    assert live.idf == shipped.idf
    assert live.lexicon == shipped.lexicon


def test_the_precomputed_stem_table_is_up_to_date() -> None:
    expected = build_stem_table(indexed_texts(load_knowledge_base()))
    assert load_stem_table() == expected, "run: python -m chalicelib.assistant.index --write"
