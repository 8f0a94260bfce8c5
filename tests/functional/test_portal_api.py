"""What the portal needs of the API: CORS for its origin, the recipient of an object
before submitting, and the answers suggested while a ticket's description is typed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.assistant.suggestions import AddressLimiter
from chalicelib.shared.config import portal_origin
from chalicelib.shared.errors import TooManyRequestsError
from tests.conftest import AwsCalls

Headers = Callable[[str], dict[str, str]]


# --- CORS -----------------------------------------------------------------------------------


def test_api_responses_allow_the_portals_origin_only(client: Any) -> None:
    response = client.http.get("/livechat/categories", headers={"Origin": portal_origin()})

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == portal_origin()
    assert response.headers["Access-Control-Allow-Origin"] != "*"


def test_problem_responses_carry_cors_headers_too(client: Any) -> None:
    response = client.http.get("/me", headers={"Origin": portal_origin()})

    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == portal_origin()


def test_the_headers_the_portal_sends_are_allowed(client: Any) -> None:
    response = client.http.get("/health")

    allowed = {
        name.strip().lower() for name in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert {
        "authorization",
        "content-type",
        "idempotency-key",
        "x-session-token",
        "x-upload-token",
    } <= allowed


# --- the recipient of an object ---------------------------------------------------------------


@pytest.mark.parametrize("number", ["FA-2026-0002", "fa-2026-0002", " Fa-2026-0002 "])
def test_an_object_issued_by_the_callers_organisation_names_its_recipient(
    client: Any, auth: Headers, number: str
) -> None:
    response = client.http.get(f"/tickets/objects/{quote(number)}", headers=auth("alice"))

    assert response.status_code == 200
    assert json.loads(response.body) == {
        "object_number": "FA-2026-0002",
        "kind": "invoice",
        "emitter_organisation_id": "org-boulangerie-martin",
        "recipient": {
            "organisation_id": "org-mairie-valbourg",
            "designation": "Mairie de Valbourg",
        },
    }


def test_another_companys_object_is_404_like_an_unknown_one(client: Any, auth: Headers) -> None:
    other = client.http.get("/tickets/objects/FC-2026-0001", headers=auth("alice"))
    unknown = client.http.get("/tickets/objects/FA-1999-9999", headers=auth("alice"))

    assert other.status_code == unknown.status_code == 404
    assert json.loads(other.body)["detail"] == json.loads(unknown.body)["detail"]


def test_a_public_bodys_agent_may_cite_an_object_its_organisation_received(
    client: Any, auth: Headers
) -> None:
    response = client.http.get("/tickets/objects/FC-2026-0001", headers=auth("marc"))

    assert response.status_code == 200
    assert json.loads(response.body)["recipient"]["designation"] == "Mairie de Valbourg"


def test_looking_up_an_object_needs_a_token(client: Any) -> None:
    assert client.http.get("/tickets/objects/FA-2026-0002").status_code == 401


# --- suggestions while typing, and deflections --------------------------------------------------


def test_suggestions_answer_a_described_problem_without_any_aws_call(
    client: Any, aws_calls: AwsCalls
) -> None:
    aws_calls.reset()

    response = client.http.get(
        "/assistant/suggestions?q="
        + quote("ma facture a été rejetée par le destinataire")
        + "&profile=fournisseur"
    )

    assert response.status_code == 200
    answers = json.loads(response.body)
    assert 1 <= len(answers) <= 3
    assert answers[0]["topic"] == "facture.rejetee"
    assert set(answers[0]) == {"topic", "title", "answer"}
    assert aws_calls.total == 0, aws_calls.calls


def test_a_text_about_nothing_known_gets_no_suggestion(client: Any) -> None:
    response = client.http.get("/assistant/suggestions?q=" + quote("bonjour"))

    assert response.status_code == 200
    assert json.loads(response.body) == []


@pytest.mark.parametrize(
    "text", ["mon compte Netflix est bloqué", "mon compte Amazon est verrouillé, je fais quoi ?"]
)
def test_a_text_about_another_site_gets_no_suggestion(client: Any, text: str) -> None:
    response = client.http.get("/assistant/suggestions?q=" + quote(text))

    assert response.status_code == 200
    assert json.loads(response.body) == []


def test_the_same_text_about_the_portal_gets_its_suggestion(client: Any) -> None:
    response = client.http.get(
        "/assistant/suggestions?q=" + quote("mon compte Chorus Pro est bloqué")
    )

    assert response.status_code == 200
    assert json.loads(response.body)[0]["topic"] == "compte.compte_bloque"


@pytest.mark.parametrize("query", ["q=", "q=facture&profile=martien", ""])
def test_suggestions_refuse_an_empty_text_or_an_unknown_profile(client: Any, query: str) -> None:
    response = client.http.get(f"/assistant/suggestions?{query}")

    assert response.status_code == 422


def test_the_address_limiter_refuses_past_its_limit_then_opens_the_next_minute() -> None:
    limiter = AddressLimiter(limit=2)

    limiter.hit("203.0.113.9", now=120.0)
    limiter.hit("203.0.113.9", now=121.0)
    limiter.hit("198.51.100.7", now=121.0)
    with pytest.raises(TooManyRequestsError) as refused:
        limiter.hit("203.0.113.9", now=130.0)
    limiter.hit("203.0.113.9", now=180.0)

    assert refused.value.headers["Retry-After"] == "50"


def test_a_deflection_is_counted_in_the_assistants_insights(client: Any, auth: Headers) -> None:
    body = json.dumps({"topic": "facture.rejetee", "source": "ticket_form"})
    for _ in range(2):
        counted = client.http.post(
            "/assistant/suggestions/deflections",
            body=body,
            headers={"Content-Type": "application/json"},
        )
        assert counted.status_code == 200

    insights = json.loads(client.http.get("/agent/assistant/insights", headers=auth("sophie")).body)

    assert insights["deflections"] == [{"topic": "facture.rejetee", "count": 2}]


def test_a_deflection_of_an_unknown_topic_is_refused(client: Any) -> None:
    response = client.http.post(
        "/assistant/suggestions/deflections",
        body=json.dumps({"topic": "rien.du_tout"}),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert json.loads(response.body)["errors"][0]["field"] == "topic"
