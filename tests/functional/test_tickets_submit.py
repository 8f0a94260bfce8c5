"""Submitting tickets: the catalogue, every check of POST /tickets, idempotency, AWS call budget."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.functional.tickets_support import (
    M20_BODY,
    SUPPORT_BODY,
    errors_of,
    submit,
)

Auth = Callable[[str], dict[str, str]]
CONFIRMATION = (
    "Votre ticket a bien été envoyé et sera traité dans les meilleurs délais par le destinataire."
)


def test_catalogue_is_anonymous_and_says_what_each_subcategory_decides(client: Any) -> None:
    response = client.http.get("/tickets/catalogue")

    assert response.status_code == 200
    categories = {c["code"]: c for c in json.loads(response.body)}
    facture = {s["code"]: s for s in categories["FACTURE"]["subcategories"]}
    assert facture["M20"] == {
        "code": "M20",
        "label": "Suivi du traitement d'une facture",
        "recipient": "business",
        "object_number": "required",
        "connected_only": True,
    }
    assert facture["S20"]["recipient"] == "support"
    assert facture["S20"]["object_number"] == "optional"
    connexion = {s["code"]: s for s in categories["CONNEXION"]["subcategories"]}
    assert connexion["S02"]["connected_only"] is False
    assert "object_kind" not in categories["FACTURE"]


def test_m20_ticket_about_an_invoice_goes_to_the_invoice_recipient(
    client: Any, auth: Auth, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock("2026-12-04T18:29:00+01:00")

    response = submit(client, auth("alice"))

    assert response.status_code == 201
    body = json.loads(response.body)
    assert re.fullmatch(r"T-2026-\d{6}", body["reference"])
    assert body["status"] == "submitted"
    assert body["recipient"] == {
        "type": "business",
        "organisation_id": "org-mairie-valbourg",
        "designation": "Mairie de Valbourg",
    }
    assert body["message"] == CONFIRMATION


def test_an_object_number_typed_in_lower_case_finds_its_recipient(client: Any, auth: Auth) -> None:
    response = submit(client, auth("alice"), {"object_number": "fa-2026-0002"})

    assert response.status_code == 201, response.body
    assert json.loads(response.body)["recipient"]["designation"] == "Mairie de Valbourg"
    ticket_id = json.loads(response.body)["ticket_id"]
    ticket = json.loads(client.http.get(f"/tickets/{ticket_id}", headers=auth("alice")).body)
    assert ticket["object_number"] == "FA-2026-0002"


def test_references_are_unique_and_increasing(client: Any, auth: Auth) -> None:
    references = [
        json.loads(submit(client, auth("alice"), {"title": f"Question {n}"}).body)["reference"]
        for n in range(3)
    ]

    assert references == sorted(references)
    assert len(set(references)) == 3
    assert references[0].endswith("000001")


def test_reference_year_follows_paris_time(
    client: Any, auth: Auth, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock("2026-12-31T23:30:00+00:00")  # already 2027 in Paris

    body = json.loads(submit(client, auth("alice")).body)

    assert body["reference"] == "T-2027-000001"


def test_support_ticket_gets_the_tool_support_as_recipient(client: Any, auth: Auth) -> None:
    response = submit(client, auth("alice"), base=SUPPORT_BODY)

    assert response.status_code == 201
    assert json.loads(response.body)["recipient"] == {
        "type": "support",
        "organisation_id": None,
        "designation": "Support Chorus Pro",
    }


def test_general_question_goes_to_the_named_public_body(client: Any, auth: Auth) -> None:
    response = submit(
        client,
        auth("alice"),
        {
            "subcategory": "M23",
            "object_number": None,
            "recipient_organisation_id": "org-ch-valbourg",
        },
    )

    assert response.status_code == 201
    assert json.loads(response.body)["recipient"]["designation"] == "Centre hospitalier de Valbourg"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "NOPE"}, "category"),
        ({"subcategory": "S02"}, "subcategory"),  # exists, but not under FACTURE
        ({"subcategory": "M99"}, "subcategory"),
        ({"title": "abcd"}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"description": "trop court"[:9]}, "description"),
        ({"description": "x" * 10_001}, "description"),
        ({"contact_email": "alice-at-example"}, "contact_email"),
        ({"object_number": None}, "object_number"),  # M20 requires it
        ({"object_number": "FA-2099-9999"}, "object_number"),  # no such invoice
        ({"object_number": "FC-2026-0001"}, "object_number"),  # claire's invoice
        ({"attachment_ids": ["att-1"]}, "attachment_ids.0"),  # no such upload
        ({"recipient_organisation_id": "org-ch-valbourg"}, "recipient_organisation_id"),
        ({"unexpected": 1}, "unexpected"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_invalid_submission_is_422_naming_the_field(
    client: Any, auth: Auth, overrides: dict[str, Any], field: str
) -> None:
    response = submit(client, auth("alice"), overrides)

    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in errors_of(response)


def test_object_number_is_refused_where_not_asked(client: Any, auth: Auth) -> None:
    response = submit(client, auth("alice"), {"object_number": "FA-2026-0001"}, base=SUPPORT_BODY)

    assert response.status_code == 422
    assert errors_of(response) == ["object_number"]


def test_object_of_another_kind_than_the_category_is_refused(client: Any, auth: Auth) -> None:
    # MJ-2026-0001 is a court-fee statement of Martin Conseil, not an invoice.
    response = submit(
        client,
        auth("alice"),
        {"organisation_id": "org-martin-conseil", "object_number": "MJ-2026-0001"},
    )

    assert response.status_code == 422
    assert errors_of(response) == ["object_number"]


def test_statement_ticket_goes_to_the_court(client: Any, auth: Auth) -> None:
    response = submit(
        client,
        auth("alice"),
        {
            "organisation_id": "org-martin-conseil",
            "category": "MEMOIRE",
            "subcategory": "M30",
            "object_number": "MJ-2026-0001",
        },
    )

    assert response.status_code == 201
    assert json.loads(response.body)["recipient"]["organisation_id"] == "org-tj-valbourg"


@pytest.mark.parametrize(
    "recipient", [None, "org-atelier-dupont", "org-unknown"], ids=["missing", "supplier", "unknown"]
)
def test_business_ticket_without_object_needs_a_public_recipient(
    client: Any, auth: Auth, recipient: str | None
) -> None:
    response = submit(
        client,
        auth("alice"),
        {"subcategory": "M23", "object_number": None, "recipient_organisation_id": recipient},
    )

    assert response.status_code == 422
    assert errors_of(response) == ["recipient_organisation_id"]


def test_support_ticket_naming_a_recipient_is_refused(client: Any, auth: Auth) -> None:
    response = submit(
        client, auth("alice"), {"recipient_organisation_id": "org-mairie-valbourg"}, SUPPORT_BODY
    )

    assert response.status_code == 422
    assert errors_of(response) == ["recipient_organisation_id"]


def test_emitter_organisation_must_be_one_of_the_users(client: Any, auth: Auth) -> None:
    response = submit(client, auth("claire"))  # alice's company

    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/problem+json"


def test_submitting_needs_a_token(client: Any) -> None:
    response = client.http.post(
        "/tickets", body=json.dumps(M20_BODY), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 401


def test_contact_email_defaults_to_the_users(client: Any, auth: Auth) -> None:
    ticket_id = json.loads(submit(client, auth("alice")).body)["ticket_id"]

    ticket = json.loads(client.http.get(f"/tickets/{ticket_id}", headers=auth("alice")).body)

    assert ticket["contact_email"] == "alice.martin@boulangerie-martin.example.fr"
    assert ticket["organisation"] == {
        "id": "org-boulangerie-martin",
        "designation": "Boulangerie Martin SARL",
    }


def test_same_idempotency_key_and_body_returns_the_first_response(client: Any, auth: Auth) -> None:
    headers = {**auth("alice"), "Idempotency-Key": "form-42"}

    first = submit(client, headers)
    second = submit(client, headers)

    assert first.status_code == second.status_code == 201
    assert json.loads(first.body) == json.loads(second.body)
    listed = json.loads(client.http.get("/tickets", headers=auth("alice")).body)
    assert len(listed["items"]) == 1


def test_same_idempotency_key_with_another_body_is_422(client: Any, auth: Auth) -> None:
    headers = {**auth("alice"), "Idempotency-Key": "form-43"}
    submit(client, headers)

    response = submit(client, headers, {"title": "Une autre question"})

    assert response.status_code == 422
    assert errors_of(response) == ["Idempotency-Key"]


def test_idempotency_keys_are_scoped_to_the_user(client: Any, auth: Auth) -> None:
    alice = submit(client, {**auth("alice"), "Idempotency-Key": "shared"}, base=SUPPORT_BODY)
    claire = submit(
        client,
        {**auth("claire"), "Idempotency-Key": "shared"},
        {"organisation_id": "org-atelier-dupont"},
        base=SUPPORT_BODY,
    )

    assert claire.status_code == 201
    assert json.loads(claire.body)["ticket_id"] != json.loads(alice.body)["ticket_id"]


def test_submit_costs_three_aws_calls_and_never_scans(
    client: Any, auth: Auth, aws_calls: Any
) -> None:
    headers = {**auth("alice"), "Idempotency-Key": "budget-1"}
    aws_calls.reset()

    response = submit(client, headers)

    assert response.status_code == 201
    assert aws_calls.calls == {
        "dynamodb.BatchGetItem": 1,
        "dynamodb.UpdateItem": 1,
        "dynamodb.TransactWriteItems": 1,
    }, aws_calls.calls
    assert aws_calls.count("Scan") == 0
    assert aws_calls.count("SendMessage") == 0  # dispatch happens from the stream


def test_replayed_submit_gets_the_first_response_back_from_its_transaction(
    client: Any, auth: Auth, aws_calls: Any
) -> None:
    headers = {**auth("alice"), "Idempotency-Key": "budget-2"}
    first = submit(client, headers)
    aws_calls.reset()

    replay = submit(client, headers)

    assert json.loads(replay.body) == json.loads(first.body)
    # The cancelled transaction brings the first response back: no GetItem.
    assert aws_calls.total == 3 and aws_calls.count("GetItem") == 0, aws_calls.calls
