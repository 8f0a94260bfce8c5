"""The local stack's pump delivers SQS, S3, DynamoDB stream and schedule events to handlers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice import Chalice, Rate

from chalicelib.shared import aws
from chalicelib.shared.config import resource_name
from infra.local.pump import Pump


@pytest.fixture
def recorder_app() -> tuple[Chalice, dict[str, list[Any]]]:
    """An app whose handlers only record what they receive."""
    app = Chalice(app_name="pump-test")
    seen: dict[str, list[Any]] = {"sqs": [], "s3": [], "stream": [], "schedule": []}
    tickets_table = resource_name("test", "tickets")

    @app.on_sqs_message(queue=resource_name("test", "support-tickets"))
    def on_support(event: Any) -> None:
        bodies = [record.body for record in event]
        if "fail" in bodies:
            raise RuntimeError("handler failure")
        seen["sqs"].extend(bodies)

    @app.on_s3_event(bucket=resource_name("test", "uploads"), events=["s3:ObjectCreated:*"])
    def on_upload(event: Any) -> None:
        seen["s3"].append(event.key)

    @app.on_dynamodb_record(
        stream_arn=f"arn:aws:dynamodb:eu-west-3:123456789012:table/{tickets_table}/stream/x",
        starting_position="TRIM_HORIZON",
    )
    def on_ticket_change(event: Any) -> None:
        seen["stream"].extend(record.new_image["pk"]["S"] for record in event)

    @app.schedule(Rate(5, unit=Rate.MINUTES))
    def every_five_minutes(event: Any) -> None:
        seen["schedule"].append(event.to_dict()["detail-type"])

    return app, seen


def _invoker(app: Chalice) -> Any:
    return lambda name, event: app.handler_map[name](event, None)


def test_pump_delivers_each_kind_of_event_to_its_handler(
    aws_env: dict[str, str], recorder_app: tuple[Chalice, dict[str, list[Any]]]
) -> None:
    app, seen = recorder_app
    session = aws.session()
    pump = Pump(app, session, invoke=_invoker(app), clock=lambda: 0.0)
    session.client("sqs").send_message(QueueUrl=aws_env["SUPPORT_QUEUE_URL"], MessageBody="hello")
    session.client("s3").put_object(
        Bucket=aws_env["UPLOADS_BUCKET"], Key="uploads/a b.png", Body=b"x"
    )
    session.client("dynamodb").put_item(
        TableName=aws_env["TICKETS_TABLE"], Item={"pk": {"S": "TICKET#1"}, "sk": {"S": "TICKET"}}
    )

    pump.tick()
    pump.drain()

    assert seen["sqs"] == ["hello"]
    assert seen["s3"] == ["uploads/a b.png"]
    assert seen["stream"] == ["TICKET#1"]
    assert seen["schedule"] == ["Scheduled Event"]


def test_pump_runs_a_schedule_at_its_rate(
    aws_env: dict[str, str], recorder_app: tuple[Chalice, dict[str, list[Any]]]
) -> None:
    app, seen = recorder_app
    now = [0.0]
    pump = Pump(app, aws.session(), invoke=_invoker(app), clock=lambda: now[0])

    pump.tick()
    now[0] = 299.0
    pump.tick()
    now[0] = 300.0
    pump.tick()

    assert len(seen["schedule"]) == 2


def test_a_message_whose_handler_keeps_failing_ends_in_the_dead_letter_queue(
    aws_env: dict[str, str], recorder_app: tuple[Chalice, dict[str, list[Any]]]
) -> None:
    app, seen = recorder_app
    sqs = aws.session().client("sqs")
    pump = Pump(
        app, aws.session(), invoke=_invoker(app), clock=lambda: 0.0, retry_visibility_seconds=0
    )
    sqs.send_message(QueueUrl=aws_env["SUPPORT_QUEUE_URL"], MessageBody="fail")
    dlq_url = sqs.get_queue_url(QueueName=resource_name("test", "support-tickets-dlq"))["QueueUrl"]

    for _ in range(6):
        pump.drain(max_rounds=1)

    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])
    assert [message["Body"] for message in dead] == ["fail"]
    assert seen["sqs"] == []


def test_s3_test_events_and_other_buckets_are_ignored(
    aws_env: dict[str, str], recorder_app: tuple[Chalice, dict[str, list[Any]]]
) -> None:
    app, seen = recorder_app
    pump = Pump(app, aws.session(), invoke=_invoker(app), clock=lambda: 0.0)
    sqs = aws.session().client("sqs")
    events_url = sqs.get_queue_url(QueueName=resource_name("test", "upload-events"))["QueueUrl"]
    sqs.send_message(QueueUrl=events_url, MessageBody=json.dumps({"Event": "s3:TestEvent"}))

    pump.drain()

    assert seen["s3"] == []
