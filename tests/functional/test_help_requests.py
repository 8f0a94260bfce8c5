"""Help without an account: self-help problems, help requests, their checks and rate limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.functional.tickets_support import RoutingPump, errors_of

Auth = Callable[[str], dict[str, str]]
JSON = {"Content-Type": "application/json"}
HELP: dict[str, Any] = {
    "problem": "password",
    "category": "CONNEXION",
    "subcategory": "S02",
    "email": "paul.durand@exemple.fr",
    "email_confirmation": "paul.durand@exemple.fr",
    "title": "Mot de passe oublié",
    "description": "Le lien de réinitialisation ne m'arrive jamais.",
}


def _ask(client: Any, overrides: dict[str, Any] | None = None, headers: Any = None) -> Any:
    body = {**HELP, **(overrides or {})}
    return client.http.post(
        "/help/requests", headers={**JSON, **(headers or {})}, body=json.dumps(body)
    )


def test_help_problems_come_with_self_help_solutions_in_french(client: Any) -> None:
    response = client.http.get("/help/problems")

    assert response.status_code == 200
    problems = {p["code"]: p for p in json.loads(response.body)}
    assert set(problems) == {
        "activation",
        "password",
        "locked",
        "login_address",
        "no_account",
        "other",
    }
    assert all(len(p["solutions"]) >= 2 for p in problems.values())
    assert problems["password"]["label"] == "J'ai oublié mon mot de passe"
    assert "Mot de passe oublié" in " ".join(s["text"] for s in problems["password"]["solutions"])


def test_help_request_gets_a_reference_and_reaches_the_support_desk(
    client: Any, auth: Auth, routing: RoutingPump
) -> None:
    response = _ask(client)
    routing.dispatch()
    queued = routing.queue_bodies("support")
    routing.run()

    assert response.status_code == 201
    body = json.loads(response.body)
    assert body["reference"].startswith("T-")
    assert "support" in body["message"]
    assert [m["reference"] for m in queued] == [body["reference"]]
    desk = json.loads(client.http.get("/desk/tickets", headers=auth("sophie")).body)["items"]
    assert [t["reference"] for t in desk] == [body["reference"]]
    ticket = json.loads(
        client.http.get(f"/desk/tickets/{desk[0]['ticket_id']}", headers=auth("sophie")).body
    )
    assert ticket["channel"] == "help_request"
    assert ticket["contact_email"] == "paul.durand@exemple.fr"
    assert [h["event"] for h in ticket["history"]] == ["submitted", "delivered"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"problem": "unknown"}, "problem"),
        ({"category": "FACTURE", "subcategory": "M20"}, "subcategory"),  # connected only
        ({"category": "STRUCTURE", "subcategory": "S10"}, "subcategory"),
        ({"subcategory": "S99"}, "subcategory"),
        ({"subcategory": "S01"}, "subcategory"),  # offered without an account, not for "password"
        ({"email_confirmation": "paul.durant@exemple.fr"}, "email_confirmation"),
        ({"email": "pas-une-adresse", "email_confirmation": "pas-une-adresse"}, "email"),
        ({"siret": "41287395000016"}, "siret"),  # wrong Luhn key
        ({"siret": "4128739500001"}, "siret"),  # 13 digits
        ({"siret": "4128739500001A"}, "siret"),
        ({"title": "abc"}, "title"),
        ({"description": "court"}, "description"),
        ({"attachment_ids": ["att-1"]}, "attachment_ids"),  # without X-Upload-Token
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_invalid_help_request_is_422_naming_the_field(
    client: Any, overrides: dict[str, Any], field: str
) -> None:
    response = _ask(client, overrides)

    assert response.status_code == 422
    assert field in errors_of(response)


@pytest.mark.parametrize("siret", ["412 873 950 00015", "35600000000048", "35600000049837"])
def test_valid_sirets_are_accepted(client: Any, siret: str) -> None:
    response = _ask(client, {"siret": siret})

    assert response.status_code == 201


def test_email_confirmation_ignores_case(client: Any) -> None:
    response = _ask(client, {"email_confirmation": "Paul.Durand@Exemple.fr"})

    assert response.status_code == 201


def test_help_requests_are_rate_limited_per_email(
    client: Any, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock("2026-12-04T10:15:00+01:00")
    accepted = [_ask(client, {"title": f"Demande {n}"}).status_code for n in range(5)]

    refused = _ask(client, {"title": "Demande 6"})
    other_email = _ask(
        client, {"email": "autre@exemple.fr", "email_confirmation": "autre@exemple.fr"}
    )

    assert accepted == [201] * 5
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == 45 * 60
    assert other_email.status_code == 201


def test_help_requests_are_rate_limited_per_client_address(
    client: Any, frozen_clock: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.shared.config import get_settings

    monkeypatch.setenv("HELP_REQUESTS_PER_ADDRESS_HOUR", "5")
    get_settings.cache_clear()
    frozen_clock("2026-12-04T10:15:00+01:00")
    for n in range(5):
        email = f"personne{n}@exemple.fr"
        assert _ask(client, {"email": email, "email_confirmation": email}).status_code == 201

    response = _ask(
        client, {"email": "nouveau@exemple.fr", "email_confirmation": "nouveau@exemple.fr"}
    )

    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/problem+json"


def test_rate_limit_resets_with_the_next_window(
    client: Any, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock("2026-12-04T10:15:00+01:00")
    first_window = [_ask(client, {"title": f"Demande {n}"}).status_code for n in range(6)]
    frozen_clock("2026-12-04T11:00:00+01:00")

    assert first_window == [201] * 5 + [429]
    assert _ask(client, {"title": "Demande suivante"}).status_code == 201


def test_invalid_requests_do_not_use_up_the_limit(client: Any) -> None:
    for _ in range(6):
        _ask(client, {"email_confirmation": "faute@exemple.fr"})

    assert _ask(client).status_code == 201


def test_idempotent_help_request_replays_without_counting(
    client: Any, auth: Auth, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock("2026-12-04T10:15:00+01:00")
    headers = {"Idempotency-Key": "help-1"}
    first = _ask(client, headers=headers)
    replays = [_ask(client, headers=headers) for _ in range(6)]

    assert {r.status_code for r in replays} == {201}
    assert {json.loads(r.body)["reference"] for r in replays} == {
        json.loads(first.body)["reference"]
    }
    desk = json.loads(client.http.get("/desk/tickets", headers=auth("sophie")).body)["items"]
    assert len(desk) == 1
    assert _ask(client, {"title": "Une autre"}).status_code == 201


def test_help_request_with_reused_key_and_another_body_is_422(client: Any) -> None:
    _ask(client, headers={"Idempotency-Key": "help-2"})

    response = _ask(client, {"title": "Autre demande"}, headers={"Idempotency-Key": "help-2"})

    assert response.status_code == 422
    assert errors_of(response) == ["Idempotency-Key"]


def test_help_request_never_scans(client: Any, aws_calls: Any) -> None:
    aws_calls.reset()

    _ask(client, headers={"Idempotency-Key": "help-3"})

    assert aws_calls.count("Scan") == 0
    assert aws_calls.total <= 5, aws_calls.calls
