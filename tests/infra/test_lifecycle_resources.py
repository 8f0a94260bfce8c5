"""The tickets' lifecycle in the stack: the notifications queue and its consumer, the mail table,
the follow-up links' secret, the lifecycle schedule, each function's grants and no more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.shared.config import resource_name
from infra.permissions import PERMISSIONS
from infra.resources import FOLLOW_LINK_KEY
from infra.stages import STAGES
from tests.infra.templates import logical_id_of, resources_of

STAGE_NAMES = sorted(STAGES)
Json = Callable[[str], dict[str, Any]]


def statements(template: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role_id = template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    found: list[dict[str, Any]] = template["Resources"][role_id]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    return found


def actions(template: dict[str, Any], function: str) -> set[str]:
    return {
        action
        for statement in statements(template, function)
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_follow_up_links_key_is_a_secret_generated_by_cloudformation(
    template_json: Json, stage: str
) -> None:
    template = template_json(stage)
    secret_id = logical_id_of(
        template, "AWS::SecretsManager::Secret", Name=FOLLOW_LINK_KEY.physical_name(stage)
    )
    secret = template["Resources"][secret_id]["Properties"]
    assert secret["GenerateSecretString"]["PasswordLength"] == 64
    assert "SecretString" not in secret
    for logical_id, function in resources_of(template, "AWS::Serverless::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["FOLLOW_LINK_SECRET"] == {"Ref": secret_id}, logical_id


def test_only_the_api_and_the_notifications_consumer_may_read_the_key(template_json: Json) -> None:
    template = template_json("prod")
    secret_id = logical_id_of(
        template, "AWS::SecretsManager::Secret", Name=FOLLOW_LINK_KEY.physical_name("prod")
    )
    readers = {
        function
        for function in resources_of(template, "AWS::Serverless::Function")
        for statement in statements(template, function)
        if statement["Resource"] == {"Ref": secret_id}
    }

    assert readers == {"APIHandler", "SendNotifications"}
    for function in readers:
        [grant] = [s for s in statements(template, function) if s["Resource"] == {"Ref": secret_id}]
        assert grant["Action"] == "secretsmanager:GetSecretValue"


def test_the_stream_handler_only_sends_messages_and_never_mail(template_json: Json) -> None:
    granted = actions(template_json("dev"), "DispatchTickets")

    assert not any(action.startswith("ses:") for action in granted)
    assert "sqs:SendMessage" in granted


def test_the_notifications_consumer_reads_its_queue_and_may_send_mail(template_json: Json) -> None:
    template = template_json("dev")
    queue_id = logical_id_of(
        template, "AWS::SQS::Queue", QueueName=resource_name("dev", "notifications")
    )
    events = template["Resources"]["SendNotifications"]["Properties"]["Events"]
    [event] = events.values()

    assert event["Type"] == "SQS" and event["Properties"]["BatchSize"] == 10
    assert {"ses:SendEmail", "sqs:ReceiveMessage", "dynamodb:PutItem"} <= actions(
        template, "SendNotifications"
    )
    assert any(
        statement["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        for statement in statements(template, "SendNotifications")
    )


def test_the_lifecycle_job_runs_every_15_minutes_with_its_grants_only(
    template_json: Json,
) -> None:
    template = template_json("dev")
    function = template["Resources"]["TicketLifecycle"]["Properties"]
    [event] = function["Events"].values()

    assert event == {"Type": "Schedule", "Properties": {"Schedule": "rate(15 minutes)"}}
    expected = {action for access in PERMISSIONS["TicketLifecycle"] for action in access.actions}
    assert actions(template, "TicketLifecycle") == expected | {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    assert not any(action.startswith(("ses:", "sqs:")) for action in expected)


def test_the_tickets_table_has_the_lifecycle_index(template_json: Json) -> None:
    template = template_json("dev")
    tickets_id = logical_id_of(
        template, "AWS::DynamoDB::Table", TableName=resource_name("dev", "tickets")
    )
    indexes = template["Resources"][tickets_id]["Properties"]["GlobalSecondaryIndexes"]

    assert "gsi6" in [index["IndexName"] for index in indexes]
