"""Event handlers, wired from what the app declares (tests/infra/fake_app has one of each kind).

Chalice evaluates decorator arguments while the stack packages the app, so a
queue name there must be the stack's stage's; a stream ARN cannot be known
then, and the stack swaps the placeholder for the table's real stream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.shared.config import resource_name
from infra.stack import SQS_CONSUMER, STREAM_READER
from infra.stages import STAGES
from tests.infra.synth_fake_app import FAKE_PERMISSIONS
from tests.infra.templates import logical_id_of, resources_of

STAGE_NAMES = sorted(STAGES)
Json = Callable[[str], dict[str, Any]]


def _statements(template: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role_id = template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements: list[dict[str, Any]] = template["Resources"][role_id]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    return statements


def _grants(
    template: dict[str, Any], function: str, actions: tuple[str, ...], resource: Any
) -> bool:
    return any(
        sorted(statement["Action"]) == sorted(actions) and statement["Resource"] == resource
        for statement in _statements(template, function)
    )


def _event(template: dict[str, Any], function: str) -> dict[str, Any]:
    events = template["Resources"][function]["Properties"]["Events"]
    assert len(events) == 1
    event: dict[str, Any] = next(iter(events.values()))
    return event


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_sqs_consumer_reads_the_queue_of_the_stacks_own_stage(
    fake_template_json: Json, stage: str
) -> None:
    # Given the fake app declares on_sqs_message(queue=resource_name(current_stage(), ...))
    template = fake_template_json(stage)
    # When the stack of `stage` packages it
    event = _event(template, "OnSupportTicket")
    # Then the decorator saw that stage, and the role may consume that queue
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"]["Fn::Sub"].endswith(
        ":" + resource_name(stage, "support-tickets")
    )
    queue_id = logical_id_of(
        template, "AWS::SQS::Queue", QueueName=resource_name(stage, "support-tickets")
    )
    assert _grants(template, "OnSupportTicket", SQS_CONSUMER, {"Fn::GetAtt": [queue_id, "Arn"]})


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_stream_handler_gets_the_real_stream_of_the_table_its_placeholder_names(
    fake_template_json: Json, stage: str
) -> None:
    template = fake_template_json(stage)
    tickets = logical_id_of(
        template, "AWS::DynamoDB::Table", TableName=resource_name(stage, "tickets")
    )
    event = _event(template, "DispatchTickets")
    stream = {"Fn::GetAtt": [tickets, "StreamArn"]}
    assert event["Type"] == "DynamoDB"
    assert event["Properties"]["Stream"] == stream
    assert _grants(template, "DispatchTickets", STREAM_READER, stream)


def test_schedule_is_kept_and_needs_no_grant_beyond_its_entry(fake_template_json: Json) -> None:
    template = fake_template_json("dev")
    assert _event(template, "CloseIdleChats") == {
        "Type": "Schedule",
        "Properties": {"Schedule": "rate(1 minute)"},
    }
    # logs + the two accesses of its entry
    assert len(_statements(template, "CloseIdleChats")) == 1 + len(
        FAKE_PERMISSIONS["CloseIdleChats"]
    )


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_websocket_pushers_know_the_endpoint_and_may_post_to_its_connections_only(
    fake_template_json: Json, stage: str
) -> None:
    template = fake_template_json(stage)
    for logical_id, function in resources_of(template, "AWS::Serverless::Function").items():
        endpoint = function["Properties"]["Environment"]["Variables"]["WEBSOCKET_ENDPOINT"]
        assert {"Ref": "WebsocketAPI"} in endpoint["Fn::Join"][1], logical_id
        assert endpoint["Fn::Join"][1][-1] == f"/{stage}"
    (statement,) = [
        s
        for s in _statements(template, "WebsocketMessage")
        if s["Action"] == "execute-api:ManageConnections"
    ]
    resource = statement["Resource"]["Fn::Join"][1]
    assert {"Ref": "WebsocketAPI"} in resource
    assert resource[-1] == f"/{stage}/POST/@connections/*"
    assert template["Resources"]["WebsocketAPIStage"]["Properties"]["StageName"] == stage


def test_mail_sender_grant_names_the_ses_identity_of_the_stage(fake_template_json: Json) -> None:
    (statement,) = [
        s
        for s in _statements(fake_template_json("prod"), "OnSupportTicket")
        if "ses:SendEmail" in s["Action"]
    ]
    assert statement["Resource"]["Fn::Join"][1][-1] == ":identity/" + STAGES["prod"].mail_sender


def test_a_grant_on_objects_is_limited_to_their_prefix(fake_template_json: Json) -> None:
    (statement,) = [
        s
        for s in _statements(fake_template_json("dev"), "APIHandler")
        if s["Action"] == "s3:PutObject"
    ]
    assert statement["Resource"]["Fn::Join"][1][-1] == "/uploads/*"


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_stream_mapping_reports_partial_batches_bisects_and_gives_up_into_its_queue(
    template_json: Json, stage: str
) -> None:
    from infra.resources import STREAM_FAILURES

    template = template_json(stage)
    failures_queue = logical_id_of(
        template, "AWS::SQS::Queue", QueueName=resource_name(stage, "stream-failures")
    )
    destination = {"Fn::GetAtt": [failures_queue, "Arn"]}
    properties = _event(template, "DispatchTickets")["Properties"]

    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    # Bounded: a bad record no longer holds its shard for the stream's 24 hours.
    assert 0 < properties["MaximumRetryAttempts"] == STREAM_FAILURES.max_retry_attempts <= 100
    assert 60 <= properties["MaximumRecordAgeInSeconds"] < 24 * 3600
    assert properties["DestinationConfig"] == {"OnFailure": {"Destination": destination}}
    assert any(
        statement["Action"] == "sqs:SendMessage" and statement["Resource"] == destination
        for statement in _statements(template, "DispatchTickets")
    )


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_stream_failures_queue_keeps_14_days_and_alarms_when_it_holds_one(
    template_json: Json, stage: str
) -> None:
    template = template_json(stage)
    name = resource_name(stage, "stream-failures")
    queue_id = logical_id_of(template, "AWS::SQS::Queue", QueueName=name)
    assert template["Resources"][queue_id]["Properties"]["MessageRetentionPeriod"] == 14 * 86400
    (alarm,) = [
        resource["Properties"]
        for resource in resources_of(template, "AWS::CloudWatch::Alarm").values()
        if resource["Properties"]["AlarmName"] == f"{name}-not-empty"
    ]
    dimension = alarm["Dimensions"][0]["Value"]
    assert dimension == {"Fn::GetAtt": [queue_id, "QueueName"]}
    assert alarm["Threshold"] == 1
    assert alarm["AlarmActions"]


@pytest.mark.parametrize("function", ["DeliverSupportTickets", "DeliverBusinessTickets"])
def test_queue_consumers_report_partial_batches(template_json: Json, function: str) -> None:
    properties = _event(template_json("prod"), function)["Properties"]
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
