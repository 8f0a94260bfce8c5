"""The dialogue with ClaudIA through the HTTP API (Chalice test client + moto).

Conversations, answers and suggestions, escalation (not understood, negative rating, asked),
answers from the caller's own data, ownership, validation and the AWS call budget.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from chalicelib.assistant.knowledge import load_knowledge_base
from chalicelib.endpoints import wiring

JSON = {"Content-Type": "application/json"}
Headers = Callable[[str], dict[str, str]]
# Friday 4 December 2026 in Paris: the LiveChat is open at 10:00, closed at 22:00.
OPEN_INSTANT = "2026-12-04T10:00:00+01:00"
NIGHT_INSTANT = "2026-12-04T22:00:00+01:00"
GIBBERISH = ("zorglub blorp quantique", "flurbo grimbli wazaa")


def start(client: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.http.post("/assistant/conversations", headers=headers or JSON, body="")
    assert response.status_code == 201, response.body
    body: dict[str, Any] = json.loads(response.body)
    return body


def ask(client: Any, conversation_id: str, text: str, headers: dict[str, str] | None = None) -> Any:
    return client.http.post(
        f"/assistant/conversations/{conversation_id}/messages",
        headers=headers or JSON,
        body=json.dumps({"text": text}),
    )


def answer(
    client: Any, conversation_id: str, text: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = ask(client, conversation_id, text, headers)
    assert response.status_code == 200, response.body
    body: dict[str, Any] = json.loads(response.body)
    return body


def rate(
    client: Any,
    conversation_id: str,
    message_id: str,
    value: str,
    headers: dict[str, str] | None = None,
) -> Any:
    return client.http.put(
        f"/assistant/conversations/{conversation_id}/messages/{message_id}/rating",
        headers=headers or JSON,
        body=json.dumps({"value": value}),
    )


# --- conversations and answers --------------------------------------------------------------


def test_a_new_conversation_greets_as_claudia_with_the_profiles_suggestions(
    client: Any, auth: Headers
) -> None:
    anonymous = start(client)
    alice = start(client, auth("alice"))

    assert len(anonymous["conversation_id"]) == 22  # 128 random bits, URL-safe
    assert anonymous["conversation_id"] != alice["conversation_id"]
    [greeting] = anonymous["messages"]
    assert greeting["author"] == "assistant" and greeting["message_id"]
    assert "ClaudIA" in greeting["text"] and "Connectez-vous" in greeting["text"]
    assert "Alice Martin" in alice["messages"][0]["text"]
    assert "Créer un compte" in anonymous["suggestions"]
    assert "Le statut d'une de mes factures" in alice["suggestions"]
    assert anonymous["suggestions"] != alice["suggestions"]


def test_a_good_answer_names_its_topic_and_suggests_related_topics(client: Any) -> None:
    conversation = start(client)

    reply = answer(client, conversation["conversation_id"], "j'ai oublié mon mot de passe")

    assert reply["topic"] == "compte.mot_de_passe_oublie"
    assert reply["understood"] is True
    assert reply["text"].startswith(
        "Sur la page de connexion, cliquez sur « Mot de passe oublié » : un lien de "
        "réinitialisation est envoyé à votre adresse"
    )
    assert reply["suggestions"] == ["Mon compte est bloqué", "Changer mon adresse e-mail"]
    assert reply["escalation"] is None
    assert reply["message_id"] not in ("m1", "")


def test_the_answer_variant_follows_the_profile(client: Any, auth: Headers) -> None:
    anonymous = start(client)

    reply = answer(client, anonymous["conversation_id"], "statut de ma facture FA-2026-0002")

    assert reply["topic"] == "facture.statut_ma_facture"
    assert reply["text"].startswith(
        "Pour connaître le statut d'une facture, connectez-vous d'abord : je n'ai accès à "
        "aucune donnée de facture hors connexion."
    )
    assert "Rejetée" not in reply["text"]


def test_a_clicked_suggestion_is_answered_with_its_topic(client: Any) -> None:
    conversation = start(client)

    reply = answer(client, conversation["conversation_id"], conversation["suggestions"][0])

    assert reply["understood"] is True
    assert reply["topic"] == "compte.creation"


# --- escalation -----------------------------------------------------------------------------


def test_two_not_understood_answers_offer_the_livechat_when_it_is_open(
    client: Any, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock(OPEN_INSTANT)
    conversation_id = start(client)["conversation_id"]

    first = answer(client, conversation_id, GIBBERISH[0])
    second = answer(client, conversation_id, GIBBERISH[1])

    assert first["understood"] is False and first["topic"] is None
    assert first["escalation"] is None
    assert first["suggestions"] == [
        "Créer un compte",
        "Réinitialiser mon mot de passe",
        "Créer ma structure",
        "Qui doit utiliser Chorus Pro ?",
    ]
    assert second["understood"] is False
    assert second["escalation"] == {
        "reason": "not_understood",
        "livechat": {"open": True, "next_opening": None},
        "actions": ["livechat", "ticket"],
        "ticket_draft": f"/assistant/conversations/{conversation_id}/ticket-draft",
    }
    assert "LiveChat" in second["text"]


def test_two_not_understood_answers_offer_only_a_ticket_at_night(
    client: Any, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock(NIGHT_INSTANT)
    conversation_id = start(client)["conversation_id"]

    answer(client, conversation_id, GIBBERISH[0])
    second = answer(client, conversation_id, GIBBERISH[1])

    assert second["escalation"]["reason"] == "not_understood"
    assert second["escalation"]["livechat"] == {
        "open": False,
        "next_opening": "2026-12-07T08:30:00+01:00",
    }
    assert second["escalation"]["actions"] == ["ticket"]
    assert "07/12/2026 à 08h30" in second["text"]


def test_not_understood_answers_count_even_when_not_consecutive(
    client: Any, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock(OPEN_INSTANT)
    conversation_id = start(client)["conversation_id"]

    answer(client, conversation_id, GIBBERISH[0])
    understood = answer(client, conversation_id, "mot de passe oublié")
    second = answer(client, conversation_id, GIBBERISH[1])

    assert understood["escalation"] is None
    assert second["escalation"]["reason"] == "not_understood"


def test_a_negative_rating_offers_a_person_and_a_positive_one_does_not(
    client: Any, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock(NIGHT_INSTANT)
    conversation_id = start(client)["conversation_id"]
    reply = answer(client, conversation_id, "mot de passe oublié")

    up = rate(client, conversation_id, reply["message_id"], "up")
    down = rate(client, conversation_id, reply["message_id"], "down")

    assert up.status_code == 200
    assert json.loads(up.body)["escalation"] is None
    assert down.status_code == 200
    escalation = json.loads(down.body)["escalation"]
    assert escalation["reason"] == "negative_rating"
    assert escalation["actions"] == ["ticket"]
    assert escalation["livechat"]["next_opening"] == "2026-12-07T08:30:00+01:00"


def test_rating_a_question_or_an_unknown_message_is_404(client: Any) -> None:
    conversation_id = start(client)["conversation_id"]
    reply = answer(client, conversation_id, "mot de passe oublié")
    question_id = f"m{int(reply['message_id'][1:]) - 1}"

    assert rate(client, conversation_id, question_id, "down").status_code == 404
    assert rate(client, conversation_id, "m99", "down").status_code == 404
    assert rate(client, conversation_id, reply["message_id"], "bof").status_code == 422


def test_asking_for_a_person_escalates_at_once(
    client: Any, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock(OPEN_INSTANT)
    conversation_id = start(client)["conversation_id"]

    reply = answer(client, conversation_id, "je veux parler à un conseiller")

    assert reply["escalation"]["reason"] == "asked"
    assert reply["escalation"]["actions"] == ["livechat", "ticket"]


# --- the caller's own data ------------------------------------------------------------------


def submit_ticket(client: Any, headers: dict[str, str], organisation_id: str, title: str) -> str:
    """A real support ticket through POST /tickets; returns its reference."""
    response = client.http.post(
        "/tickets",
        body=json.dumps(
            {
                "organisation_id": organisation_id,
                "category": "CONNEXION",
                "subcategory": "S02",
                "title": title,
                "description": "Je n'arrive plus à me connecter depuis ce matin.",
            }
        ),
        headers=headers,
    )
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["reference"])


def test_alice_gets_her_latest_tickets_with_status_and_date(
    client: Any, auth: Headers, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock("2026-11-02T09:00:00+01:00")
    older = submit_ticket(client, auth("alice"), "org-boulangerie-martin", "Connexion refusée")
    frozen_clock("2026-11-21T16:40:00+01:00")
    newer = submit_ticket(client, auth("alice"), "org-martin-conseil", "Mot de passe perdu")
    claires = submit_ticket(client, auth("claire"), "org-atelier-dupont", "Ticket de Claire")
    conversation_id = start(client, auth("alice"))["conversation_id"]

    reply = answer(client, conversation_id, "où en sont mes tickets ?", auth("alice"))

    assert reply["topic"] == "support.suivi_ticket"
    text = reply["text"]
    assert older in text and newer in text
    assert text.index(newer) < text.index(older)  # newest first
    assert "21/11/2026 à 16h40" in text
    assert claires not in text


def test_an_anonymous_caller_is_invited_to_log_in_for_their_tickets(client: Any) -> None:
    conversation_id = start(client)["conversation_id"]

    reply = answer(client, conversation_id, "où en sont mes tickets ?")

    assert reply["topic"] == "support.suivi_ticket"
    assert "connectez-vous" in reply["text"].lower()


def test_alice_gets_her_rejected_invoices_status_and_the_recipients_comment(
    client: Any, auth: Headers
) -> None:
    conversation_id = start(client, auth("alice"))["conversation_id"]

    reply = answer(client, conversation_id, "Où en est ma facture FA-2026-0002 ?", auth("alice"))

    assert reply["topic"] == "facture.statut_ma_facture"
    text = reply["text"]
    assert "FA-2026-0002" in text
    assert "Mairie de Valbourg" in text
    assert "« Rejetée »" in text
    assert "20/10/2026 à 14h02" in text
    assert "numéro d'engagement juridique est absent" in text


@pytest.mark.parametrize(
    ("user", "asked", "found"),
    [
        ("alice", "où en est ma facture fa-2026-0002 ?", "FA-2026-0002"),
        ("bruno", "statut de la facture Fc-2026-0001", "FC-2026-0001, émise par Atelier Dupont"),
    ],
)
def test_an_invoice_number_typed_in_lower_case_is_the_same_invoice(
    client: Any, auth: Headers, user: str, asked: str, found: str
) -> None:
    conversation_id = start(client, auth(user))["conversation_id"]

    reply = answer(client, conversation_id, asked, auth(user))

    assert reply["topic"] == "facture.statut_ma_facture"
    assert found in reply["text"]
    assert "Je ne trouve aucune facture" not in reply["text"]


def test_another_organisations_invoice_is_answered_as_if_it_did_not_exist(
    client: Any, auth: Headers
) -> None:
    conversation_id = start(client, auth("alice"))["conversation_id"]

    claires = answer(client, conversation_id, "statut de ma facture FC-2026-0001", auth("alice"))
    unknown = answer(client, conversation_id, "statut de ma facture FC-2026-0009", auth("alice"))

    assert "Atelier Dupont" not in claires["text"]
    assert "Mise à disposition" not in claires["text"]
    assert claires["text"].replace("FC-2026-0001", "N") == unknown["text"].replace(
        "FC-2026-0009", "N"
    )


@pytest.mark.parametrize("user", ["bruno", "marc"])
def test_a_public_body_gets_the_status_of_an_invoice_it_received_and_its_own_comment(
    client: Any, auth: Headers, user: str
) -> None:
    conversation_id = start(client, auth(user))["conversation_id"]

    reply = answer(client, conversation_id, "Où en est la facture FA-2026-0002 ?", auth(user))

    assert reply["topic"] == "facture.statut_ma_facture"
    text = reply["text"]
    assert "FA-2026-0002, émise par Boulangerie Martin SARL" in text
    assert "« Rejetée »" in text
    assert "20/10/2026 à 14h02" in text
    assert "Commentaire de votre structure" in text
    assert "numéro d'engagement juridique est absent" in text
    assert "Je ne trouve aucune facture" not in text


def test_a_public_body_gets_several_received_invoices_from_different_emitters(
    client: Any, auth: Headers
) -> None:
    conversation_id = start(client, auth("bruno"))["conversation_id"]

    reply = answer(
        client, conversation_id, "statut des factures FA-2026-0003 et FC-2026-0001", auth("bruno")
    )

    assert "FA-2026-0003, émise par Boulangerie Martin SARL" in reply["text"]
    assert "« Suspendue »" in reply["text"]
    assert "FC-2026-0001, émise par Atelier Dupont" in reply["text"]
    assert "Je ne trouve aucune facture" not in reply["text"]


def add_hospital_user() -> None:
    """A public body's user of another organisation than the demo invoices' recipient."""
    from chalicelib.directory import User
    from infra.demo import HOPITAL

    wiring.directory().put_user(
        User(
            user_id="helene",
            email="helene.roux@ch-valbourg.example.fr",
            name="Hélène Roux",
            profile="structure_publique",
        ),
        [HOPITAL],
    )


def test_another_public_bodys_invoice_is_answered_as_if_it_did_not_exist(
    client: Any, auth: Headers
) -> None:
    add_hospital_user()
    conversation_id = start(client, auth("helene"))["conversation_id"]

    mairies = answer(client, conversation_id, "statut de la facture FA-2026-0002", auth("helene"))
    unknown = answer(client, conversation_id, "statut de la facture FA-2026-0009", auth("helene"))

    assert "Rejetée" not in mairies["text"]
    assert "Boulangerie" not in mairies["text"]
    assert "Je ne trouve aucune facture n° FA-2026-0002" in mairies["text"]
    assert "factures reçues par vos structures" in mairies["text"]
    assert mairies["text"].replace("FA-2026-0002", "N") == unknown["text"].replace(
        "FA-2026-0009", "N"
    )


def test_a_public_body_does_not_see_invoices_it_issued_as_received(
    client: Any, auth: Headers
) -> None:
    # MJ-2026-0001 was issued by alice's Martin Conseil to the court, not to the town hall.
    conversation_id = start(client, auth("bruno"))["conversation_id"]

    reply = answer(client, conversation_id, "statut de la facture MJ-2026-0001", auth("bruno"))

    assert "Je ne trouve aucun objet n° MJ-2026-0001" in reply["text"]


def test_an_invoice_number_asked_for_is_answered_on_the_next_turn(
    client: Any, auth: Headers
) -> None:
    conversation_id = start(client, auth("alice"))["conversation_id"]

    question = answer(client, conversation_id, "où en est ma facture ?", auth("alice"))
    follow_up = answer(client, conversation_id, "c'est la FA-2026-0003", auth("alice"))

    assert question["topic"] == "facture.statut_ma_facture"
    assert "numéro exact" in question["text"]
    assert follow_up["topic"] == "facture.statut_ma_facture"
    assert "« Suspendue »" in follow_up["text"]
    assert "bon de livraison" in follow_up["text"]


# --- ownership, validation, transcript ------------------------------------------------------


def test_a_users_conversation_is_theirs_alone(client: Any, auth: Headers) -> None:
    conversation_id = start(client, auth("alice"))["conversation_id"]
    path = f"/assistant/conversations/{conversation_id}"

    assert client.http.get(path, headers=auth("alice")).status_code == 200
    assert client.http.get(path, headers=auth("claire")).status_code == 404
    assert client.http.get(path, headers=JSON).status_code == 404
    assert ask(client, conversation_id, "mot de passe oublié", auth("claire")).status_code == 404
    assert ask(client, conversation_id, "mot de passe oublié").status_code == 404
    assert rate(client, conversation_id, "m1", "down", auth("claire")).status_code == 404
    assert client.http.get(f"{path}/ticket-draft", headers=auth("claire")).status_code == 404


def test_an_anonymous_conversation_is_reachable_by_its_id_only(client: Any) -> None:
    conversation_id = start(client)["conversation_id"]

    assert client.http.get(f"/assistant/conversations/{conversation_id}").status_code == 200
    assert client.http.get("/assistant/conversations/" + "A" * 22).status_code == 404
    assert client.http.get("/assistant/conversations/not-an-id").status_code == 404


@pytest.mark.parametrize(("text", "status"), [("", 422), ("   ", 422), ("x" * 1001, 422)])
def test_empty_or_too_long_messages_are_refused(client: Any, text: str, status: int) -> None:
    conversation_id = start(client)["conversation_id"]

    response = ask(client, conversation_id, text)

    assert response.status_code == status
    assert json.loads(response.body)["errors"][0]["field"] == "text"


def test_a_message_of_exactly_1000_characters_is_accepted(client: Any) -> None:
    conversation_id = start(client)["conversation_id"]

    assert ask(client, conversation_id, "mot de passe " + "x" * 987).status_code == 200


def test_the_transcript_lists_every_turn_with_its_rating(client: Any) -> None:
    conversation_id = start(client)["conversation_id"]
    reply = answer(client, conversation_id, "mot de passe oublié")
    rate(client, conversation_id, reply["message_id"], "up")

    body = json.loads(client.http.get(f"/assistant/conversations/{conversation_id}").body)

    assert body["conversation_id"] == conversation_id
    assert [m["author"] for m in body["messages"]] == ["assistant", "user", "assistant"]
    assert body["messages"][1]["text"] == "mot de passe oublié"
    assert body["messages"][2]["topic"] == "compte.mot_de_passe_oublie"
    assert body["messages"][2]["rating"] == "up"


def test_a_conversation_is_gone_after_30_days(
    client: Any, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock("2026-11-01T10:00:00+01:00")
    conversation_id = start(client)["conversation_id"]
    path = f"/assistant/conversations/{conversation_id}"
    frozen_clock("2026-11-30T10:00:00+01:00")
    still_there = client.http.get(path).status_code

    frozen_clock("2026-12-01T10:00:01+01:00")

    assert still_there == 200
    assert client.http.get(path).status_code == 404


# --- ticket draft ---------------------------------------------------------------------------


def test_the_ticket_draft_takes_the_last_topics_category_and_the_transcript(
    client: Any, auth: Headers
) -> None:
    conversation_id = start(client, auth("alice"))["conversation_id"]
    answer(client, conversation_id, "Où en est ma facture FA-2026-0002 ?", auth("alice"))
    answer(client, conversation_id, GIBBERISH[0], auth("alice"))

    response = client.http.get(
        f"/assistant/conversations/{conversation_id}/ticket-draft", headers=auth("alice")
    )

    assert response.status_code == 200
    draft = json.loads(response.body)
    assert (draft["category"], draft["subcategory"]) == ("FACTURE", "M20")
    assert draft["object_number"] == "FA-2026-0002"
    assert draft["title"] == GIBBERISH[0]
    assert "Vous : Où en est ma facture FA-2026-0002 ?" in draft["description"]
    assert "ClaudIA : " in draft["description"]
    assert len(draft["description"]) <= 10_000


def test_the_ticket_draft_defaults_to_another_question(client: Any) -> None:
    conversation_id = start(client)["conversation_id"]
    answer(client, conversation_id, GIBBERISH[0])

    draft = json.loads(
        client.http.get(f"/assistant/conversations/{conversation_id}/ticket-draft").body
    )

    assert (draft["category"], draft["subcategory"]) == ("AUTRE", "S90")


# --- insights -------------------------------------------------------------------------------


def test_support_agents_see_frequent_not_understood_questions_and_down_rated_topics(
    client: Any, auth: Headers, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock(OPEN_INSTANT)
    for _ in range(2):
        answer(client, start(client)["conversation_id"], "Zorglub  blorp quantique ?")
    answer(client, start(client)["conversation_id"], GIBBERISH[1])
    conversation_id = start(client)["conversation_id"]
    reply = answer(client, conversation_id, "mot de passe oublié")
    rate(client, conversation_id, reply["message_id"], "down")

    response = client.http.get(
        "/agent/assistant/insights?from=2026-12-01&to=2026-12-04", headers=auth("sophie")
    )

    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["not_understood"][0] == {"question": "zorglub blorp quantique ?", "count": 2}
    assert body["not_understood"][1]["count"] == 1
    assert body["negative_ratings"] == [
        {
            "topic": "compte.mot_de_passe_oublie",
            "up": 0,
            "down": 1,
            "title": load_knowledge_base().topic("compte.mot_de_passe_oublie").title,
        }
    ]


def test_insights_are_for_support_agents_over_31_days_at_most(client: Any, auth: Headers) -> None:
    too_long = client.http.get(
        "/agent/assistant/insights?from=2026-01-01&to=2026-03-01", headers=auth("sophie")
    )
    not_an_agent = client.http.get("/agent/assistant/insights", headers=auth("alice"))

    assert too_long.status_code == 422
    assert not_an_agent.status_code == 403


# --- cost -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "question"),
    [
        (None, "mot de passe oublié"),
        (None, GIBBERISH[0]),
        ("alice", "Où en est ma facture FA-2026-0002 ?"),
        ("bruno", "Où en est la facture FA-2026-0002 ?"),
        ("marc", "statut des factures FA-2026-0001, FA-2026-0003 et FC-2026-0001"),
        ("alice", "où en sont mes tickets ?"),
        ("alice", "je veux parler à un conseiller"),
    ],
)
def test_a_message_costs_at_most_three_aws_calls(
    client: Any, auth: Headers, aws_calls: Any, user: str | None, question: str
) -> None:
    headers = auth(user) if user else JSON
    conversation_id = start(client, headers)["conversation_id"]
    aws_calls.reset()

    reply = answer(client, conversation_id, question, headers)

    assert aws_calls.total <= 3, aws_calls.calls
    assert aws_calls.count("Scan") == 0
    aws_calls.reset()
    rate(client, conversation_id, reply["message_id"], "down", headers)
    assert aws_calls.total <= 2, aws_calls.calls


def test_the_engine_is_built_once_per_process(client: Any) -> None:
    from chalicelib.assistant import index

    conversation_id = start(client)["conversation_id"]
    answer(client, conversation_id, "mot de passe oublié")
    built = index.get_index.cache_info().misses

    answer(client, conversation_id, "compte bloqué")
    answer(client, conversation_id, "déposer une facture")

    assert built == 1
    assert index.get_index.cache_info().misses == 1


# --- store guarantees -----------------------------------------------------------------------


def test_an_organisation_left_since_the_conversation_started_no_longer_shows_its_invoices(
    client: Any, auth: Headers
) -> None:
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings

    conversation_id = start(client, auth("alice"))["conversation_id"]
    aws.table(get_settings().directory_table).delete_item(
        Key={"pk": "USER#alice", "sk": "ORG#org-boulangerie-martin"}
    )

    reply = answer(client, conversation_id, "statut de ma facture FA-2026-0002", auth("alice"))

    assert "Rejetée" not in reply["text"]
    assert "Je ne trouve aucune facture n° FA-2026-0002" in reply["text"]


def test_a_public_body_left_since_the_conversation_started_no_longer_shows_its_invoices(
    client: Any, auth: Headers
) -> None:
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings

    conversation_id = start(client, auth("bruno"))["conversation_id"]
    aws.table(get_settings().directory_table).delete_item(
        Key={"pk": "USER#bruno", "sk": "ORG#org-mairie-valbourg"}
    )

    reply = answer(client, conversation_id, "statut de la facture FA-2026-0002", auth("bruno"))

    assert "Rejetée" not in reply["text"]
    assert "Je ne trouve aucune facture n° FA-2026-0002" in reply["text"]


def test_a_conversation_written_by_someone_else_meanwhile_is_a_conflict(
    aws_env: dict[str, str],
) -> None:
    from datetime import UTC, datetime

    from chalicelib.assistant.records import Conversation, not_understood_counter
    from chalicelib.endpoints.wiring import conversation_store
    from chalicelib.shared.errors import ConflictError

    store = conversation_store()
    now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    store.create(Conversation(conversation_id="c" * 22, owner=None, created_at=now, updated_at=now))
    first = store.get("c" * 22, now)
    second = store.get("c" * 22, now)
    assert first is not None and second is not None
    store.save(first)

    with pytest.raises(ConflictError):
        store.save(second)
    with pytest.raises(ConflictError):
        store.save(second, not_understood_counter("question", now))
