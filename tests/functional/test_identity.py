"""/me, /health, the directory search and 401s through the Chalice test client with moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.auth import generate_signing_key, mint_token

ME_EXPECTED = {
    "alice": ("fournisseur", [], {"org-boulangerie-martin", "org-martin-conseil"}),
    "claire": ("fournisseur", [], {"org-atelier-dupont"}),
    "bruno": ("structure_publique", [], {"org-mairie-valbourg"}),
    "sophie": (None, ["support_agents"], set()),
    "marc": ("structure_publique", ["business_agents"], {"org-mairie-valbourg"}),
}


@pytest.mark.parametrize("user_id", sorted(ME_EXPECTED))
def test_me_describes_each_demo_user(
    client: Any, auth: Callable[[str], dict[str, str]], user_id: str
) -> None:
    profile, roles, organisations = ME_EXPECTED[user_id]

    response = client.http.get("/me", headers=auth(user_id))

    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["user_id"] == user_id
    assert body["profile"] == profile
    assert body["roles"] == roles
    assert {org["id"] for org in body["organisations"]} == organisations
    assert "@" in body["email"]


def test_me_lists_organisation_fields_for_the_ticket_form(
    client: Any, auth: Callable[[str], dict[str, str]]
) -> None:
    body = json.loads(client.http.get("/me", headers=auth("bruno")).body)

    assert body["organisations"] == [
        {
            "id": "org-mairie-valbourg",
            "designation": "Mairie de Valbourg",
            "siret": "21300512000018",
            "kind": "public",
        }
    ]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Basic YWxpY2U6c2VjcmV0", "Bearer not-a-jwt"],
    ids=["missing", "empty-bearer", "basic", "garbage"],
)
def test_me_without_a_valid_token_is_401_problem(client: Any, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = client.http.get("/me", headers=headers)

    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert json.loads(response.body)["status"] == 401


def test_me_refuses_a_token_signed_by_another_key(client: Any) -> None:
    from datetime import UTC, datetime

    from tests.conftest import TEST_AUDIENCE, TEST_ISSUER

    forged = mint_token(
        generate_signing_key(),
        issuer=TEST_ISSUER,
        audience=TEST_AUDIENCE,
        user_id="alice",
        now=datetime.now(UTC),
    )

    response = client.http.get("/me", headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401


def test_expired_token_is_401_even_though_chalice_would_accept_it(
    client: Any, token_for: Callable[..., str]
) -> None:
    from datetime import UTC, datetime, timedelta

    old = token_for("alice", now=datetime.now(UTC) - timedelta(hours=2))

    response = client.http.get("/me", headers={"Authorization": f"Bearer {old}"})

    assert response.status_code == 401


def test_health_is_anonymous(client: Any) -> None:
    response = client.http.get("/health")

    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok"}


@pytest.mark.parametrize("stage", ["test", "dev"])
def test_local_token_route_is_404_outside_the_local_stage(
    aws_env: dict[str, str], stage: str
) -> None:
    from chalice.test import Client

    from app import app

    with Client(app, stage_name=stage) as stage_client:
        response = stage_client.http.post(
            "/local/token",
            body=json.dumps({"user": "alice"}),
            headers={"Content-Type": "application/json"},
        )

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"


def test_public_organisations_found_by_a_word_of_their_name(
    client: Any, auth: Callable[[str], dict[str, str]]
) -> None:
    response = client.http.get(
        "/directory/public-organisations?query=valbourg%20mair", headers=auth("alice")
    )

    assert response.status_code == 200
    assert [org["id"] for org in json.loads(response.body)] == ["org-mairie-valbourg"]


def test_public_organisations_found_by_siret_but_not_suppliers(
    client: Any, auth: Callable[[str], dict[str, str]]
) -> None:
    by_siret = client.http.get(
        "/directory/public-organisations?query=21300512000018", headers=auth("alice")
    )
    supplier = client.http.get(
        "/directory/public-organisations?query=41287395000015", headers=auth("alice")
    )

    assert [org["designation"] for org in json.loads(by_siret.body)] == ["Mairie de Valbourg"]
    assert json.loads(supplier.body) == []


def test_public_organisations_query_too_short_is_422_naming_it(
    client: Any, auth: Callable[[str], dict[str, str]]
) -> None:
    response = client.http.get("/directory/public-organisations?query=a", headers=auth("alice"))

    assert response.status_code == 422
    assert [e["field"] for e in json.loads(response.body)["errors"]] == ["query"]
