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


# A 2048-bit modulus (the least a JWKS key may have); not a real key, never used to verify.
MODULUS = (1 << 2047) | 0xC0FFEE_1234567


def _jwk(kid: str, **fields: Any) -> dict[str, Any]:
    return {"kty": "RSA", "kid": kid, "n": _b64(MODULUS), "e": "AQAB", **fields}


def test_only_rsa_signing_keys_with_a_kid_are_taken_from_a_jwks() -> None:
    jwks = {
        "keys": [
            _jwk("sig"),
            _jwk("no-use"),
            _jwk("enc", use="enc"),
            _jwk("ec", kty="EC"),
            {k: v for k, v in _jwk("x").items() if k != "kid"},
            _jwk("short", n=_b64(MODULUS >> 1)),
            _jwk("e3", e="Aw"),
        ]
    }

    keys = keys_from_jwks(jwks)

    assert sorted(keys) == ["no-use", "sig"]
    assert keys["sig"] == RsaPublicKey(n=MODULUS, e=65537)
    assert keys_from_jwks({"keys": []}) == {}


def test_a_jwks_key_in_bad_base64_is_left_out_and_a_document_that_is_no_jwks_raises() -> None:
    assert keys_from_jwks({"keys": [_jwk("bad", n="***"), _jwk("good")]}).keys() == {"good"}
    with pytest.raises(ValueError, match="not a JWKS document"):
        keys_from_jwks({})


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
    with pytest.raises(
        ForbiddenError, match=r"^Cette action est réservée aux agents des entités publiques\.$"
    ):
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


def test_a_role_refusal_lists_every_role_accepted() -> None:
    with pytest.raises(
        ForbiddenError,
        match=(
            r"^Cette action est réservée aux agents des entités publiques"
            r" ou aux conseillers du support\.$"
        ),
    ):
        Identity(user_id="alice").require_role("business_agents", "support_agents")


def test_a_role_without_a_french_name_is_refused_in_general_words() -> None:
    with pytest.raises(
        ForbiddenError,
        match=(
            r"^Cette action est réservée aux personnes habilitées"
            r" ou aux conseillers du support\.$"
        ),
    ):
        Identity(user_id="alice").require_role("auditors", "support_agents")


def test_the_jwks_refresh_interval_counts_from_the_last_fetch(signing_key: str) -> None:
    fetched: list[str] = []
    clock = [1000.0]

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return public_jwks(signing_key)

    store = JwksKeyStore("https://issuer/jwks", fetch, clock=lambda: clock[0])
    store.key_for("unknown")
    clock[0] = 1059.9
    store.key_for("unknown")
    assert len(fetched) == 1
    clock[0] = 1060.0
    store.key_for("unknown")
    assert len(fetched) == 2


def test_a_header_that_is_base64_but_not_json_is_unreadable(signing_key: str) -> None:
    from chalicelib.auth import StaticKeyStore, verify_token

    keys = StaticKeyStore(keys_from_jwks(public_jwks(signing_key)))
    raw = mint_token(signing_key, issuer="i", audience="a", user_id="alice", now=datetime.now(UTC))
    not_json = base64.urlsafe_b64encode(b"{not json").decode().rstrip("=")

    for broken in (f"{not_json}.{raw.split('.', 1)[1]}", f"{raw.rsplit('.', 2)[0]}.{not_json}.x"):
        with pytest.raises(UnauthorizedError, match=r"^Jeton illisible\.$"):
            verify_token(broken, keys, issuer="i", audience="a")


def test_a_token_without_kid_finds_no_signing_key(signing_key: str) -> None:
    import jwt
    from jwt.algorithms import RSAAlgorithm

    from chalicelib.auth import StaticKeyStore, verify_token

    [public] = keys_from_jwks(public_jwks(signing_key)).values()
    private: Any = RSAAlgorithm.from_jwk(signing_key)
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "alice", "iss": "i", "aud": "a", "token_use": "id", "iat": now,
              "exp": now + 60}  # fmt: skip
    raw = jwt.encode(claims, private, algorithm="RS256", headers={})
    assert "kid" not in jwt.get_unverified_header(raw)

    with pytest.raises(UnauthorizedError, match=r"^Clé de signature inconnue\.$"):
        verify_token(raw, StaticKeyStore({"None": public}), issuer="i", audience="a")


def test_the_shortest_padding_the_standard_allows_is_accepted() -> None:
    # RFC 8017: at least 8 bytes of 0xFF. A 496-bit key leaves exactly 8 for SHA-256.
    import hashlib
    import random

    from chalicelib.auth import SHA256_DIGEST_INFO

    draw = random.Random(16)

    def prime() -> int:
        while True:
            candidate = draw.getrandbits(248) | (1 << 247) | 1
            if all(pow(w, candidate - 1, candidate) == 1 for w in (2, 3, 5, 7, 11, 13, 17)):
                return candidate

    while True:
        p, q = prime(), prime()
        n = p * q
        if n.bit_length() == 496 and (p - 1) % 65537 and (q - 1) % 65537:
            break
    d = pow(65537, -1, (p - 1) * (q - 1))
    message = b"header.payload"
    encoded = b"\x00\x01" + b"\xff" * 8 + b"\x00" + SHA256_DIGEST_INFO
    encoded += hashlib.sha256(message).digest()
    signature = pow(int.from_bytes(encoded, "big"), d, n).to_bytes(62, "big")

    assert rs256_signature_is_valid(RsaPublicKey(n=n, e=65537), message, signature)
