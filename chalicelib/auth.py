"""Bearer tokens: verification, the caller's identity and roles, and local minting.

API Gateway's Cognito authorizer is not in the path for `chalice local` or the
test client, and we want one behaviour everywhere, so the app verifies tokens
itself: RS256 only, signature against the issuer's JWKS, `iss`, `aud` (or
Cognito's `client_id` on access tokens), `exp`/`nbf`/`iat`, `token_use`.
Deployed stages trust the Cognito user pool's JWKS (fetched once, cached,
refreshed when an unknown `kid` shows up); the local and test stages trust the
key pair in `AUTH_LOCAL_SIGNING_KEY`, made when the stack or test run starts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from pydantic import ConfigDict

from chalicelib.shared import jsontext
from chalicelib.shared.config import get_settings
from chalicelib.shared.errors import ForbiddenError, ServiceUnavailableError, UnauthorizedError
from chalicelib.shared.models import Model

SUPPORT_AGENTS = "support_agents"
BUSINESS_AGENTS = "business_agents"
# How a refusal names a role to the person refused (never the code).
ROLE_NAMES = {
    SUPPORT_AGENTS: "aux conseillers du support",
    BUSINESS_AGENTS: "aux agents des entités publiques",
}
ACCEPTED_TOKEN_USES = frozenset({"id", "access"})
REQUIRED_CLAIMS = ("exp", "iat", "iss", "token_use")
# An unknown kid triggers at most one JWKS refresh per this many seconds, so
# forged kids cannot turn every request into a fetch.
JWKS_REFRESH_INTERVAL_SECONDS = 60.0
# After a failed JWKS fetch, the next one waits 1 s, then 2, 4... at most this:
# requests meanwhile get a 503 at once instead of a fetch each.
JWKS_BACKOFF_CAP_SECONDS = 60.0
# The keys we verify with: RSA of 2048 bits at least, public exponent 65537.
MIN_RSA_BITS = 2048
RSA_EXPONENT = 65537
# JWT headers and claims nest no deeper than this (chalicelib/shared/jsontext.py).
MAX_TOKEN_JSON_DEPTH = 4
BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")
# Clock skew tolerated on `iat`/`nbf` (never on `exp`).
LEEWAY_SECONDS = 5
# DER prefix of a SHA-256 DigestInfo (RFC 8017, section 9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


class Identity(Model):
    """Who is calling, as the verified token says."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    email: str | None = None
    name: str | None = None
    roles: frozenset[str] = frozenset()

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def require_role(self, *roles: str) -> None:
        """Raise ForbiddenError unless the caller has one of `roles` (named in French)."""
        if not self.roles.intersection(roles):
            names = " ou ".join(ROLE_NAMES.get(role, "aux personnes habilitées") for role in roles)
            raise ForbiddenError(f"Cette action est réservée {names}.")


@dataclass(frozen=True)
class RsaPublicKey:
    """An RSA public key: modulus and exponent, as a JWKS publishes them."""

    n: int
    e: int

    @property
    def size_bytes(self) -> int:
        return (self.n.bit_length() + 7) // 8


class KeyStore(Protocol):
    """Public keys by key id."""

    def key_for(self, kid: str) -> RsaPublicKey | None: ...


class StaticKeyStore:
    """A fixed set of keys (the local and test stages)."""

    def __init__(self, keys: dict[str, RsaPublicKey]) -> None:
        self._keys = keys

    def key_for(self, kid: str) -> RsaPublicKey | None:
        return self._keys.get(kid)


def fetch_json(url: str) -> dict[str, Any]:
    """GET a JSON document (the JWKS), with a short timeout."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=3) as response:
        document: dict[str, Any] = json.loads(response.read())
    return document


class JwksKeyStore:
    """The issuer's JWKS: fetched on first use, refetched on an unknown kid (rate limited).

    A failed fetch (network, timeout, not a JWKS) is a 503 with Retry-After, and
    the next fetch waits (exponential backoff): an unreachable issuer is not
    hammered once per request. Keys already known keep verifying meanwhile.
    """

    def __init__(
        self,
        url: str,
        fetch: Callable[[str], dict[str, Any]] = fetch_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, RsaPublicKey] = {}
        self._fetched_at: float | None = None
        self._failures = 0
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def key_for(self, kid: str) -> RsaPublicKey | None:
        if kid in self._keys:
            return self._keys[kid]
        with self._lock:
            recently = (
                self._fetched_at is not None
                and self._clock() - self._fetched_at < JWKS_REFRESH_INTERVAL_SECONDS
            )
            if kid not in self._keys and not recently:
                self._refresh()
        return self._keys.get(kid)

    def _refresh(self) -> None:
        now = self._clock()
        if now < self._retry_at:
            raise ServiceUnavailableError(int(self._retry_at - now) + 1)
        try:
            keys = keys_from_jwks(self._fetch(self._url))
        except Exception as error:  # noqa: BLE001 - any failure of the issuer is a 503
            self._failures += 1
            delay = min(2.0 ** (self._failures - 1), JWKS_BACKOFF_CAP_SECONDS)
            self._retry_at = now + delay
            from chalicelib.shared.logs import get_logger

            get_logger().warning("jwks fetch failed", extra={"error": type(error).__name__})
            raise ServiceUnavailableError(int(delay) + 1) from error
        self._keys, self._fetched_at = keys, now
        self._failures, self._retry_at = 0, 0.0


def _b64url_decode(text: str) -> bytes:
    """Strict base64url (RFC 7515): its alphabet only, no padding, canonical trailing bits."""
    if not BASE64URL.match(text) or len(text) % 4 == 1:
        raise UnauthorizedError("Jeton illisible.")
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:  # pragma: no cover - the pattern comes first
        raise UnauthorizedError("Jeton illisible.") from error
    if base64.urlsafe_b64encode(decoded).rstrip(b"=").decode() != text:
        raise UnauthorizedError("Jeton illisible.")
    return decoded


def _b64url_int(text: str) -> int:
    return int.from_bytes(_b64url_decode(text), "big")


def keys_from_jwks(jwks: dict[str, Any]) -> dict[str, RsaPublicKey]:
    """The RSA signing keys of a JWKS document, by kid: 2048 bits or more, e = 65537.

    A weaker key in the document is left out (a token it signed is refused as
    signed by an unknown key); a document that is no JWKS raises ValueError.
    """
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ValueError("not a JWKS document")
    keys: dict[str, RsaPublicKey] = {}
    for jwk in jwks["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or "kid" not in jwk:
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        try:
            key = RsaPublicKey(n=_b64url_int(str(jwk["n"])), e=_b64url_int(str(jwk["e"])))
        except (KeyError, UnauthorizedError):
            continue
        if key.n.bit_length() >= MIN_RSA_BITS and key.e == RSA_EXPONENT:
            keys[str(jwk["kid"])] = key
    return keys


def generate_signing_key() -> str:
    """A new RSA private key as a JWK (JSON text), for a local or test stack."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private_key))
    digest = hashlib.sha256(f"{jwk['n']}.{jwk['e']}".encode()).digest()
    jwk.update(
        {"kid": base64.urlsafe_b64encode(digest[:12]).decode(), "use": "sig", "alg": "RS256"}
    )
    return json.dumps(jwk)


PUBLIC_JWK_MEMBERS = ("kty", "kid", "use", "alg", "n", "e")


def public_jwks(signing_key: str) -> dict[str, Any]:
    """The JWKS document that publishes the public half of a private JWK."""
    jwk = json.loads(signing_key)
    return {"keys": [{name: jwk[name] for name in PUBLIC_JWK_MEMBERS if name in jwk}]}


def mint_token(
    signing_key: str,
    *,
    issuer: str,
    audience: str,
    user_id: str,
    email: str | None = None,
    name: str | None = None,
    groups: list[str] | None = None,
    now: datetime,
    lifetime_seconds: int = 3600,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """A Cognito-shaped ID token signed with the local key (PyJWT, minting side only)."""
    import jwt
    from jwt.algorithms import RSAAlgorithm

    jwk = json.loads(signing_key)
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "sub": user_id,
        "cognito:username": user_id,
        "iss": issuer,
        "aud": audience,
        "token_use": "id",
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime_seconds,
    }
    if email:
        claims["email"] = email
    if name:
        claims["name"] = name
    if groups:
        claims["cognito:groups"] = groups
    claims.update(extra_claims or {})
    claims = {key: value for key, value in claims.items() if value is not None}
    private_key: Any = RSAAlgorithm.from_jwk(jwk)
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": jwk["kid"]})


def rs256_signature_is_valid(key: RsaPublicKey, signing_input: bytes, signature: bytes) -> bool:
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017, 8.2.2), by encoding and comparing.

    The expected encoded message is built in full and compared in constant
    time; nothing of the decrypted block is parsed, which is what lenient
    verifiers got wrong (Bleichenbacher 2006). Done with `pow` rather than
    through `cryptography` because importing it costs ~100 ms of cold start
    on every authenticated request (bench/cold_start.py).
    """
    size = key.size_bytes
    if len(signature) != size:
        return False
    value = int.from_bytes(signature, "big")
    if value >= key.n:
        return False
    encoded = pow(value, key.e, key.n).to_bytes(size, "big")
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(signing_input).digest()
    padding_length = size - len(digest_info) - 3
    if padding_length < 8:
        return False
    expected = b"\x00\x01" + b"\xff" * padding_length + b"\x00" + digest_info
    return hmac.compare_digest(encoded, expected)


def _json_object(segment: str) -> dict[str, Any]:
    try:
        value = jsontext.parse(_b64url_decode(segment), MAX_TOKEN_JSON_DEPTH)
    except ValueError as error:
        raise UnauthorizedError("Jeton illisible.") from error
    if not isinstance(value, dict):
        raise UnauthorizedError("Jeton illisible.")
    return value


def verify_token(
    token: str, keys: KeyStore, *, issuer: str, audience: str, now: datetime | None = None
) -> dict[str, Any]:
    """The verified claims of `token`, or UnauthorizedError."""
    parts = token.split(".")
    if len(parts) != 3:
        raise UnauthorizedError("Jeton illisible.")
    header = _json_object(parts[0])
    if header.get("alg") != "RS256":
        raise UnauthorizedError("Algorithme de signature refusé.")
    if "crit" in header:
        # No extension is understood here, so none may be critical (RFC 7515, 4.1.11).
        raise UnauthorizedError("Extension critique refusée.")
    key = keys.key_for(str(header.get("kid", "")))
    if key is None:
        raise UnauthorizedError("Clé de signature inconnue.")
    signing_input = f"{parts[0]}.{parts[1]}".encode()
    if not rs256_signature_is_valid(key, signing_input, _b64url_decode(parts[2])):
        raise UnauthorizedError("Signature invalide.")
    claims = _json_object(parts[1])
    _check_times(claims, now.timestamp() if now is not None else time.time())
    if claims["iss"] != issuer:
        raise UnauthorizedError("Émetteur du jeton refusé.")
    _check_audience_and_use(claims, audience)
    return claims


def _check_times(claims: dict[str, Any], instant: float) -> None:
    for name in REQUIRED_CLAIMS:
        if name not in claims:
            raise UnauthorizedError(f"Jeton incomplet ({name}).")
    for name in ("exp", "iat", "nbf"):
        # NumericDate as whole seconds: no float (so no NaN or infinity), no boolean.
        value = claims.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int):
            raise UnauthorizedError(f"Jeton invalide ({name}).")
    if claims["exp"] <= instant:
        raise UnauthorizedError("Jeton expiré.")
    if max(claims.get("nbf", 0), claims["iat"]) > instant + LEEWAY_SECONDS:
        raise UnauthorizedError("Jeton pas encore valide.")


def _check_audience_and_use(claims: dict[str, Any], audience: str) -> None:
    token_use = claims.get("token_use")
    if token_use not in ACCEPTED_TOKEN_USES:
        raise UnauthorizedError("Type de jeton refusé.")
    # Cognito ID tokens carry `aud`; access tokens carry `client_id` instead.
    claimed = claims.get("aud") if token_use == "id" else claims.get("client_id")
    if isinstance(claimed, list):
        matches = audience in claimed
    else:
        matches = claimed == audience
    if not matches:
        raise UnauthorizedError("Jeton destiné à une autre application.")


def identity_from_claims(claims: dict[str, Any]) -> Identity:
    """The caller described by verified claims; roles are the Cognito groups."""
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = [groups]
    return Identity(
        user_id=str(claims.get("cognito:username") or claims.get("username") or claims["sub"]),
        email=claims.get("email"),
        name=claims.get("name"),
        roles=frozenset(str(group) for group in groups),
    )


@cache
def trusted_keys() -> KeyStore:
    """The keys this stage trusts."""
    settings = get_settings()
    if settings.stage in ("local", "test") and settings.auth_local_signing_key:
        return StaticKeyStore(keys_from_jwks(public_jwks(settings.auth_local_signing_key)))
    return JwksKeyStore(settings.jwks_url)


def authenticate(authorization: str | None) -> Identity | None:
    """The caller behind an `Authorization` header; None when there is none."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("En-tête Authorization attendu : Bearer <jeton>.")
    settings = get_settings()
    claims = verify_token(
        token.strip(),
        trusted_keys(),
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
    )
    return identity_from_claims(claims)
