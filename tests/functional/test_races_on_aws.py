"""Real DynamoDB answers races that moto serialises: TransactionConflict, a condition
failing on a concurrent retry, a throttled or unreachable service. Injected here on the
app's boto3 session: each is the first response, a 409 or a 503 with Retry-After, never
a 500."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.shared import aws
from tests.functional.tickets_support import submit

Auth = Callable[[str], dict[str, str]]
OPEN_FRIDAY = "2026-12-04T10:00:00+01:00"


class Injector:
    """Fails the next `times` calls of one operation with `error` (then lets them through)."""

    def __init__(self) -> None:
        self.plan: dict[str, list[Exception]] = {}
        self.seen: dict[str, int] = {}

    def fail(self, operation: str, error: Exception, times: int = 1) -> None:
        self.plan[operation] = [error] * times

    def __call__(self, model: Any, **_: Any) -> None:
        self.seen[model.name] = self.seen.get(model.name, 0) + 1
        planned = self.plan.get(model.name)
        if planned:
            raise planned.pop()


@pytest.fixture
def inject(aws_env: dict[str, str]) -> Iterator[Injector]:
    aws.reset()
    injector = Injector()
    aws.session().events.register("before-call.dynamodb.*", injector)
    yield injector
    aws.session().events.unregister("before-call.dynamodb.*", injector)


def cancelled(*codes: str) -> ClientError:
    response: Any = {
        "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
        "CancellationReasons": [{"Code": code, "Message": code} for code in codes],
    }
    return ClientError(response, "TransactWriteItems")


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) >= 1
    body: dict[str, Any] = json.loads(response.body)
    return body


def test_a_submit_that_meets_a_transaction_conflict_is_a_409_to_retry(
    client: Any, auth: Auth, inject: Injector
) -> None:
    # ticket, event, idempotency: DynamoDB names the conflicting item.
    inject.fail("TransactWriteItems", cancelled("None", "None", "TransactionConflict"))
    headers = {**auth("alice"), "Idempotency-Key": "conflict-1"}

    _problem(submit(client, headers), 409)
    retried = submit(client, headers)

    assert retried.status_code == 201


def test_a_retry_whose_key_a_concurrent_call_took_gets_its_response(
    client: Any, auth: Auth, inject: Injector
) -> None:
    headers = {**auth("alice"), "Idempotency-Key": "race-1"}
    first = submit(client, headers)
    # The winner's record comes back with the cancellation: no read of it.
    retry = submit(client, headers)

    assert json.loads(retry.body) == json.loads(first.body)
    assert inject.seen.get("GetItem", 0) == 0


def test_a_single_write_conflicting_with_a_transaction_is_a_409(
    client: Any, auth: Auth, inject: Injector
) -> None:
    inject.fail(
        "UpdateItem",
        ClientError(
            {"Error": {"Code": "TransactionConflictException", "Message": "conflict"}},
            "UpdateItem",
        ),
    )
    _problem(submit(client, auth("alice")), 409)


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="https://dynamodb.invalid"),
        ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "Query"),
    ],
    ids=["unreachable", "throttled"],
)
def test_dynamodb_unreachable_or_throttled_is_a_503(
    client: Any, auth: Auth, inject: Injector, error: Exception
) -> None:
    inject.fail("Query", error)
    _problem(client.http.get("/tickets", headers=auth("alice")), 503)


def test_a_chat_message_that_loses_races_is_retried_and_stored(
    client: Any, auth: Auth, inject: Injector, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    created = client.http.post(
        "/livechat/sessions", headers=auth("alice"), body=json.dumps({"category": "FACTURE"})
    )
    session_id = json.loads(created.body)["session_id"]
    inject.fail("TransactWriteItems", cancelled("TransactionConflict", "None"), times=3)
    inject.plan["TransactWriteItems"].insert(0, cancelled("ConditionalCheckFailed", "None"))

    posted = client.http.post(
        f"/livechat/sessions/{session_id}/messages",
        headers=auth("alice"),
        body=json.dumps({"text": "Bonjour"}),
    )

    assert posted.status_code == 201, posted.body
    messages = client.http.get(f"/livechat/sessions/{session_id}/messages", headers=auth("alice"))
    assert [m["text"] for m in json.loads(messages.body)["messages"]] == ["Bonjour"]
