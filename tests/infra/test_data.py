"""Tables, queues and the uploads bucket: the very ones of infra/resources.py, as deployed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.resources import BUCKETS, QUEUES, TABLES, Bucket, Key, Queue, Table
from infra.stages import STAGES
from tests.infra.templates import logical_id_of, resources_of

STAGE_NAMES = sorted(STAGES)


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def _or_absent(value: Any, present: bool) -> Any:
    return value if present else Match.absent()


@pytest.mark.parametrize("stage", STAGE_NAMES)
@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.logical_name)
def test_each_table_has_its_keys_indexes_ttl_stream_pitr_and_encryption(
    template: Callable[[str], Template], table: Table, stage: str
) -> None:
    # Given the synthesised stage / When we look for the table / Then all of it is there
    template(stage).has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": table.physical_name(stage),
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": _key_schema(table.partition_key, table.sort_key),
            "AttributeDefinitions": Match.array_equals(
                [
                    {"AttributeName": key.name, "AttributeType": key.type}
                    for key in table.attributes()
                ]
            ),
            "GlobalSecondaryIndexes": _or_absent(
                [
                    {
                        "IndexName": index.name,
                        "KeySchema": _key_schema(index.partition_key, index.sort_key),
                        "Projection": {"ProjectionType": "ALL"},
                    }
                    for index in table.indexes
                ],
                bool(table.indexes),
            ),
            "TimeToLiveSpecification": _or_absent(
                {"AttributeName": table.ttl_attribute, "Enabled": True}, bool(table.ttl_attribute)
            ),
            "StreamSpecification": _or_absent({"StreamViewType": table.stream}, bool(table.stream)),
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
        },
    )


def test_tickets_table_streams_new_and_old_images_for_the_dispatcher(
    template: Callable[[str], Template],
) -> None:
    template("dev").has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": "guichet-dev-tickets",
            "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
        },
    )


@pytest.mark.parametrize(("stage", "protected"), [("dev", False), ("prod", True)])
def test_only_prod_tables_are_protected_from_deletion(
    template_json: Callable[[str], dict[str, Any]], stage: str, protected: bool
) -> None:
    tables = resources_of(template_json(stage), "AWS::DynamoDB::Table")
    assert len(tables) == len(TABLES)
    for table in tables.values():
        assert table["Properties"]["DeletionProtectionEnabled"] is protected
        assert table["DeletionPolicy"] == ("Retain" if protected else "Delete")


@pytest.mark.parametrize("stage", STAGE_NAMES)
@pytest.mark.parametrize("queue", QUEUES, ids=lambda queue: queue.logical_name)
def test_each_queue_redrives_to_its_encrypted_dead_letter_queue_after_5_receives(
    template: Callable[[str], Template],
    template_json: Callable[[str], dict[str, Any]],
    queue: Queue,
    stage: str,
) -> None:
    dead_letters = logical_id_of(
        template_json(stage), "AWS::SQS::Queue", QueueName=queue.dead_letter_name(stage)
    )
    template(stage).has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": queue.dead_letter_name(stage),
            "MessageRetentionPeriod": 14 * 24 * 3600,
            "SqsManagedSseEnabled": True,
        },
    )
    template(stage).has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": queue.physical_name(stage),
            "VisibilityTimeout": queue.visibility_timeout_seconds,
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters, "Arn"]},
                "maxReceiveCount": 5,
            },
        },
    )


@pytest.mark.parametrize("queue", QUEUES, ids=lambda queue: queue.logical_name)
def test_each_dead_letter_queue_has_an_alarm_on_its_depth(
    template: Callable[[str], Template],
    template_json: Callable[[str], dict[str, Any]],
    queue: Queue,
) -> None:
    dead_letters = logical_id_of(
        template_json("prod"), "AWS::SQS::Queue", QueueName=queue.dead_letter_name("prod")
    )
    template("prod").has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Namespace": "AWS/SQS",
            "Dimensions": [
                {"Name": "QueueName", "Value": {"Fn::GetAtt": [dead_letters, "QueueName"]}}
            ],
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "AlarmActions": [{"Ref": Match.string_like_regexp("^Alarms")}],
        },
    )


def _denies_plain_http(template: dict[str, Any], policy_type: str, target: str) -> bool:
    for policy in resources_of(template, policy_type).values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if (
                statement["Effect"] == "Deny"
                and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
                and target in str(policy["Properties"])
            ):
                return True
    return False


@pytest.mark.parametrize("queue", QUEUES, ids=lambda queue: queue.logical_name)
def test_queues_refuse_plain_http(
    template_json: Callable[[str], dict[str, Any]], queue: Queue
) -> None:
    template = template_json("dev")
    logical_id = logical_id_of(template, "AWS::SQS::Queue", QueueName=queue.physical_name("dev"))
    assert _denies_plain_http(template, "AWS::SQS::QueuePolicy", logical_id)


@pytest.mark.parametrize("stage", STAGE_NAMES)
@pytest.mark.parametrize("bucket", BUCKETS, ids=lambda bucket: bucket.logical_name)
def test_bucket_is_private_encrypted_tls_only_and_takes_posts_from_the_portal_only(
    template: Callable[[str], Template],
    template_json: Callable[[str], dict[str, Any]],
    bucket: Bucket,
    stage: str,
) -> None:
    template(stage).has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "CorsConfiguration": {
                "CorsRules": [
                    Match.object_like(
                        {
                            "AllowedMethods": ["POST"],
                            "AllowedOrigins": [STAGES[stage].portal_origin],
                        }
                    )
                ]
            },
        },
    )
    bucket_id = next(iter(resources_of(template_json(stage), "AWS::S3::Bucket")))
    assert _denies_plain_http(template_json(stage), "AWS::S3::BucketPolicy", bucket_id)


@pytest.mark.parametrize("bucket", BUCKETS, ids=lambda bucket: bucket.logical_name)
def test_bucket_expires_unfinished_and_unchecked_uploads(
    template: Callable[[str], Template], bucket: Bucket
) -> None:
    # Refused uploads are deleted by the checker at once; pending ones expire.
    assert any(rule.prefix == "uploads/" and rule.tag for rule in bucket.lifecycle)
    template("prod").has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "abort-incomplete-uploads",
                        "AbortIncompleteMultipartUpload": {
                            "DaysAfterInitiation": bucket.abort_incomplete_multipart_days
                        },
                        "Status": "Enabled",
                    },
                    *(
                        {
                            "Id": rule.rule_id,
                            "Prefix": rule.prefix,
                            "ExpirationInDays": rule.expiration_days,
                            "Status": "Enabled",
                            **(
                                {"TagFilters": [{"Key": rule.tag[0], "Value": rule.tag[1]}]}
                                if rule.tag
                                else {}
                            ),
                        }
                        for rule in bucket.lifecycle
                    ),
                ]
            }
        },
    )


@pytest.mark.parametrize("bucket", BUCKETS, ids=lambda bucket: bucket.logical_name)
def test_objects_created_under_the_prefix_notify_the_checker_queue_which_lets_s3_send(
    template: Callable[[str], Template],
    template_json: Callable[[str], dict[str, Any]],
    bucket: Bucket,
) -> None:
    assert bucket.notification_queue is not None
    queue = next(q for q in QUEUES if q.logical_name == bucket.notification_queue)
    queue_id = logical_id_of(
        template_json("dev"), "AWS::SQS::Queue", QueueName=queue.physical_name("dev")
    )
    template("dev").has_resource_properties(
        "AWS::S3::Bucket",
        {
            "NotificationConfiguration": {
                "QueueConfigurations": [
                    {
                        "Event": "s3:ObjectCreated:*",
                        "Queue": {"Fn::GetAtt": [queue_id, "Arn"]},
                        "Filter": {
                            "S3Key": {
                                "Rules": [{"Name": "prefix", "Value": bucket.notification_prefix}]
                            }
                        },
                    }
                ]
            }
        },
    )
    template("dev").has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": queue_id}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Allow",
                                "Action": "sqs:SendMessage",
                                "Principal": {"Service": "s3.amazonaws.com"},
                                "Condition": Match.object_like({"ArnLike": Match.any_value()}),
                            }
                        )
                    ]
                )
            },
        },
    )
