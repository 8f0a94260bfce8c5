"""Health, identity, directory and OpenAPI routes; the local stage's token route."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from pydantic import Field

from chalicelib import identity
from chalicelib.directory import Organisation
from chalicelib.endpoints import wiring
from chalicelib.endpoints.api import Api, Call, RequestModel
from chalicelib.endpoints.openapi import build_document
from chalicelib.shared.config import get_settings
from chalicelib.shared.models import Model

api = Api("identity")


class Health(Model):
    status: str


class LocalTokenRequest(RequestModel):
    user: str = Field(min_length=1, max_length=64)


class LocalToken(Model):
    token: str


class OrganisationQuery(RequestModel):
    query: str = Field(min_length=2, max_length=100)
    limit: int = Field(20, ge=1, le=100)


@api.route("/health", summary="Service health", anonymous=True, response=Health)
def health(call: Call) -> Health:
    return Health(status="ok")


@api.route("/me", summary="The caller and their organisations", response=identity.Me, errors=(401,))
def me(call: Call) -> identity.Me:
    return identity.describe_me(wiring.directory(), call.user)


@api.route(
    "/directory/public-organisations",
    summary="Public bodies by name or SIRET",
    query=OrganisationQuery,
    response=list[Organisation],
    errors=(401, 422),
)
def public_organisations(call: Call) -> list[Organisation]:
    query: OrganisationQuery = call.query
    return identity.find_public_organisations(wiring.directory(), query.query, query.limit)


@api.route(
    "/tickets/objects/{object_number}",
    summary=(
        "An object (invoice, statement, refund request) issued or received by the caller's"
        " organisations, and the recipient a ticket about it would have"
    ),
    response=identity.ObjectFound,
    errors=(401, 404),
)
def ticket_object(call: Call, object_number: str) -> identity.ObjectFound:
    return identity.find_object(wiring.directory(), call.user, unquote(object_number))


@api.route(
    "/local/token",
    "POST",
    summary="Mint a token for a demo user (local stage only; 404 elsewhere)",
    body=LocalTokenRequest,
    response=LocalToken,
    anonymous=True,
    errors=(404, 422),
)
def local_token(call: Call) -> LocalToken:
    body: LocalTokenRequest = call.body
    # Token validity is about real time, whatever instant GUICHET_NOW shows the service.
    now = datetime.now(UTC)
    token = identity.issue_local_token(wiring.directory(), get_settings(), body.user, now)
    return LocalToken(token=token)


@api.route("/openapi.json", summary="This API's OpenAPI 3.1 document", anonymous=True)
def openapi_document(call: Call) -> dict[str, Any]:
    return build_document()
