"""The packaged app: its functions' settings, names, roles, permissions, users, mail and API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from chalicelib.auth import BUSINESS_AGENTS, SUPPORT_AGENTS
from chalicelib.shared.config import Settings, resource_name
from infra.permissions import PERMISSIONS
from infra.resources import BUCKETS, QUEUES, TABLES
from infra.stack import UNASSIGNED_ROLE
from infra.stages import STAGES
from tests.infra.templates import logical_id_of, resources_of

STAGE_NAMES = sorted(STAGES)
FUNCTION = "AWS::Serverless::Function"


def _policy_documents(node: Any) -> Iterator[dict[str, Any]]:
    """Every IAM policy document anywhere in a template (roles, policies, resource policies)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"PolicyDocument", "AssumeRolePolicyDocument"} and isinstance(value, dict):
                yield value
            else:
                yield from _policy_documents(value)
    elif isinstance(node, list):
        for item in node:
            yield from _policy_documents(item)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_each_function_gets_exactly_the_variables_the_settings_module_reads(
    template_json: Callable[[str], dict[str, Any]], stage: str
) -> None:
    functions = resources_of(template_json(stage), FUNCTION)
    assert "APIHandler" in functions
    for logical_id, function in functions.items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert sorted(variables) == sorted(Settings.deployed_env_var_names()), logical_id
        assert variables["GUICHET_STAGE"] == stage
        assert variables["MAIL_SENDER"] == STAGES[stage].mail_sender
        assert variables["PORTAL_ORIGIN"] == STAGES[stage].portal_origin


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_resource_variables_point_at_this_stacks_tables_queues_and_bucket(
    template_json: Callable[[str], dict[str, Any]], stage: str
) -> None:
    template = template_json(stage)
    variables = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    for table in TABLES:
        table_id = logical_id_of(
            template, "AWS::DynamoDB::Table", TableName=table.physical_name(stage)
        )
        assert variables[table.env_var] == {"Ref": table_id}
    for queue in QUEUES:
        if queue.env_var:
            queue_id = logical_id_of(
                template, "AWS::SQS::Queue", QueueName=queue.physical_name(stage)
            )
            assert variables[queue.env_var] == {"Ref": queue_id}
    bucket_ids = list(resources_of(template, "AWS::S3::Bucket"))
    for bucket in BUCKETS:
        assert variables[bucket.env_var]["Ref"] in bucket_ids


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_tokens_are_checked_against_the_user_pool_and_its_portal_client(
    template: Callable[[str], Template], template_json: Callable[[str], dict[str, Any]], stage: str
) -> None:
    resources = template_json(stage)
    pool = next(iter(resources_of(resources, "AWS::Cognito::UserPool")))
    client = next(iter(resources_of(resources, "AWS::Cognito::UserPoolClient")))
    variables = resources["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["AUTH_ISSUER"] == {"Fn::GetAtt": [pool, "ProviderURL"]}
    assert variables["AUTH_AUDIENCE"] == {"Ref": client}
    template(stage).has_resource_properties(
        "AWS::Cognito::UserPoolClient", {"UserPoolId": {"Ref": pool}, "GenerateSecret": False}
    )
    for group in (SUPPORT_AGENTS, BUSINESS_AGENTS):
        template(stage).has_resource_properties(
            "AWS::Cognito::UserPoolGroup", {"GroupName": group, "UserPoolId": {"Ref": pool}}
        )
    template(stage).has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "DeletionProtection": "ACTIVE" if STAGES[stage].deletion_protection else "INACTIVE",
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
        },
    )


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_sender_address_is_an_ses_identity(
    template: Callable[[str], Template], stage: str
) -> None:
    template(stage).has_resource_properties(
        "AWS::SES::EmailIdentity", {"EmailIdentity": STAGES[stage].mail_sender}
    )


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_api_is_throttled_by_stage_parameters_and_logs_each_request(
    template: Callable[[str], Template], stage: str
) -> None:
    parameters = STAGES[stage]
    template(stage).has_resource_properties(
        "AWS::Serverless::Api",
        {
            "StageName": stage,
            "MethodSettings": [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": parameters.throttling_rate_limit,
                    "ThrottlingBurstLimit": parameters.throttling_burst_limit,
                }
            ],
            "AccessLogSetting": {
                "DestinationArn": {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]},
                "Format": Match.string_like_regexp(r"\$context\.requestId"),
            },
        },
    )


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_each_function_has_its_own_role_name_and_log_group(
    template: Callable[[str], Template], template_json: Callable[[str], dict[str, Any]], stage: str
) -> None:
    functions = resources_of(template_json(stage), FUNCTION)
    roles = set()
    for logical_id, function in functions.items():
        properties = function["Properties"]
        assert properties["Role"] != UNASSIGNED_ROLE
        role_id = properties["Role"]["Fn::GetAtt"][0]
        assert template_json(stage)["Resources"][role_id]["Type"] == "AWS::IAM::Role"
        roles.add(role_id)
        name = resource_name(stage, logical_id)
        assert properties["FunctionName"] == name
        template(stage).has_resource_properties(
            "AWS::Logs::LogGroup",
            {
                "LogGroupName": f"/aws/lambda/{name}",
                "RetentionInDays": STAGES[stage].log_retention_days,
            },
        )
    assert len(roles) == len(functions)


def test_every_packaged_function_has_a_permissions_entry_and_every_entry_a_function(
    template_json: Callable[[str], dict[str, Any]],
) -> None:
    # A typo in infra/permissions.py, or an entry left behind, would grant nothing to anyone.
    assert set(resources_of(template_json("dev"), FUNCTION)) == set(PERMISSIONS)


def test_api_handler_may_do_what_its_entry_says_on_those_tables_and_no_more(
    template_json: Callable[[str], dict[str, Any]],
) -> None:
    template = template_json("dev")
    role_id = template["Resources"]["APIHandler"]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = template["Resources"][role_id]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    granted = sorted(sorted(_as_list(statement["Action"])) for statement in statements)
    expected = [["logs:CreateLogStream", "logs:PutLogEvents"]]
    expected += [sorted(access.actions) for access in PERMISSIONS["APIHandler"]]
    assert granted == sorted(expected)


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_no_policy_allows_every_action_or_every_resource(
    template_json: Callable[[str], dict[str, Any]], stage: str
) -> None:
    documents = list(_policy_documents(template_json(stage)["Resources"]))
    assert len(documents) > 5
    for document in documents:
        for statement in document["Statement"]:
            assert "*" not in _as_list(statement.get("Action", [])), statement
            if statement["Effect"] == "Allow" and "Resource" in statement:
                assert "*" not in _as_list(statement["Resource"]), statement
            assert "NotAction" not in statement and "NotResource" not in statement


def test_only_api_gateways_logging_role_uses_a_managed_policy(
    template_json: Callable[[str], dict[str, Any]],
) -> None:
    # Chalice's own DefaultRole (logs on arn:*:logs:*:*:*) is not packaged either.
    roles = resources_of(template_json("prod"), "AWS::IAM::Role")
    managed = {
        logical_id: role["Properties"]["ManagedPolicyArns"]
        for logical_id, role in roles.items()
        if "ManagedPolicyArns" in role["Properties"]
    }
    assert "DefaultRole" not in roles
    assert [logical_id[: len("ApiGatewayLogsRole")] for logical_id in managed] == [
        "ApiGatewayLogsRole"
    ]
    assert "AmazonAPIGatewayPushToCloudWatchLogs" in str(managed)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_unknown_paths_and_gateway_errors_answer_problem_json(
    template_json: Callable[[str], dict[str, Any]], stage: str
) -> None:
    from infra.stages import STAGES

    template = template_json(stage)
    responses = {
        resource["Properties"]["ResponseType"]: resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse"
    }
    assert {"MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED"} <= set(
        responses
    )
    for response_type, properties in responses.items():
        assert properties["RestApiId"] == {"Ref": "RestAPI"}, response_type
        headers = properties["ResponseParameters"]
        assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
        origin = headers["gatewayresponse.header.Access-Control-Allow-Origin"]
        assert origin == f"'{STAGES[stage].portal_origin}'"
        problem = json.loads(properties["ResponseTemplates"]["application/json"])
        assert problem["status"] == int(properties["StatusCode"]), response_type
        assert {"type", "title", "detail", "errors"} <= set(problem)
    # An unknown path is API Gateway's "Missing Authentication Token": a 404 problem.
    unknown = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert unknown["StatusCode"] == "404"
    assert json.loads(unknown["ResponseTemplates"]["application/json"])["type"].endswith(
        "/not-found"
    )
    assert responses["THROTTLED"]["ResponseParameters"]["gatewayresponse.header.Retry-After"]
