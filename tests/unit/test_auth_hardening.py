"""Tokens a lenient verifier lets through, and a JWKS issuer that fails: each refused or
answered with a problem, never a 500."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.auth import (
    JwksKeyStore,
    StaticKeyStore,
    generate_signing_key,
    keys_from_jwks,
    public_jwks,
    verify_token,
)
from chalicelib.shared.errors import ServiceUnavailableError, UnauthorizedError

ISSUER = "https://issuer.test"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
AUDIENCE = "client-123"


@pytest.fixture(scope="module")
def key() -> str:
    return generate_signing_key()


@pytest.fixture(scope="module")
def keys(key: str) -> StaticKeyStore:
    return StaticKeyStore(keys_from_jwks(public_jwks(key)))


def _segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def signed(key: str, header: dict[str, Any] | bytes, claims: dict[str, Any] | bytes) -> str:
    """A token signed with `key` over exactly these header and claims bytes."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from jwt.algorithms import RSAAlgorithm

    jwk = json.loads(key)
    if isinstance(header, dict):
        header = json.dumps({"alg": "RS256", "kid": jwk["kid"], **header}).encode()
    if isinstance(claims, dict):
        claims = json.dumps(claims).encode()
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    private: Any = RSAAlgorithm.from_jwk(jwk)
    signature = private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_segment(signature)}"


NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(NOW.timestamp())
    base = {"sub": "alice", "iss": ISSUER, "aud": AUDIENCE, "token_use": "id"}
    return {**base, "iat": now, "nbf": now, "exp": now + 600, **overrides}


def verify(raw: str, keys: Any) -> dict[str, Any]:
    return verify_token(raw, keys, issuer=ISSUER, audience=AUDIENCE, now=NOW)


def test_the_signing_helper_makes_tokens_that_verify(key: str, keys: StaticKeyStore) -> None:
    assert verify(signed(key, {}, claims()), keys)["sub"] == "alice"


def test_a_crit_header_is_refused(key: str, keys: StaticKeyStore) -> None:
    with pytest.raises(UnauthorizedError, match=r"^Extension critique refusée\.$"):
        verify(signed(key, {"crit": ["exp"]}, claims()), keys)


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
@pytest.mark.parametrize(
    "raw",
    ["1e400", "-1e400", "NaN", "Infinity", "1893456000.5", '"1893456000"', "true", "null"],
)
def test_times_must_be_whole_numbers(key: str, keys: StaticKeyStore, name: str, raw: str) -> None:
    text = json.dumps(claims(**{name: 0})).replace(f'"{name}": 0', f'"{name}": {raw}')
    # NaN and Infinity are no JSON: the claims are unreadable before any time is read.
    reason = r"Jeton illisible\." if raw in ("NaN", "Infinity") else rf"Jeton invalide \({name}\)\."
    with pytest.raises(UnauthorizedError, match=f"^{reason}$"):
        verify(signed(key, {}, text.encode()), keys)


@pytest.mark.parametrize(
    "mangle",
    [
        (lambda s: s + "=", "Jeton illisible"),  # padding
        (
            lambda s: s.replace("-", "+").replace("_", "/") if ("-" in s or "_" in s) else s + "+",
            "Jeton illisible",
        ),
        # The same bytes with a non-canonical trailing bit set: only the re-encoding sees it.
        (lambda s: s[:-1] + ALPHABET[ALPHABET.index(s[-1]) | 1], "Jeton illisible"),
        # 342 characters + 1: readable base64url, but 257 bytes for a 256-byte key.
        (lambda s: s + "A", "Signature invalide"),
        (lambda s: s[:10] + " " + s[10:], "Jeton illisible"),
    ],
    ids=["padding", "standard-alphabet", "trailing-bits", "length", "space"],
)
def test_a_signature_outside_strict_base64url_is_refused(
    key: str, keys: StaticKeyStore, mangle: Any
) -> None:
    head, payload, signature = signed(key, {}, claims()).split(".")
    mangled = mangle[0](signature)
    assert mangled != signature
    with pytest.raises(UnauthorizedError, match=rf"^{mangle[1]}\.$"):
        verify(f"{head}.{payload}.{mangled}", keys)


def test_a_header_nested_a_thousand_levels_is_refused_not_a_crash(
    key: str, keys: StaticKeyStore
) -> None:
    deep = b'{"alg":"RS256","x":' + b"[" * 1000 + b"]" * 1000 + b"}"
    with pytest.raises(UnauthorizedError, match=r"^Jeton illisible\.$"):
        verify(f"{_segment(deep)}.{_segment(b'{}')}.AAAA", keys)
    with pytest.raises(UnauthorizedError, match=r"^Jeton illisible\.$"):
        verify(signed(key, {}, b'{"a":' + b"[" * 995 + b"]" * 995 + b"}"), keys)


def _jwk_of(bits: int, exponent: int) -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    private = rsa.generate_private_key(public_exponent=exponent, key_size=bits)
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    return {**jwk, "kid": f"{bits}-{exponent}", "use": "sig"}


def test_only_rsa_keys_of_2048_bits_or_more_with_e_65537_are_trusted() -> None:
    good = _jwk_of(2048, 65537)
    document = {
        "keys": [
            # Each key left out is listed before the good one: it is skipped, not the end.
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {**good, "kid": "encryption", "use": "enc"},
            {"kty": "RSA", "kid": "broken", "n": "not base64!", "e": "AQAB"},
            _jwk_of(1024, 65537),
            _jwk_of(2048, 3),
            good,
        ]
    }
    assert sorted(keys_from_jwks(document)) == ["2048-65537"]


def test_a_document_without_a_keys_list_is_no_jwks() -> None:
    with pytest.raises(ValueError, match=r"^not a JWKS document$"):
        keys_from_jwks({"keys": {"kid": "k"}})


def test_claims_nested_deeper_than_four_levels_are_unreadable(
    key: str, keys: StaticKeyStore
) -> None:
    assert verify(signed(key, {}, claims(x=[[[]]])), keys)["x"] == [[[]]]
    with pytest.raises(UnauthorizedError, match=r"^Jeton illisible\.$"):
        verify(signed(key, {}, claims(x=[[[[]]]])), keys)


def test_a_3072_bit_signature_ending_in_x_verifies() -> None:
    """384 bytes encode to 512 characters, the last one the low 6 bits of the last
    byte: 1 signature in 64 ends in `X`, which stays part of the signature."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from jwt.algorithms import RSAAlgorithm

    private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    jwk = {**json.loads(RSAAlgorithm.to_jwk(private.public_key())), "kid": "3072", "use": "sig"}
    store = StaticKeyStore(keys_from_jwks({"keys": [jwk]}))
    head = _segment(json.dumps({"alg": "RS256", "kid": "3072"}).encode())
    for n in range(2000):
        signing_input = f"{head}.{_segment(json.dumps(claims(jti=str(n))).encode())}"
        signature = private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        if _segment(signature).endswith("X"):
            break
    assert verify(f"{signing_input}.{_segment(signature)}", store)["sub"] == "alice"


def test_an_unreachable_issuer_is_a_503_with_backoff_not_a_fetch_per_request(key: str) -> None:
    fetched: list[float] = []
    clock = [0.0]
    reachable = [False]

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(clock[0])
        if not reachable[0]:
            raise OSError("connection refused")
        return public_jwks(key)

    store = JwksKeyStore("https://issuer/jwks", fetch, clock=lambda: clock[0])
    token = signed(key, {}, claims())

    for _ in range(5):
        with pytest.raises(ServiceUnavailableError) as unavailable:
            verify(token, store)
    assert fetched == [0.0]
    assert unavailable.value.status == 503 and unavailable.value.headers["Retry-After"] == "2"
    clock[0] = 1.0
    with pytest.raises(ServiceUnavailableError):
        verify(token, store)
    assert fetched == [0.0, 1.0]  # the next try waits 2 s now
    clock[0] = 2.5
    with pytest.raises(ServiceUnavailableError):
        verify(token, store)
    assert len(fetched) == 2

    reachable[0] = True
    clock[0] = 3.0
    assert verify(token, store)["sub"] == "alice"
    assert verify(token, store)["sub"] == "alice"
    assert len(fetched) == 3


def test_a_document_that_is_no_jwks_is_a_503(key: str) -> None:
    store = JwksKeyStore("https://issuer/jwks", lambda url: {"oops": True}, clock=lambda: 0.0)
    with pytest.raises(ServiceUnavailableError):
        verify(signed(key, {}, claims()), store)
