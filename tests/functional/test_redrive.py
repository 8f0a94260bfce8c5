"""The stream's failure path end to end on moto: a ticket whose dispatch keeps failing goes
to the on-failure queue, the redrive command replays it, replaying twice e-mails once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.shared import aws
from chalicelib.shared.config import resource_name
from infra.redrive import Redrive, RedriveReport
from infra.resources import STREAM_FAILURES_QUEUE, StreamFailures
from tests.functional.tickets_support import submit

Auth = Callable[[str], dict[str, str]]


@pytest.fixture
def recipient_queues_down(aws_env: dict[str, str]) -> Iterator[dict[str, bool]]:
    """SendMessage to a recipient queue fails while `state["down"]` (the failure queue works)."""
    from botocore.exceptions import EndpointConnectionError

    state = {"down": False}
    recipients = {aws_env["SUPPORT_QUEUE_URL"], aws_env["BUSINESS_QUEUE_URL"]}

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if state["down"] and params.get("QueueUrl") in recipients:
            raise EndpointConnectionError(endpoint_url="https://sqs.invalid")

    aws.session().events.register("before-parameter-build.sqs.SendMessage", refuse)
    yield state
    aws.session().events.unregister("before-parameter-build.sqs.SendMessage", refuse)


def _invoker(client: Any) -> Callable[[str, dict[str, Any]], Any]:
    return lambda name, event: client.lambda_.invoke(name.rsplit(":", 1)[-1], event).payload


def _failures_url() -> str:
    sqs = aws.session().client("sqs")
    return str(sqs.get_queue_url(QueueName=resource_name("test", "stream-failures"))["QueueUrl"])


def test_a_ticket_given_up_by_the_stream_is_redriven_and_delivered_once(
    client: Any,
    auth: Auth,
    recipient_queues_down: dict[str, bool],
    sent_mail: Callable[[], list[Any]],
) -> None:
    from app import app
    from infra.local.pump import Pump

    now = [0.0]
    pump = Pump(
        app,
        aws.session(),
        invoke=_invoker(client),
        clock=lambda: now[0],
        retry_visibility_seconds=0,
        stream_failures=StreamFailures(
            STREAM_FAILURES_QUEUE, max_retry_attempts=2, max_record_age_seconds=3600
        ),
    )
    recipient_queues_down["down"] = True
    response = submit(client, auth("alice"))
    assert response.status_code == 201
    reference = json.loads(response.body)["reference"]
    for _ in range(60):
        pump.tick()
        now[0] += 1.0
    sqs = aws.session().client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=_failures_url(), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"

    recipient_queues_down["down"] = False
    failure = sqs.receive_message(QueueUrl=_failures_url(), VisibilityTimeout=0)["Messages"][0]
    # The same failure twice: a replay of records that had gone through after all.
    sqs.send_message(QueueUrl=_failures_url(), MessageBody=failure["Body"])
    report = RedriveReport()
    Redrive(aws.session(), "test", _invoker(client)).stream_failures(report)
    pump.drain()

    assert report.replayed_batches == 2 and report.failed_batches == 0
    assert "Messages" not in sqs.receive_message(QueueUrl=_failures_url())
    # The recipient team's notice and alice's acknowledgement, each sent once.
    mails = [
        (tuple(m.destinations["ToAddresses"]), m.subject)
        for m in sent_mail()
        if reference in m.subject
    ]
    assert len(mails) == 2 and len(set(mails)) == 2
    assert any("alice" in to[0] for to, _ in mails)


def test_dead_letters_go_back_to_their_queue(client: Any, aws_env: dict[str, str]) -> None:
    sqs = aws.session().client("sqs")
    dead = sqs.get_queue_url(QueueName=resource_name("test", "support-tickets-dlq"))["QueueUrl"]
    sqs.send_message(QueueUrl=dead, MessageBody="lost?")

    report = RedriveReport()
    Redrive(aws.session(), "test", _invoker(client)).dead_letters(report)

    assert report.dead_letters_moved == {"support-tickets": 1}
    back = sqs.receive_message(QueueUrl=aws_env["SUPPORT_QUEUE_URL"])["Messages"]
    assert [m["Body"] for m in back] == ["lost?"]
