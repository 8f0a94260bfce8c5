"""ClaudIA's bands, follow-ups, agents and objects through the HTTP API (test client + moto).

An unsure question offers its candidate topics and a click on one answers it; a follow-up is
read after the previous answer; agents are greeted for their work; court-fee statements and
refund requests get their status like invoices; not-understood questions are kept masked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.assistant.knowledge import load_knowledge_base
from chalicelib.assistant.store import INSIGHT_TTL
from chalicelib.endpoints.assistant import (
    ANONYMOUS_CONVERSATIONS_PER_HOUR,
    ANONYMOUS_MESSAGES_PER_MINUTE,
)
from chalicelib.shared import aws
from chalicelib.shared.config import get_settings
from tests.functional.assistant.test_assistant_dialogue import (
    JSON,
    OPEN_INSTANT,
    Headers,
    answer,
    ask,
    start,
)

UNSURE = "le code à six chiffres arrive pas"


def test_an_unsure_question_offers_its_candidate_topics_as_buttons(client: Any) -> None:
    conversation_id = start(client)["conversation_id"]

    reply = answer(client, conversation_id, UNSURE)

    assert reply["band"] == "offer"
    assert reply["text"] == "Votre question porte-t-elle sur l'un de ces sujets ?"
    assert reply["topic"] is None and reply["escalation"] is None
    assert 1 <= len(reply["suggestions"]) <= 3
    assert "La double authentification" in reply["suggestions"]


def test_a_click_on_an_offered_topic_answers_it_and_is_kept_as_the_users_choice_not_a_miss(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_INSTANT)
    conversation_id = start(client)["conversation_id"]
    first = answer(client, conversation_id, UNSURE)
    second = answer(client, conversation_id, UNSURE)  # two offers: still no escalation
    label = "La double authentification"

    reply = answer(client, conversation_id, label)

    assert label in first["suggestions"] and second["escalation"] is None
    assert reply["band"] == "answer" and reply["understood"]
    assert reply["topic"] == "compte.double_authentification"
    assert reply["escalation"] is None
    insights = client.http.get(
        "/agent/assistant/insights?from=2026-12-04&to=2026-12-04", headers=auth("sophie")
    )
    assert json.loads(insights.body)["not_understood"] == []
    chosen = {
        "question": "le code a six chiffres arrive pas",
        "topic": "compte.double_authentification",
        "title": "Double authentification (second facteur)",
        "count": 1,
    }
    assert json.loads(insights.body)["offer_choices"] == [chosen]
    reports = client.http.get(
        "/agent/reports?from=2026-12-04&to=2026-12-04", headers=auth("sophie")
    )
    assert json.loads(reports.body)["knowledge_gaps"]["offer_choices"] == [chosen]


def decline(client: Any, conversation_id: str, message_id: str) -> Any:
    return client.http.post(
        f"/assistant/conversations/{conversation_id}/messages/{message_id}/none-of-these",
        headers=JSON,
        body="",
    )


def test_none_of_the_offered_topics_is_a_question_not_understood_and_two_offer_a_person(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_INSTANT)
    conversation_id = start(client)["conversation_id"]
    first_offer = answer(client, conversation_id, UNSURE)

    first = decline(client, conversation_id, first_offer["message_id"])
    again = decline(client, conversation_id, first_offer["message_id"])
    second = decline(client, conversation_id, answer(client, conversation_id, UNSURE)["message_id"])

    assert first.status_code == 200, first.body
    assert json.loads(first.body)["band"] == "refuse"
    assert json.loads(first.body)["escalation"] is None
    assert "Reformulez votre question" in json.loads(first.body)["text"]
    assert again.status_code == 409
    assert again.headers["Content-Type"] == "application/problem+json"
    escalation = json.loads(second.body)["escalation"]
    assert escalation["reason"] == "not_understood"
    assert escalation["actions"] == ["livechat", "ticket"]
    assert decline(client, conversation_id, "m99").status_code == 404
    insights = client.http.get(
        "/agent/assistant/insights?from=2026-12-04&to=2026-12-04", headers=auth("sophie")
    )
    assert json.loads(insights.body)["not_understood"] == [
        {"question": "le code a six chiffres arrive pas", "count": 2}
    ]
    transcript = client.http.get(f"/assistant/conversations/{conversation_id}")
    assert [m["text"] for m in json.loads(transcript.body)["messages"]].count(
        "Aucun de ces sujets"
    ) == 2


def test_a_follow_up_stays_on_the_previous_topic_or_moves_to_its_neighbour(client: Any) -> None:
    conversation_id = start(client)["conversation_id"]
    first = answer(client, conversation_id, "Qui doit facturer sur Chorus Pro ?")

    same = answer(client, conversation_id, "et si je suis une collectivité ?")
    neighbour = answer(client, conversation_id, "et pour le code service ?")

    knowledge_base = load_knowledge_base()
    assert first["topic"] == "facture.obligation_chorus_pro"
    assert same["topic"] == "facture.obligation_chorus_pro"
    assert same["text"] == knowledge_base.answer_for(same["topic"], "structure_publique")
    assert neighbour["topic"] == "facture.code_service"


def test_a_support_agent_is_greeted_for_their_work_not_for_their_invoices(
    client: Any, auth: Headers
) -> None:
    sophie = start(client, auth("sophie"))
    marc = start(client, auth("marc"))

    assert "vos factures" not in sophie["messages"][0]["text"]
    assert "base de connaissances" in sophie["messages"][0]["text"]
    assert sophie["suggestions"] == [
        "Mon compte est bloqué",
        "Réinitialiser mon mot de passe",
        "Me rattacher à une structure",
        "Ma facture est rejetée",
    ]
    assert "sollicitations" in marc["messages"][0]["text"]
    assert "Sollicitations reçues" in marc["suggestions"]


def test_mes_tickets_lists_the_callers_own_tickets(client: Any, auth: Headers) -> None:
    conversation_id = start(client, auth("alice"))["conversation_id"]

    reply = answer(client, conversation_id, "mes tickets", auth("alice"))

    assert reply["topic"] == "support.suivi_ticket"
    assert reply["text"].startswith("Vous n'avez aucun ticket pour le moment.")


def test_a_statement_and_a_refund_request_get_their_status_like_invoices(
    client: Any, auth: Headers
) -> None:
    conversation_id = start(client, auth("alice"))["conversation_id"]

    statement = answer(client, conversation_id, "MJ-2026-0001 ?", auth("alice"))
    refund = answer(client, conversation_id, "où en est ma demande TIC-2026-0001", auth("alice"))

    assert statement["topic"] == "facture.statut_ma_facture"
    assert statement["text"].startswith("Mémoire de frais de justice MJ-2026-0001, émis par")
    assert "Tribunal judiciaire de Valbourg" in statement["text"]
    assert refund["text"].startswith("Demande de remboursement TIC TIC-2026-0001, émise par")


def test_not_understood_questions_are_kept_masked_for_90_days(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_INSTANT)
    question = (
        "zorglub jean.dupont@exemple.fr 06 12 34 56 78 siret 123 456 789 00012 "
        "FR76 3000 6000 0112 3456 7890 189 FA-2026-0002"
    )
    answer(client, start(client)["conversation_id"], question)

    insights = client.http.get(
        "/agent/assistant/insights?from=2026-12-04&to=2026-12-04", headers=auth("sophie")
    )

    stored = json.loads(insights.body)["not_understood"][0]["question"]
    assert stored == "zorglub [e-mail] [téléphone] siret [SIRET] [IBAN] [numéro]"
    items = aws.client("dynamodb").scan(TableName=get_settings().conversations_table)["Items"]
    counter = next(item for item in items if item["pk"]["S"].startswith("INSIGHT#"))
    kept = int(counter["expires_at"]["N"]) - int(datetime.fromisoformat(OPEN_INSTANT).timestamp())
    assert kept == INSIGHT_TTL.total_seconds() == 90 * 24 * 3600


def test_anonymous_conversations_and_messages_are_limited_per_address(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock("2026-12-04T10:00:30+01:00")
    conversation_id = start(client)["conversation_id"]
    for _ in range(ANONYMOUS_MESSAGES_PER_MINUTE):
        answer(client, conversation_id, "mot de passe oublié")

    refused = ask(client, conversation_id, "mot de passe oublié")
    signed_in = start(client, auth("alice"))["conversation_id"]
    alice = ask(client, signed_in, "mot de passe oublié", auth("alice"))

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert json.loads(refused.body)["detail"]
    assert alice.status_code == 200
    frozen_clock("2026-12-04T10:01:00+01:00")
    assert ask(client, conversation_id, "mot de passe oublié").status_code == 200


def test_anonymous_conversations_started_per_hour_are_limited(
    client: Any, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock("2026-12-04T10:00:00+01:00")
    for _ in range(ANONYMOUS_CONVERSATIONS_PER_HOUR):
        start(client)

    refused = client.http.post("/assistant/conversations", headers=JSON, body="")

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3600"
