"""What API Gateway answers without calling the app, written as the app's own problems.

A REST API answers a path or method that no route declares with its own
`403 {"message": "Missing Authentication Token"}`, and throttling, a body too
big or a Lambda timeout with other bare JSON. The CDK stack turns each of
these gateway responses into application/problem+json (RFC 9457) with the
status the app would give, the portal's CORS origin and, where waiting helps,
Retry-After (infra/stack.py `_gateway_responses`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class GatewayResponse:
    """A response API Gateway gives without calling the app, as a problem (RFC 9457)."""

    response_type: str
    status: int
    slug: str
    title: str
    detail: str
    retry_after: int = 0

    def template(self) -> str:
        """The mapping template: a problem with API Gateway's request id to quote."""
        problem = {
            "type": f"https://guichet.example.fr/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "errors": [],
            "correlation_id": "$context.requestId",
        }
        return json.dumps(problem, ensure_ascii=False)


# API Gateway answers a path or method no route declares with MISSING_AUTHENTICATION_TOKEN
# (403 "Missing Authentication Token"): a 404 problem here, as the app's own 404s.
GATEWAY_RESPONSES = (
    GatewayResponse(
        "MISSING_AUTHENTICATION_TOKEN",
        404,
        "not-found",
        "Introuvable",
        "Aucune ressource à cette adresse.",
    ),
    GatewayResponse(
        "RESOURCE_NOT_FOUND", 404, "not-found", "Introuvable", "Aucune ressource à cette adresse."
    ),
    GatewayResponse(
        "THROTTLED",
        429,
        "too-many-requests",
        "Trop de requêtes",
        "Trop de demandes : réessayez plus tard.",
        retry_after=1,
    ),
    GatewayResponse(
        "REQUEST_TOO_LARGE",
        413,
        "payload-too-large",
        "Contenu trop volumineux",
        "Le corps de la requête est trop volumineux.",
    ),
    GatewayResponse(
        "UNSUPPORTED_MEDIA_TYPE",
        415,
        "unsupported-media-type",
        "Type de contenu non pris en charge",
        "Indiquez Content-Type: application/json.",
    ),
    GatewayResponse(
        "INTEGRATION_TIMEOUT",
        504,
        "timeout",
        "Délai dépassé",
        "Le service n'a pas répondu à temps : réessayez.",
        retry_after=2,
    ),
    GatewayResponse(
        "DEFAULT_4XX", 400, "bad-request", "Requête invalide", "La requête a été refusée."
    ),
    GatewayResponse(
        "DEFAULT_5XX",
        502,
        "bad-gateway",
        "Service indisponible",
        "Une erreur est survenue : réessayez dans un instant.",
        retry_after=2,
    ),
)
