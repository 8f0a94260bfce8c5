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
import hashlib
import json
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict

from chalicelib.config import get_settings
from chalicelib.errors import ForbiddenError, UnauthorizedError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

SUPPORT_AGENTS = "support_agents"
BUSINESS_AGENTS = "business_agents"
ACCEPTED_TOKEN_USES = frozenset({"id", "access"})
# An unknown kid triggers at most one JWKS refresh per this many seconds, so
# forged kids cannot turn every request into a fetch.
JWKS_REFRESH_INTERVAL_SECONDS = 60.0


class Identity(BaseModel):
    """Who is calling, as the verified token says."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    email: str | None = None
    name: str | None = None
    roles: frozenset[str] = frozenset()

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def require_role(self, *roles: str) -> None:
        """Raise ForbiddenError unless the caller has one of `roles`."""
        if not self.roles.intersection(roles):
            raise ForbiddenError("Cette action est réservée à : " + ", ".join(roles) + ".")


class KeyStore(Protocol):
    """Public keys by key id."""

    def key_for(self, kid: str) -> RSAPublicKey | None: ...


class StaticKeyStore:
    """A fixed set of keys (the local and test stages)."""

    def __init__(self, keys: dict[str, RSAPublicKey]) -> None:
        self._keys = keys

    def key_for(self, kid: str) -> RSAPublicKey | None:
        return self._keys.get(kid)


def fetch_json(url: str) -> dict[str, Any]:
    """GET a JSON document (the JWKS), with a short timeout."""
    with urllib.request.urlopen(url, timeout=3) as response:
        document: dict[str, Any] = json.loads(response.read())
    return document


class JwksKeyStore:
    """The issuer's JWKS: fetched on first use, refetched on an unknown kid (rate limited)."""

    def __init__(
        self,
        url: str,
        fetch: Callable[[str], dict[str, Any]] = fetch_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, RSAPublicKey] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def key_for(self, kid: str) -> RSAPublicKey | None:
        if kid in self._keys:
            return self._keys[kid]
        with self._lock:
            recently = (
                self._fetched_at is not None
                and self._clock() - self._fetched_at < JWKS_REFRESH_INTERVAL_SECONDS
            )
            if kid not in self._keys and not recently:
                self._keys = keys_from_jwks(self._fetch(self._url))
                self._fetched_at = self._clock()
        return self._keys.get(kid)


def keys_from_jwks(jwks: dict[str, Any]) -> dict[str, RSAPublicKey]:
    """The RSA signing keys of a JWKS document, by kid."""
    from jwt.algorithms import RSAAlgorithm

    keys: dict[str, RSAPublicKey] = {}
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") == "RSA" and jwk.get("use", "sig") == "sig" and "kid" in jwk:
            keys[jwk["kid"]] = RSAAlgorithm.from_jwk(jwk)  # type: ignore[assignment]
    return keys


def key_id(public_key: RSAPublicKey) -> str:
    """A stable kid for a key: the base64url SHA-256 of its public numbers."""
    numbers = public_key.public_numbers()
    digest = hashlib.sha256(f"{numbers.n}:{numbers.e}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def generate_signing_key() -> str:
    """A new RSA private key as PEM, for a local or test stack."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@cache
def _private_key(pem: str) -> RSAPrivateKey:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(pem.encode(), password=None)
    return key  # type: ignore[return-value]


def public_jwks(pem: str) -> dict[str, Any]:
    """The JWKS document that publishes the public half of `pem`."""
    from jwt.algorithms import RSAAlgorithm

    public_key = _private_key(pem).public_key()
    jwk = json.loads(RSAAlgorithm.to_jwk(public_key))
    jwk.update({"kid": key_id(public_key), "use": "sig", "alg": "RS256"})
    return {"keys": [jwk]}


def mint_token(
    pem: str,
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
    """A Cognito-shaped ID token signed with the local key."""
    import jwt

    private_key = _private_key(pem)
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
    return jwt.encode(
        claims, private_key, algorithm="RS256", headers={"kid": key_id(private_key.public_key())}
    )


def verify_token(
    token: str, keys: KeyStore, *, issuer: str, audience: str, now: datetime | None = None
) -> dict[str, Any]:
    """The verified claims of `token`, or UnauthorizedError."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise UnauthorizedError("Jeton illisible.") from error
    if header.get("alg") != "RS256":
        raise UnauthorizedError("Algorithme de signature refusé.")
    key = keys.key_for(str(header.get("kid", "")))
    if key is None:
        raise UnauthorizedError("Clé de signature inconnue.")
    options: dict[str, Any] = {"require": ["exp", "iat", "iss", "token_use"], "verify_aud": False}
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer=issuer,
            options=options,  # type: ignore[arg-type]
            leeway=0,
        )
    except jwt.PyJWTError as error:
        raise UnauthorizedError("Jeton invalide ou expiré.") from error
    if now is not None and claims["exp"] <= now.timestamp():
        raise UnauthorizedError("Jeton expiré.")
    _check_audience_and_use(claims, audience)
    return claims


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
