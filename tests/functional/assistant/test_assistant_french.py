"""Everything a user reads is French: validation messages and refusals, never pydantic's
English nor a role code."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.functional.assistant.test_assistant_dialogue import JSON, Headers, answer, start

ENGLISH = re.compile(r"\b(?:Input|should|valid|or|Field|required|expected)\b")


def test_a_wrong_rating_value_is_explained_in_french(client: Any) -> None:
    conversation_id = start(client)["conversation_id"]
    reply = answer(client, conversation_id, "mot de passe oublié")

    response = client.http.put(
        f"/assistant/conversations/{conversation_id}/messages/{reply['message_id']}/rating",
        headers=JSON,
        body=json.dumps({"value": "sideways"}),
    )

    assert response.status_code == 422
    problem = json.loads(response.body)
    assert problem["errors"] == [
        {"field": "value", "message": "Valeur attendue : « up » ou « down »."}
    ]
    assert not ENGLISH.search(
        response.body.decode() if isinstance(response.body, bytes) else response.body
    )


@pytest.mark.parametrize("body", [{"text": 12}, {"text": ["a"]}, {"text": None}, {}])
def test_a_malformed_message_is_explained_in_french(client: Any, body: dict[str, Any]) -> None:
    conversation_id = start(client)["conversation_id"]

    response = client.http.post(
        f"/assistant/conversations/{conversation_id}/messages", headers=JSON, body=json.dumps(body)
    )

    assert response.status_code == 422
    messages = [error["message"] for error in json.loads(response.body)["errors"]]
    assert messages and all(not ENGLISH.search(message) for message in messages)


def test_a_refusal_names_the_role_in_words_not_its_code(client: Any, auth: Headers) -> None:
    response = client.http.get("/agent/assistant/insights", headers=auth("alice"))

    assert response.status_code == 403
    detail = json.loads(response.body)["detail"]
    assert detail == "Cette action est réservée aux conseillers du support."
    assert "support_agents" not in response.body.decode()
