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


# ------------------------------------------------------------- stream failure semantics


def _stream_app(behaviour: dict[str, str]) -> tuple[Chalice, list[str]]:
    """A stream handler that records the keys it handled; `behaviour[key]` makes it
    "report" that record as failed, or "raise" (a function error)."""
    from chalicelib.endpoints.batches import in_order

    app = Chalice(app_name="stream-test")
    handled: list[str] = []
    tickets_table = resource_name("test", "tickets")

    @app.on_dynamodb_record(
        stream_arn=f"arn:aws:dynamodb:eu-west-3:123456789012:table/{tickets_table}/stream/x",
        starting_position="TRIM_HORIZON",
        batch_size=10,
    )
    def on_ticket_change(event: Any) -> Any:
        keys = [record.keys["pk"]["S"] for record in event]
        if any(behaviour.get(key) == "raise" for key in keys):
            raise RuntimeError("function error")

        def handle(record: Any) -> None:
            key = record.keys["pk"]["S"]
            if behaviour.get(key) == "report":
                raise RuntimeError("record failed")
            handled.append(key)

        return in_order(event, handle)

    return app, handled


def _put(aws_env: dict[str, str], *keys: str) -> None:
    client = aws.session().client("dynamodb")
    for key in keys:
        client.put_item(
            TableName=aws_env["TICKETS_TABLE"], Item={"pk": {"S": key}, "sk": {"S": "TICKET"}}
        )


def _failure_records(aws_env: dict[str, str]) -> list[dict[str, Any]]:
    sqs = aws.session().client("sqs")
    url = sqs.get_queue_url(QueueName=resource_name("test", "stream-failures"))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def _stream_pump(app: Chalice, now: list[float], attempts: int = 2) -> Pump:
    from infra.resources import STREAM_FAILURES_QUEUE, StreamFailures

    failures = StreamFailures(
        STREAM_FAILURES_QUEUE, max_retry_attempts=attempts, max_record_age_seconds=3600
    )
    return Pump(
        app, aws.session(), invoke=_invoker(app), clock=lambda: now[0], stream_failures=failures
    )


def _run(pump: Pump, now: list[float], seconds: float) -> None:
    """Tick the pump through `seconds` of its clock, a second at a time."""
    for _ in range(int(seconds)):
        pump.tick()
        now[0] += 1.0


def test_a_reported_record_is_retried_with_backoff_and_those_before_it_are_not(
    aws_env: dict[str, str],
) -> None:
    behaviour = {"B": "report"}
    app, handled = _stream_app(behaviour)
    now = [0.0]
    pump = _stream_pump(app, now, attempts=100)
    _put(aws_env, "A", "B", "C")

    pump.tick()
    pump.tick()  # backing off: nothing happens
    assert handled == ["A"]

    behaviour.clear()
    _run(pump, now, 5)
    assert handled == ["A", "B", "C"]
    assert _failure_records(aws_env) == []


def test_a_record_that_keeps_failing_goes_to_the_failure_queue_and_the_shard_moves_on(
    aws_env: dict[str, str],
) -> None:
    app, handled = _stream_app({"B": "raise"})
    now = [0.0]
    pump = _stream_pump(app, now, attempts=2)
    _put(aws_env, "A", "B", "C", "D")

    _run(pump, now, 30)

    # Bisection isolated B: every other record was handled, in order.
    assert handled == ["A", "C", "D"]
    (failure,) = _failure_records(aws_env)
    info = failure["DDBStreamBatchInfo"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert f":table/{aws_env['TICKETS_TABLE']}/stream/" in info["streamArn"]


def test_the_pump_follows_a_stream_shard_that_moto_replaced(aws_env: dict[str, str]) -> None:
    import copy

    from moto.dynamodb.models import dynamodb_backends

    app, handled = _stream_app({})
    now = [0.0]
    pump = _stream_pump(app, now)
    _put(aws_env, "A")
    pump.tick()
    # What moto 5.2 does when a transaction is cancelled (TRAPS.md): the table,
    # and so its stream shard, is swapped for a copy.
    backend = dynamodb_backends["123456789012"]["eu-west-3"]
    backend.tables[aws_env["TICKETS_TABLE"]] = copy.deepcopy(
        backend.tables[aws_env["TICKETS_TABLE"]]
    )
    _put(aws_env, "B")

    _run(pump, now, 3)

    assert handled == ["A", "B"]
