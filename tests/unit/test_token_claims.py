"""From a token to an identity: the Authorization header, the JWKS, the claims read.

Expected identities and refusals written down; the header is parsed as the edge
does for every request.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.auth import (
    Identity,
    JwksKeyStore,
    RsaPublicKey,
    authenticate,
    identity_from_claims,
    keys_from_jwks,
    mint_token,
    public_jwks,
    rs256_signature_is_valid,
    trusted_keys,
)
from chalicelib.shared.errors import ForbiddenError, UnauthorizedError
from tests.conftest import TEST_AUDIENCE, TEST_ISSUER


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _jwk(kid: str, **fields: Any) -> dict[str, Any]:
    return {"kty": "RSA", "kid": kid, "n": _b64(0xC0FFEE_1234567), "e": "AQAB", **fields}


def test_only_rsa_signing_keys_with_a_kid_are_taken_from_a_jwks() -> None:
    jwks = {
        "keys": [
            _jwk("sig"),
            _jwk("no-use"),
            _jwk("enc", use="enc"),
            _jwk("ec", kty="EC"),
            {k: v for k, v in _jwk("x").items() if k != "kid"},
        ]
    }

    keys = keys_from_jwks(jwks)

    assert sorted(keys) == ["no-use", "sig"]
    assert keys["sig"] == RsaPublicKey(n=0xC0FFEE_1234567, e=65537)
    assert keys_from_jwks({}) == {}


def test_a_jwks_key_in_bad_base64_is_refused_as_unreadable() -> None:
    with pytest.raises(UnauthorizedError, match=r"^Jeton illisible\.$"):
        keys_from_jwks({"keys": [_jwk("bad", n="***")]})


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        (
            {"sub": "s-1", "cognito:username": "alice", "username": "u", "email": "a@x.fr"},
            Identity(user_id="alice", email="a@x.fr"),
        ),
        ({"sub": "s-1", "username": "alice-access"}, Identity(user_id="alice-access")),
        ({"sub": "s-1", "name": "Alice"}, Identity(user_id="s-1", name="Alice")),
        (
            {"sub": "s", "cognito:groups": ["support_agents", "business_agents"]},
            Identity(user_id="s", roles=frozenset({"support_agents", "business_agents"})),
        ),
        (
            {"sub": "s", "cognito:groups": "support_agents"},
            Identity(user_id="s", roles=frozenset({"support_agents"})),
        ),
        ({"sub": "s", "cognito:groups": None}, Identity(user_id="s")),
    ],
    ids=["cognito-username", "access-username", "sub", "groups", "one-group-string", "no-groups"],
)
def test_the_identity_read_from_claims(claims: dict[str, Any], expected: Identity) -> None:
    assert identity_from_claims(claims) == expected


def test_a_role_is_required_by_name() -> None:
    agent = Identity(user_id="sophie", roles=frozenset({"support_agents"}))

    agent.require_role("business_agents", "support_agents")
    assert agent.has_role("support_agents") and not agent.has_role("business_agents")
    with pytest.raises(ForbiddenError, match=r"^Cette action est réservée à : business_agents\.$"):
        agent.require_role("business_agents")


@pytest.mark.parametrize("header", [None, ""])
def test_no_authorization_header_is_an_anonymous_caller(header: str | None) -> None:
    assert authenticate(header) is None


@pytest.mark.parametrize("header", ["Basic YWxpY2U6cHc=", "Bearer", "Bearer    ", "Token abc"])
def test_an_authorization_header_that_is_not_a_bearer_token_is_refused(header: str) -> None:
    with pytest.raises(
        UnauthorizedError, match=r"^En-tête Authorization attendu : Bearer <jeton>\.$"
    ):
        authenticate(header)


def test_a_bearer_token_of_the_stage_gives_its_identity(signing_key: str) -> None:
    raw = mint_token(
        signing_key,
        issuer=TEST_ISSUER,
        audience=TEST_AUDIENCE,
        user_id="alice",
        email="alice@example.fr",
        groups=["support_agents"],
        now=datetime.now(UTC),
    )

    for header in (f"Bearer {raw}", f"bearer {raw}", f"Bearer  {raw} "):
        assert authenticate(header) == Identity(
            user_id="alice", email="alice@example.fr", roles=frozenset({"support_agents"})
        )
    with pytest.raises(UnauthorizedError, match=r"^Signature invalide\.$"):
        authenticate(f"Bearer {raw[:-4]}AAAA")


def test_the_test_stage_trusts_its_local_key_only(signing_key: str) -> None:
    kid = public_jwks(signing_key)["keys"][0]["kid"]

    assert trusted_keys().key_for(kid) is not None
    assert trusted_keys().key_for("another") is None


def test_a_known_kid_is_served_from_memory_and_an_unknown_one_refetched_after_60_s(
    signing_key: str,
) -> None:
    kid = public_jwks(signing_key)["keys"][0]["kid"]
    fetched: list[str] = []
    clock = [0.0]

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return public_jwks(signing_key)

    store = JwksKeyStore("https://issuer/jwks", fetch, clock=lambda: clock[0])

    assert store.key_for(kid) is not None
    assert store.key_for(kid) is not None
    clock[0] = 59.9
    assert store.key_for("unknown") is None
    clock[0] = 60.0
    assert store.key_for("unknown") is None
    assert fetched == ["https://issuer/jwks", "https://issuer/jwks"]


def test_a_key_too_small_for_the_sha256_encoding_never_verifies() -> None:
    # 512-bit modulus: 64 bytes leave 64 - 51 - 3 = 10 bytes of padding (accepted);
    # 480 bits leave 4 (< 8): refused whatever the signature.
    small = RsaPublicKey(n=(1 << 479) + 1, e=3)

    assert not rs256_signature_is_valid(small, b"a.b", (2).to_bytes(60, "big"))
