"""Domain errors, and the one place that renders errors as problem+json (RFC 9457)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

PROBLEM_JSON = "application/problem+json"


class FieldError:
    """One invalid field: where it is and what is wrong with it."""

    __slots__ = ("field", "message")

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class GuichetError(Exception):
    """A failure the client can act on; rendered as problem+json."""

    status = 500
    title = "Erreur interne"
    type_slug = "internal"

    def __init__(
        self,
        detail: str = "",
        *,
        errors: Iterable[FieldError] = (),
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = list(errors)
        self.extra = extra or {}
        self.headers = headers or {}

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://guichet.example.fr/problems/{self.type_slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "errors": [error.as_dict() for error in self.errors],
        }
        body.update(self.extra)
        return body


class BadRequestError(GuichetError):
    """The body is not JSON, or not of the expected content type."""

    status = 400
    title = "Requête invalide"
    type_slug = "bad-request"


class UnauthorizedError(GuichetError):
    """No token, or a token that does not verify."""

    status = 401
    title = "Authentification requise"
    type_slug = "unauthorized"


class ForbiddenError(GuichetError):
    """The caller lacks the role, or acts for an organisation that is not theirs."""

    status = 403
    title = "Accès refusé"
    type_slug = "forbidden"


class NotFoundError(GuichetError):
    """No such resource, or one that belongs to someone else."""

    status = 404
    title = "Introuvable"
    type_slug = "not-found"


class ConflictError(GuichetError):
    """The resource is not in a state that allows the action."""

    status = 409
    title = "Conflit d'état"
    type_slug = "conflict"


class PayloadTooLargeError(GuichetError):
    """The body or the declared file is too big."""

    status = 413
    title = "Contenu trop volumineux"
    type_slug = "payload-too-large"


class UnsupportedMediaTypeError(GuichetError):
    """A body came without saying it is JSON (no Content-Type)."""

    status = 415
    title = "Type de contenu non pris en charge"
    type_slug = "unsupported-media-type"


class InvalidFieldsError(GuichetError):
    """One or more fields are invalid; `errors` names them."""

    status = 422
    title = "Champs invalides"
    type_slug = "invalid-fields"

    @classmethod
    def single(cls, field: str, message: str) -> InvalidFieldsError:
        return cls(message, errors=[FieldError(field, message)])


class TooManyRequestsError(GuichetError):
    """The caller went past a rate limit; `Retry-After` says when to come back."""

    status = 429
    title = "Trop de requêtes"
    type_slug = "too-many-requests"

    def __init__(self, retry_after_seconds: int, detail: str = "") -> None:
        super().__init__(
            detail or "Trop de demandes : réessayez plus tard.",
            headers={"Retry-After": str(max(1, retry_after_seconds))},
        )


class ServiceUnavailableError(GuichetError):
    """A service we depend on is unreachable for now; `Retry-After` says when to try again."""

    status = 503
    title = "Service momentanément indisponible"
    type_slug = "service-unavailable"

    def __init__(self, retry_after_seconds: int, detail: str = "") -> None:
        super().__init__(
            detail or "Service momentanément indisponible : réessayez dans un instant.",
            headers={"Retry-After": str(max(1, retry_after_seconds))},
        )


class InternalError(GuichetError):
    """An unexpected failure; the body carries only a correlation id."""

    def __init__(self, correlation_id: str) -> None:
        super().__init__(
            "Une erreur inattendue est survenue. Donnez cet identifiant au support : "
            + correlation_id,
            extra={"correlation_id": correlation_id},
        )


def problem_body(error: GuichetError) -> str:
    """The JSON text of a problem response."""
    return json.dumps(error.problem(), ensure_ascii=False)
