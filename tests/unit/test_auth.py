"""Token verification: each way a token can be wrong is refused, a good one accepted."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from chalicelib.auth import (
    JwksKeyStore,
    StaticKeyStore,
    generate_signing_key,
    identity_from_claims,
    keys_from_jwks,
    mint_token,
    public_jwks,
    verify_token,
)
from chalicelib.shared.errors import UnauthorizedError

ISSUER = "https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_test"
AUDIENCE = "client-123"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def key() -> str:
    return generate_signing_key()


@pytest.fixture(scope="module")
def keys(key: str) -> StaticKeyStore:
    return StaticKeyStore(keys_from_jwks(public_jwks(key)))


def token(key: str, now: datetime | None = None, **overrides: Any) -> str:
    return mint_token(
        key,
        issuer=overrides.pop("issuer", ISSUER),
        audience=overrides.pop("audience", AUDIENCE),
        user_id="alice",
        email="alice@example.fr",
        groups=["support_agents"],
        now=now or NOW,
        **overrides,
    )


def verify(raw: str, keys: StaticKeyStore, now: datetime = NOW) -> dict[str, Any]:
    return verify_token(raw, keys, issuer=ISSUER, audience=AUDIENCE, now=now)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_good_token_is_accepted_with_its_roles(key: str, keys: StaticKeyStore) -> None:
    claims = verify(token(key), keys)

    identity = identity_from_claims(claims)
    assert identity.user_id == "alice"
    assert identity.roles == frozenset({"support_agents"})


def test_an_access_token_is_checked_against_client_id(key: str, keys: StaticKeyStore) -> None:
    good = token(key, extra_claims={"token_use": "access", "aud": None, "client_id": AUDIENCE})
    wrong = token(key, extra_claims={"token_use": "access", "aud": None, "client_id": "other"})

    assert verify(good, keys)["client_id"] == AUDIENCE
    with pytest.raises(UnauthorizedError, match="Jeton destiné à une autre application"):
        verify(wrong, keys)


def test_expired_token_is_refused(key: str, keys: StaticKeyStore) -> None:
    # Boundaries (at, just before, just after): tests/unit/test_token_boundaries.py.
    expired = token(key, now=NOW - timedelta(hours=2))

    with pytest.raises(UnauthorizedError, match="Jeton expiré"):
        verify(expired, keys)


def test_token_not_yet_valid_is_refused(key: str, keys: StaticKeyStore) -> None:
    future = token(key, now=NOW + timedelta(minutes=10))

    with pytest.raises(UnauthorizedError, match="Jeton pas encore valide"):
        verify(future, keys)


def test_wrong_issuer_is_refused(key: str, keys: StaticKeyStore) -> None:
    with pytest.raises(UnauthorizedError, match="Émetteur du jeton refusé"):
        verify(token(key, issuer="https://evil.example"), keys)


def test_wrong_audience_is_refused(key: str, keys: StaticKeyStore) -> None:
    with pytest.raises(UnauthorizedError, match="Jeton destiné à une autre application"):
        verify(token(key, audience="another-app"), keys)


def test_unknown_kid_is_refused(keys: StaticKeyStore) -> None:
    other_key = generate_signing_key()

    with pytest.raises(UnauthorizedError, match="Clé de signature inconnue"):
        verify(token(other_key), keys)


def test_hs256_signed_with_the_public_key_is_refused(key: str, keys: StaticKeyStore) -> None:
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    good = token(key)
    header = jwt.get_unverified_header(good)
    claims = jwt.decode(good, options={"verify_signature": False})
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

    numbers = keys.key_for(header["kid"])
    assert numbers is not None
    public_pem = (
        RSAPublicNumbers(numbers.e, numbers.n)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = _b64({"alg": "HS256", "kid": header["kid"], "typ": "JWT"}) + "." + _b64(claims)
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")

    with pytest.raises(UnauthorizedError, match="Algorithme de signature refusé"):
        verify(forged, keys)


def test_alg_none_is_refused(key: str, keys: StaticKeyStore) -> None:
    header = jwt.get_unverified_header(token(key))
    claims = jwt.decode(token(key), options={"verify_signature": False})
    unsigned = _b64({"alg": "none", "kid": header["kid"], "typ": "JWT"}) + "." + _b64(claims) + "."

    with pytest.raises(UnauthorizedError, match="Algorithme de signature refusé"):
        verify(unsigned, keys)


def test_tampered_payload_is_refused(key: str, keys: StaticKeyStore) -> None:
    head, _, signature = token(key).split(".")
    claims = jwt.decode(token(key), options={"verify_signature": False})
    claims["cognito:username"] = "mallory"
    tampered = f"{head}.{_b64(claims)}.{signature}"

    with pytest.raises(UnauthorizedError, match="Signature invalide"):
        verify(tampered, keys)


def test_a_refresh_token_is_refused(key: str, keys: StaticKeyStore) -> None:
    with pytest.raises(UnauthorizedError, match="Type de jeton refusé"):
        verify(token(key, extra_claims={"token_use": "refresh"}), keys)


def test_jwks_is_fetched_once_and_refreshed_on_an_unknown_kid(key: str) -> None:
    rotated = generate_signing_key()
    documents = [public_jwks(key), public_jwks(rotated)]
    fetched: list[str] = []
    clock = [0.0]

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return documents[min(len(fetched), len(documents)) - 1]

    store = JwksKeyStore("https://issuer/.well-known/jwks.json", fetch, clock=lambda: clock[0])

    verify_token(token(key), store, issuer=ISSUER, audience=AUDIENCE, now=NOW)
    verify_token(token(key), store, issuer=ISSUER, audience=AUDIENCE, now=NOW)
    assert len(fetched) == 1
    clock[0] = 120.0
    verify_token(token(rotated), store, issuer=ISSUER, audience=AUDIENCE, now=NOW)
    assert len(fetched) == 2


def test_unknown_kids_do_not_refetch_the_jwks_on_every_request(key: str) -> None:
    fetched: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return public_jwks(key)

    store = JwksKeyStore("https://issuer/jwks", fetch, clock=lambda: 0.0)
    stranger = generate_signing_key()

    for _ in range(3):
        with pytest.raises(UnauthorizedError, match="Clé de signature inconnue"):
            verify_token(token(stranger), store, issuer=ISSUER, audience=AUDIENCE, now=NOW)
    assert len(fetched) == 1


def test_signature_check_agrees_with_pyjwt_on_good_and_corrupted_signatures(
    key: str, keys: StaticKeyStore
) -> None:
    from chalicelib.auth import rs256_signature_is_valid

    raw = token(key)
    head, payload, signature = raw.split(".")
    public = keys.key_for(jwt.get_unverified_header(raw)["kid"])
    assert public is not None
    signature_bytes = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    signing_input = f"{head}.{payload}".encode()

    assert rs256_signature_is_valid(public, signing_input, signature_bytes)
    for position in (0, len(signature_bytes) // 2, len(signature_bytes) - 1):
        corrupted = bytearray(signature_bytes)
        corrupted[position] ^= 0x01
        assert not rs256_signature_is_valid(public, signing_input, bytes(corrupted))
    assert not rs256_signature_is_valid(public, signing_input, signature_bytes[1:])
    assert not rs256_signature_is_valid(public, signing_input + b"x", signature_bytes)


def test_a_signature_larger_than_the_modulus_is_refused(key: str, keys: StaticKeyStore) -> None:
    from chalicelib.auth import rs256_signature_is_valid

    raw = token(key)
    public = keys.key_for(jwt.get_unverified_header(raw)["kid"])
    assert public is not None
    too_big = (public.n + 1).to_bytes(public.size_bytes, "big")

    assert not rs256_signature_is_valid(public, b"a.b", too_big)


def test_garbage_segments_are_refused(keys: StaticKeyStore) -> None:
    for garbage in ("a.b", "a.b.c.d", "!!!.###.$$$"):
        with pytest.raises(UnauthorizedError, match="Jeton illisible"):
            verify(garbage, keys)
    with pytest.raises(UnauthorizedError, match="Clé de signature inconnue"):
        verify(_b64({"alg": "RS256"}) + ".x.y", keys)


def test_verifying_a_token_does_not_import_cryptography() -> None:
    import subprocess
    import sys

    code = (
        "import sys, json\n"
        "from datetime import datetime, UTC\n"
        "from chalicelib import auth\n"
        "k = auth.generate_signing_key()\n"
        "t = auth.mint_token(k, issuer='i', audience='a', user_id='u', now=datetime.now(UTC))\n"
        "for m in [m for m in sys.modules if m.startswith(('cryptography', 'jwt'))]:\n"
        "    del sys.modules[m]\n"
        "store = auth.StaticKeyStore(auth.keys_from_jwks(auth.public_jwks(k)))\n"
        "auth.verify_token(t, store, issuer='i', audience='a')\n"
        "print(any(m.startswith(('cryptography', 'jwt')) for m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"
