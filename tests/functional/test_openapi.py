"""The published OpenAPI document is valid and lists every route the app declares."""

from __future__ import annotations

import json
from typing import Any

from openapi_spec_validator import validate


def test_openapi_document_is_valid_openapi_3_1(client: Any) -> None:
    response = client.http.get("/openapi.json")

    assert response.status_code == 200
    document = json.loads(response.body)
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_declared_route_is_in_the_openapi_document(client: Any) -> None:
    from app import app

    document = json.loads(client.http.get("/openapi.json").body)

    declared = {
        (path, method.lower()) for path, methods in app.routes.items() for method in methods
    }
    documented = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    assert declared == documented


def test_anonymous_routes_are_exactly_those_the_contract_allows(client: Any) -> None:
    document = json.loads(client.http.get("/openapi.json").body)
    contract_anonymous = {
        ("/health", "get"),
        ("/openapi.json", "get"),
        ("/local/token", "post"),
        ("/assistant/conversations", "post"),
        ("/assistant/conversations/{conversation_id}/messages", "post"),
        ("/assistant/conversations/{conversation_id}/messages/{message_id}/rating", "put"),
        # An extension of the contract: "Aucun de ces sujets", answered like a message.
        ("/assistant/conversations/{conversation_id}/messages/{message_id}/none-of-these", "post"),
        ("/assistant/conversations/{conversation_id}", "get"),
        ("/assistant/conversations/{conversation_id}/ticket-draft", "get"),
        ("/livechat/availability", "get"),
        ("/livechat/categories", "get"),
        ("/livechat/sessions", "post"),
        ("/livechat/sessions/{session_id}", "get"),
        ("/livechat/sessions/{session_id}/messages", "get"),
        ("/livechat/sessions/{session_id}/messages", "post"),
        ("/livechat/sessions/{session_id}/close", "post"),
        ("/livechat/sessions/{session_id}/rating", "put"),
        ("/tickets/catalogue", "get"),
        ("/tickets/attachments", "post"),
        ("/tickets/attachments/{attachment_id}", "get"),
        ("/help/problems", "get"),
        ("/help/requests", "post"),
        # Following a help request: the follow-up link's token, not an account.
        ("/help/requests/{reference}", "get"),
        ("/help/requests/{reference}/comments", "post"),
        ("/help/requests/{reference}/reopen", "post"),
        ("/help/requests/{reference}/close", "post"),
        ("/help/requests/{reference}/satisfaction", "put"),
        ("/local/mailbox", "get"),
        ("/assistant/suggestions", "get"),
        ("/assistant/suggestions/deflections", "post"),
    }

    anonymous = {
        (path, method)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if {} in operation["security"]
    }
    assert anonymous == contract_anonymous


def test_the_follow_up_routes_document_the_headers_they_read(client: Any) -> None:
    document = json.loads(client.http.get("/openapi.json").body)
    paths = document["paths"]

    def headers(path: str, method: str) -> set[str]:
        return {p["name"] for p in paths[path][method]["parameters"] if p["in"] == "header"}

    assert headers("/help/requests/{reference}", "get") == {"X-Follow-Token"}
    assert headers("/help/requests/{reference}/comments", "post") == {
        "X-Follow-Token",
        "X-Upload-Token",
    }
