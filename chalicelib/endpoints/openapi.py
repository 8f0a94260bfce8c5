"""The OpenAPI 3.1 document, built from the route declarations and their pydantic models."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter

from chalicelib.endpoints.api import ROUTES, RouteSpec
from chalicelib.endpoints.table import load_all

REF_TEMPLATE = "#/components/schemas/{model}"
STATUS_TEXT = {
    200: "OK",
    201: "Créé",
    400: "Requête invalide (JSON mal formé ou mauvais type de contenu)",
    401: "Authentification requise",
    403: "Rôle manquant",
    404: "Introuvable (ou appartenant à un autre utilisateur)",
    409: "Conflit d'état",
    413: "Contenu trop volumineux",
    422: "Champ invalide",
    429: "Trop de requêtes",
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


class _Schemas:
    """Collects component schemas while the operations reference them."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}

    def schema_for(self, type_: Any, mode: str) -> dict[str, Any]:
        schema = TypeAdapter(type_).json_schema(ref_template=REF_TEMPLATE, mode=mode)  # type: ignore[arg-type]
        for name, definition in schema.pop("$defs", {}).items():
            self.components.setdefault(name, definition)
        title = schema.get("title")
        if schema.get("type") == "object" and isinstance(title, str) and title.isidentifier():
            self.components.setdefault(title, schema)
            return {"$ref": REF_TEMPLATE.format(model=title)}
        return schema


def _parameters(spec: RouteSpec, schemas: _Schemas) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in spec.path_parameters
    ]
    if spec.query is not None:
        query_schema = spec.query.model_json_schema(ref_template=REF_TEMPLATE)
        required = set(query_schema.get("required", []))
        for name, prop in query_schema.get("properties", {}).items():
            parameters.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    if spec.idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
            }
        )
    return parameters


def _operation(spec: RouteSpec, schemas: _Schemas) -> dict[str, Any]:
    success: dict[str, Any] = {"description": STATUS_TEXT.get(spec.status, "OK")}
    if spec.response is not None:
        success["content"] = {
            "application/json": {"schema": schemas.schema_for(spec.response, "serialization")}
        }
    else:
        success["content"] = {"application/json": {"schema": {}}}
    responses: dict[str, Any] = {str(spec.status): success}
    statuses = set(spec.errors)
    if spec.body is not None:
        statuses |= {400, 422}
    if not spec.anonymous:
        statuses.add(401)
    if spec.roles:
        statuses.add(403)
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": STATUS_TEXT.get(status, "Erreur"),
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
    operation: dict[str, Any] = {
        "operationId": spec.operation_id,
        "summary": spec.summary,
        "tags": [spec.tag],
        "parameters": _parameters(spec, schemas),
        "responses": responses,
        "security": [{}, {"bearer": []}] if spec.anonymous else [{"bearer": []}],
    }
    if spec.roles:
        operation["description"] = "Rôles : " + ", ".join(spec.roles)
    if spec.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": schemas.schema_for(spec.body, "validation")}
            },
        }
    return operation


@cache
def build_document() -> dict[str, Any]:
    """The whole document (built once per process), every edge module loaded first."""
    load_all()
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Guichet",
            "version": "1.0.0",
            "description": "Assistance aux utilisateurs du portail de facturation électronique : "
            "assistant virtuel, LiveChat et tickets.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
