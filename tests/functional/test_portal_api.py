"""What the portal needs of the API: CORS for its origin, the recipient of an object
before submitting, and the answers suggested while a ticket's description is typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.shared.config import portal_origin

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
