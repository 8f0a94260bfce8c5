"""Routing, nothing lost: stream -> dispatcher -> queue per recipient type -> consumer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.functional.tickets_support import (
    SUPPORT_BODY,
    BatchItemFailedError,
    RoutingPump,
    post,
    submit,
)

Auth = Callable[[str], dict[str, str]]


def _submitted(client: Any, auth: Auth, base: dict[str, Any] | None = None) -> dict[str, Any]:
    response = submit(client, auth("alice"), base=base)
    assert response.status_code == 201, response.body
    body: dict[str, Any] = json.loads(response.body)
    return body


def _team_mails(mails: list[Any], reference: str) -> list[Any]:
    """The recipient team's e-mails about a ticket (its emitter gets an acknowledgement)."""
    return [m for m in mails if m.subject.startswith(f"[{reference}] Nouveau ticket")]


def _emitter_mails(mails: list[Any], reference: str) -> list[Any]:
    return [
        m
        for m in mails
        if reference in m.subject
        and m.destinations["ToAddresses"] == ["alice.martin@boulangerie-martin.example.fr"]
    ]


def _history(client: Any, auth: Auth, ticket_id: str) -> list[dict[str, Any]]:
    ticket = json.loads(client.http.get(f"/tickets/{ticket_id}", headers=auth("alice")).body)
    history: list[dict[str, Any]] = ticket["history"]
    return history


def test_business_ticket_reaches_the_business_queue_with_a_versioned_message(
    client: Any, auth: Auth, routing: RoutingPump
) -> None:
    ticket = _submitted(client, auth)

    routing.dispatch()

    assert routing.queue_bodies("business") == [
        {
            "schema_version": 1,
            "ticket_id": ticket["ticket_id"],
            "reference": ticket["reference"],
            "recipient": {
                "type": "business",
                "organisation_id": "org-mairie-valbourg",
                "designation": "Mairie de Valbourg",
            },
            "dispatch_seq": 1,
        }
    ]
    assert routing.queue_bodies("support") == []


def test_consumer_marks_the_ticket_delivered_and_emails_the_business_team(
    client: Any, auth: Auth, routing: RoutingPump, sent_mail: Callable[[], list[Any]]
) -> None:
    ticket = _submitted(client, auth)

    routing.run()

    history = _history(client, auth, ticket["ticket_id"])
    assert [h["event"] for h in history] == ["submitted", "delivered"]
    assert history[1]["by"]["role"] == "system"
    mails = _team_mails(sent_mail(), ticket["reference"])
    assert [m.destinations["ToAddresses"] for m in mails] == [
        ["factures@mairie-valbourg.example.fr"]
    ]
    assert "FA-2026-0003" in mails[0].body
    assert routing.queue_bodies("business") == []


def test_support_ticket_goes_to_the_support_queue_and_team(
    client: Any, auth: Auth, routing: RoutingPump, sent_mail: Callable[[], list[Any]]
) -> None:
    ticket = _submitted(client, auth, SUPPORT_BODY)

    routing.dispatch()
    queued = routing.queue_bodies("support")
    routing.run()

    assert [m["ticket_id"] for m in queued] == [ticket["ticket_id"]]
    assert routing.queue_bodies("business") == []
    mails = _team_mails(sent_mail(), ticket["reference"])
    assert [m.destinations["ToAddresses"] for m in mails] == [["equipe-support@guichet.example.fr"]]


def test_a_message_delivered_twice_has_the_effect_of_one(
    client: Any, auth: Auth, routing: RoutingPump, sent_mail: Callable[[], list[Any]]
) -> None:
    ticket = _submitted(client, auth)
    routing.dispatch()
    body = json.dumps(routing.queue_bodies("business")[0])

    routing.invoke_consumer("business", body)
    routing.invoke_consumer("business", body)

    events = [h["event"] for h in _history(client, auth, ticket["ticket_id"])]
    assert events.count("delivered") == 1
    assert len(_team_mails(sent_mail(), ticket["reference"])) == 1


def test_a_stream_batch_retried_sends_again_and_still_delivers_once(
    client: Any, auth: Auth, routing: RoutingPump, sent_mail: Callable[[], list[Any]]
) -> None:
    ticket = _submitted(client, auth)
    records = routing._read_stream()
    batch = {"Records": [routing._as_lambda_record(r) for r in records]}

    client.lambda_.invoke("dispatch_tickets", batch)
    client.lambda_.invoke("dispatch_tickets", batch)  # Lambda retrying the same batch
    delivered = routing.deliver("business")
    notified = routing.deliver("notifications")

    assert (delivered, notified) == (2, 2)
    events = [h["event"] for h in _history(client, auth, ticket["ticket_id"])]
    assert events.count("delivered") == 1
    assert len(_team_mails(sent_mail(), ticket["reference"])) == 1
    # The submission's event came twice: its acknowledgement went once.
    assert len(_emitter_mails(sent_mail(), ticket["reference"])) == 1


def test_submit_while_sqs_fails_is_acknowledged_and_reaches_its_queue_afterwards(
    client: Any,
    auth: Auth,
    routing: RoutingPump,
    failing_sqs: Callable[[bool], None],
) -> None:
    failing_sqs(True)

    response = submit(client, auth("alice"))
    with pytest.raises(BatchItemFailedError):
        routing.dispatch()  # the dispatcher reports the record: Lambda retries from it

    assert response.status_code == 201
    ticket_id = json.loads(response.body)["ticket_id"]
    assert routing.queue_bodies("business") == []
    assert routing.pending  # the stream records are still to handle

    failing_sqs(False)
    routing.dispatch()

    assert [m["ticket_id"] for m in routing.queue_bodies("business")] == [ticket_id]
    routing.run()
    assert "delivered" in [h["event"] for h in _history(client, auth, ticket_id)]


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue(
    client: Any, routing: RoutingPump, aws_env: dict[str, str]
) -> None:
    import boto3

    sqs = boto3.client("sqs", region_name="eu-west-3")
    queue_url = aws_env["SUPPORT_QUEUE_URL"]
    dlq_url = sqs.get_queue_url(QueueName="guichet-test-support-tickets-dlq")["QueueUrl"]
    poison = json.dumps({"schema_version": 99, "ticket_id": "t", "reference": "T-0"})
    sqs.send_message(QueueUrl=queue_url, MessageBody=poison)

    failures = 0
    for _ in range(10):
        messages = routing.receive("support")
        if not messages:
            break
        # Reported, so that SQS redelivers it: here, the message's schema is unknown.
        with pytest.raises(BatchItemFailedError):
            routing.invoke_consumer("support", messages[0]["Body"], messages[0]["ReceiptHandle"])
        failures += 1

    dead = sqs.receive_message(QueueUrl=dlq_url, AttributeNames=["All"]).get("Messages", [])
    assert failures == 5
    assert [m["Body"] for m in dead] == [poison]
    assert routing.receive("support") == []


def test_a_message_for_an_unknown_ticket_is_retried_not_dropped(
    client: Any, routing: RoutingPump
) -> None:
    message = {
        "schema_version": 1,
        "ticket_id": "ghost",
        "reference": "T-2026-999999",
        "recipient": {"type": "support", "designation": "Support Chorus Pro"},
        "dispatch_seq": 1,
    }

    with pytest.raises(BatchItemFailedError):
        routing.invoke_consumer("support", json.dumps(message))


def test_a_message_on_the_wrong_queue_is_refused(
    client: Any, auth: Auth, routing: RoutingPump
) -> None:
    _submitted(client, auth)
    routing.dispatch()
    body = json.dumps(routing.queue_bodies("business")[0])

    with pytest.raises(BatchItemFailedError):
        routing.invoke_consumer("support", body)


def test_a_stale_message_after_a_transfer_is_dropped(
    client: Any, auth: Auth, routing: RoutingPump
) -> None:
    ticket = _submitted(client, auth)
    routing.dispatch()
    stale = json.dumps(routing.queue_bodies("business")[0])
    post(client, f"/desk/tickets/{ticket['ticket_id']}/transfer", auth("marc"))

    routing.invoke_consumer("business", stale)

    events = [h["event"] for h in _history(client, auth, ticket["ticket_id"])]
    assert "delivered" not in events


def test_only_ticket_dispatches_reach_the_queues(
    client: Any, auth: Auth, routing: RoutingPump
) -> None:
    ticket = _submitted(client, auth)
    routing.run()
    post(client, f"/tickets/{ticket['ticket_id']}/comments", auth("alice"), {"text": "Précision"})
    post(client, f"/desk/tickets/{ticket['ticket_id']}/assign", auth("marc"))

    handled = routing.dispatch()

    assert handled > 0
    assert routing.queue_bodies("business") == []
    assert routing.queue_bodies("support") == []


def test_handlers_are_declared_with_stage_derived_sources() -> None:
    from chalice.app import DynamoDBEventConfig, SQSEventConfig

    from app import app
    from chalicelib.shared.config import current_stage, resource_name, tickets_stream_arn

    sources = {source.name: source for source in app.event_sources}
    stream = sources["dispatch_tickets"]
    support = sources["deliver_support_tickets"]
    business = sources["deliver_business_tickets"]

    assert isinstance(stream, DynamoDBEventConfig)
    assert isinstance(support, SQSEventConfig) and isinstance(business, SQSEventConfig)
    assert stream.stream_arn.split("/")[1] == resource_name(current_stage(), "tickets")
    assert support.queue == resource_name(current_stage(), "support-tickets")
    assert business.queue == resource_name(current_stage(), "business-tickets")
    assert support.batch_size == business.batch_size == 10
    assert tickets_stream_arn("prod").startswith("arn:aws:dynamodb:")
    assert ":table/guichet-prod-tickets/stream/" in tickets_stream_arn("prod")


def test_a_delivery_interrupted_before_its_email_completes_on_retry(
    client: Any, auth: Auth, routing: RoutingPump, sent_mail: Callable[[], list[Any]]
) -> None:
    from botocore.exceptions import EndpointConnectionError

    from chalicelib.shared import aws

    ses_down = {"now": False}

    def refuse(**_: Any) -> None:
        if ses_down["now"]:
            raise EndpointConnectionError(endpoint_url="https://email.invalid")

    # Hooks reach the clients made after them: register before the app makes its SES client.
    aws.session().events.register("before-call.ses.SendEmail", refuse)
    ticket = _submitted(client, auth)
    routing.dispatch()
    body = json.dumps(routing.queue_bodies("business")[0])

    ses_down["now"] = True
    with pytest.raises(BatchItemFailedError):
        routing.invoke_consumer("business", body)
    history_after_failure = [h["event"] for h in _history(client, auth, ticket["ticket_id"])]
    ses_down["now"] = False
    routing.invoke_consumer("business", body)
    routing.invoke_consumer("business", body)

    assert history_after_failure.count("delivered") == 1
    events = [h["event"] for h in _history(client, auth, ticket["ticket_id"])]
    assert events.count("delivered") == 1
    assert len(_team_mails(sent_mail(), ticket["reference"])) == 1
