"""Create the resources of infra/resources.py with boto3: for moto, in tests and locally.

Deployed stages get theirs from the CDK stack; this module is the same
definitions turned into API calls, returning the environment variables that
point the app at what it created.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any, Protocol

from infra.resources import INVENTORY, Bucket, Inventory, Key, Queue, Secret, Table


class Session(Protocol):
    """What provisioning needs of a boto3 session: clients."""

    @property
    def region_name(self) -> str | None: ...

    # A read-only attribute, not a method: boto3's `client` is overloaded on literal
    # service names, which a method taking `str` would not match (mypy).
    @property
    def client(self) -> Callable[..., Any]: ...


class _ClientCache:
    """A session that makes each client once: a boto3 client costs ~60 ms to create, and
    provisioning asks for eleven (every moto-backed test pays for it)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._clients: dict[str, Any] = {}

    @property
    def region_name(self) -> str | None:
        return self._session.region_name

    def client(self, service_name: str) -> Any:
        if service_name not in self._clients:
            self._clients[service_name] = self._session.client(service_name)
        return self._clients[service_name]


def create_table(session: Session, table: Table, stage: str) -> str:
    """Create one table (and its TTL); returns its physical name."""
    client = session.client("dynamodb")
    name = table.physical_name(stage)
    kwargs: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": key.name, "AttributeType": key.type} for key in table.attributes()
        ],
        "KeySchema": _key_schema(table.partition_key, table.sort_key),
    }
    if table.indexes:
        kwargs["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": _key_schema(index.partition_key, index.sort_key),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in table.indexes
        ]
    if table.stream:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream}
    client.create_table(**kwargs)
    if table.ttl_attribute:
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
        )
    return name


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def create_queue(session: Session, queue: Queue, stage: str) -> str:
    """Create a queue and its dead-letter queue; returns the queue URL."""
    sqs = session.client("sqs")
    dlq_url = sqs.create_queue(
        QueueName=queue.dead_letter_name(stage),
        Attributes={"MessageRetentionPeriod": str(queue.dead_letter_retention_seconds)},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(queue.max_receive_count)}
    attributes = {
        "VisibilityTimeout": str(queue.visibility_timeout_seconds),
        "RedrivePolicy": json.dumps(redrive),
    }
    if queue.retention_seconds:
        attributes["MessageRetentionPeriod"] = str(queue.retention_seconds)
    return sqs.create_queue(QueueName=queue.physical_name(stage), Attributes=attributes)["QueueUrl"]


def create_bucket(session: Session, bucket: Bucket, stage: str, queue_urls: dict[str, str]) -> str:
    """Create a bucket, its lifecycle rules and its notifications to a queue."""
    s3: Any = session.client("s3")
    name = bucket.physical_name(stage)
    region = session.region_name or "us-east-1"
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_lifecycle_configuration(
        Bucket=name, LifecycleConfiguration={"Rules": lifecycle_rules(bucket)}
    )
    if bucket.notification_queue:
        queue_url = queue_urls[bucket.notification_queue]
        sqs = session.client("sqs")
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        s3.put_bucket_notification_configuration(
            Bucket=name,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": queue_arn,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {
                            "Key": {
                                "FilterRules": [
                                    {"Name": "prefix", "Value": bucket.notification_prefix or ""}
                                ]
                            }
                        },
                    }
                ]
            },
        )
    return name


def lifecycle_rules(bucket: Bucket) -> list[dict[str, Any]]:
    """The bucket's lifecycle rules as S3 wants them, with the multipart clean-up rule."""
    rules: list[dict[str, Any]] = []
    for rule in bucket.lifecycle:
        filter_: dict[str, Any] = {"Prefix": rule.prefix}
        if rule.tag is not None:
            # A filter with a prefix and a tag must combine them under "And".
            tag = {"Key": rule.tag[0], "Value": rule.tag[1]}
            filter_ = {"And": {"Prefix": rule.prefix, "Tags": [tag]}}
        rules.append(
            {
                "ID": rule.rule_id,
                "Filter": filter_,
                "Status": "Enabled",
                "Expiration": {"Days": rule.expiration_days},
            }
        )
    rules.append(
        {
            "ID": "abort-incomplete-multipart-uploads",
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {
                "DaysAfterInitiation": bucket.abort_incomplete_multipart_days
            },
        }
    )
    return rules


def create_secret(session: Session, secret: Secret, stage: str) -> str:
    """Create a secret with a random value, as the stack generates one; returns its ARN."""
    value = secrets.token_urlsafe(secret.length)[: secret.length]
    created = session.client("secretsmanager").create_secret(
        Name=secret.physical_name(stage), SecretString=value
    )
    return str(created["ARN"])


def create_all(session: Session, stage: str, inventory: Inventory = INVENTORY) -> dict[str, str]:
    """Create every resource; returns the environment variables naming them."""
    session = _ClientCache(session)
    env: dict[str, str] = {}
    for table in inventory.tables:
        env[table.env_var] = create_table(session, table, stage)
    queue_urls: dict[str, str] = {}
    for queue in inventory.queues:
        queue_urls[queue.logical_name] = create_queue(session, queue, stage)
        if queue.env_var:
            env[queue.env_var] = queue_urls[queue.logical_name]
    for bucket in inventory.buckets:
        env[bucket.env_var] = create_bucket(session, bucket, stage, queue_urls)
    for secret in inventory.secrets:
        env[secret.env_var] = create_secret(session, secret, stage)
    return env
