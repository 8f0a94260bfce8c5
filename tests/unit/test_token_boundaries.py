"""Token verification at its edges, with a fixed `now`: each refusal matched to its reason.

`exp` is exclusive and has no leeway (a token is refused at the instant it
expires); `nbf` and `iat` may be up to LEEWAY_SECONDS (5 s) in the future.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.auth import (
    StaticKeyStore,
    generate_signing_key,
    keys_from_jwks,
    mint_token,
    public_jwks,
    verify_token,
)
from chalicelib.shared.errors import UnauthorizedError

ISSUER = "https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_test"
AUDIENCE = "client-123"
ISSUED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
EXPIRES = ISSUED + timedelta(hours=1)
SECOND = timedelta(seconds=1)
EXPIRED = r"^Jeton expiré\.$"
NOT_YET = r"^Jeton pas encore valide\.$"


@pytest.fixture(scope="module")
def key() -> str:
    return generate_signing_key()


@pytest.fixture(scope="module")
def keys(key: str) -> StaticKeyStore:
    return StaticKeyStore(keys_from_jwks(public_jwks(key)))


def token(key: str, **claims: Any) -> str:
    """A token issued at ISSUED for one hour; `claims` override (None removes one)."""
    return mint_token(
        key,
        issuer=ISSUER,
        audience=AUDIENCE,
        user_id="alice",
        now=ISSUED,
        extra_claims=claims,
    )


def verify_at(raw: str, keys: StaticKeyStore, now: datetime) -> dict[str, Any]:
    return verify_token(raw, keys, issuer=ISSUER, audience=AUDIENCE, now=now)


# exp


@pytest.mark.parametrize(
    "now",
    [ISSUED, EXPIRES - SECOND, EXPIRES - timedelta(milliseconds=1)],
    ids=["at-issue", "a-second-before-exp", "a-millisecond-before-exp"],
)
def test_a_token_is_accepted_until_just_before_its_expiry(
    key: str, keys: StaticKeyStore, now: datetime
) -> None:
    assert verify_at(token(key), keys, now)["sub"] == "alice"


@pytest.mark.parametrize(
    "now",
    [EXPIRES, EXPIRES + timedelta(milliseconds=1), EXPIRES + SECOND, EXPIRES + timedelta(hours=1)],
    ids=["at-exp", "a-millisecond-after", "a-second-after", "an-hour-after"],
)
def test_a_token_is_refused_as_expired_from_the_instant_of_its_expiry(
    key: str, keys: StaticKeyStore, now: datetime
) -> None:
    with pytest.raises(UnauthorizedError, match=EXPIRED):
        verify_at(token(key), keys, now)


# nbf and iat: up to 5 seconds in the future are tolerated (clock skew), not 6


@pytest.mark.parametrize("claim", ["nbf", "iat"])
@pytest.mark.parametrize("ahead", [0, 4, 5], ids=["now", "4s-ahead", "5s-ahead"])
def test_a_token_valid_from_up_to_five_seconds_ahead_is_accepted(
    key: str, keys: StaticKeyStore, claim: str, ahead: int
) -> None:
    raw = token(key, **{claim: int(ISSUED.timestamp()) + ahead})

    assert verify_at(raw, keys, ISSUED)["sub"] == "alice"


@pytest.mark.parametrize("claim", ["nbf", "iat"])
@pytest.mark.parametrize("ahead", [6, 600], ids=["6s-ahead", "10min-ahead"])
def test_a_token_valid_from_more_than_five_seconds_ahead_is_refused_as_not_yet_valid(
    key: str, keys: StaticKeyStore, claim: str, ahead: int
) -> None:
    raw = token(key, **{claim: int(ISSUED.timestamp()) + ahead})

    with pytest.raises(UnauthorizedError, match=NOT_YET):
        verify_at(raw, keys, ISSUED)


def test_the_leeway_on_nbf_is_measured_from_now_not_from_iat(
    key: str, keys: StaticKeyStore
) -> None:
    issued = int(ISSUED.timestamp())
    raw = token(key, iat=issued - 60, nbf=issued + 5)

    assert verify_at(raw, keys, ISSUED)["sub"] == "alice"
    with pytest.raises(UnauthorizedError, match=NOT_YET):
        verify_at(raw, keys, ISSUED - SECOND)


def test_no_leeway_on_expiry_even_with_a_token_issued_in_the_future(
    key: str, keys: StaticKeyStore
) -> None:
    issued = int(ISSUED.timestamp())
    raw = token(key, iat=issued + 3, exp=issued)

    with pytest.raises(UnauthorizedError, match=EXPIRED):
        verify_at(raw, keys, ISSUED)


# Required claims, their types, and the other reasons


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "token_use"])
def test_a_token_without_a_required_claim_is_refused_naming_it(
    key: str, keys: StaticKeyStore, claim: str
) -> None:
    with pytest.raises(UnauthorizedError, match=rf"^Jeton incomplet \({claim}\)\.$"):
        verify_at(token(key, **{claim: None}), keys, ISSUED)


def test_a_token_without_nbf_is_judged_on_iat(key: str, keys: StaticKeyStore) -> None:
    raw = token(key, nbf=None)

    assert verify_at(raw, keys, ISSUED)["sub"] == "alice"
    with pytest.raises(UnauthorizedError, match=NOT_YET):
        verify_at(raw, keys, ISSUED - 6 * SECOND)


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
def test_a_time_claim_that_is_not_a_number_is_refused_naming_it(
    key: str, keys: StaticKeyStore, claim: str
) -> None:
    with pytest.raises(UnauthorizedError, match=rf"^Jeton invalide \({claim}\)\.$"):
        verify_at(token(key, **{claim: "1764331200"}), keys, ISSUED)


def test_a_fractional_expiry_is_refused_before_it_is_compared(
    key: str, keys: StaticKeyStore
) -> None:
    # NumericDate is seconds; a fraction is no time Cognito writes.
    raw = token(key, exp=EXPIRES.timestamp() + 0.5)

    with pytest.raises(UnauthorizedError, match=r"^Jeton invalide \(exp\)\.$"):
        verify_at(raw, keys, EXPIRES - timedelta(hours=1))


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "https://evil.example"}, "Émetteur du jeton refusé"),
        ({"aud": "another-app"}, "Jeton destiné à une autre application"),
        ({"aud": ["x", "y"]}, "Jeton destiné à une autre application"),
        ({"token_use": "refresh"}, "Type de jeton refusé"),
        ({"token_use": "access", "aud": None}, "Jeton destiné à une autre application"),
        (
            {"token_use": "access", "aud": None, "client_id": "other"},
            "Jeton destiné à une autre application",
        ),
    ],
    ids=["issuer", "audience", "audience-list", "refresh", "access-no-client", "access-other"],
)
def test_each_wrong_claim_is_refused_with_its_reason(
    key: str, keys: StaticKeyStore, claims: dict[str, Any], reason: str
) -> None:
    with pytest.raises(UnauthorizedError) as refused:
        verify_at(token(key, **claims), keys, ISSUED)
    assert refused.value.detail == reason + "."


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": [AUDIENCE, "other"]},
        {"token_use": "access", "aud": None, "client_id": AUDIENCE},
    ],
    ids=["audience-in-a-list", "access-token-client-id"],
)
def test_an_audience_in_a_list_or_an_access_tokens_client_id_is_accepted(
    key: str, keys: StaticKeyStore, claims: dict[str, Any]
) -> None:
    assert verify_at(token(key, **claims), keys, ISSUED)["sub"] == "alice"


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_each_malformed_token_is_refused_with_its_reason(key: str, keys: StaticKeyStore) -> None:
    head, payload, signature = token(key).split(".")
    kid = json.loads(base64.urlsafe_b64decode(head + "==="))["kid"]
    cases = {
        "a.b": "Jeton illisible",
        f"{head}.{payload}.{signature}.x": "Jeton illisible",
        f"!!.{payload}.{signature}": "Jeton illisible",
        f"{_segment({'alg': 'HS256', 'kid': kid})}.{payload}.{signature}": (
            "Algorithme de signature refusé"
        ),
        f"{_segment({'alg': 'none', 'kid': kid})}.{payload}.": "Algorithme de signature refusé",
        f"{_segment({'alg': 'RS256', 'kid': 'other'})}.{payload}.{signature}": (
            "Clé de signature inconnue"
        ),
        f"{head}.{_segment({'sub': 'mallory'})}.{signature}": "Signature invalide",
        f"{_segment(['RS256'])}.{payload}.{signature}": "Jeton illisible",  # type: ignore[arg-type]
    }

    refused = {}
    for raw in cases:
        with pytest.raises(UnauthorizedError) as error:
            verify_at(raw, keys, ISSUED)
        refused[raw] = error.value.detail

    assert refused == {raw: reason + "." for raw, reason in cases.items()}
