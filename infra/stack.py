"""The CDK stack of one stage: every resource of infra/resources.py, Cognito, SES, and the app.

The tables, queues and bucket are built from the same descriptions the tests
and the local stack provision (infra/resources.py). The app is packaged by
Chalice's own construct (`chalice package` into a SAM template, included
here); the stack then gives each packaged function its own role, written out
from infra/permissions.py and from the function's event sources, its log
group, and the real stream ARN of its DynamoDB event source.

Chalice evaluates the app's decorators while packaging, so GUICHET_STAGE is set
to this stack's stage first and the app's modules are imported afresh.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib.auth import BUSINESS_AGENTS, SUPPORT_AGENTS
from chalicelib.shared.config import Settings, resource_name
from chalicelib.shared.errors import PROBLEM_JSON
from infra.gateway_responses import GATEWAY_RESPONSES
from infra.permissions import (
    PERMISSIONS,
    Access,
    MailSender,
    Objects,
    Target,
    WebSocketConnections,
)
from infra.portal import PAGE_REWRITE, content_security_policy, security_headers
from infra.resources import (
    INVENTORY,
    STREAM_FAILURES,
    Bucket,
    Inventory,
    Queue,
    Secret,
    StreamFailures,
    Table,
)
from infra.stages import StageParameters

# Chalice wants a role ARN when it does not manage roles; every function's
# Role is then replaced by its own (a test checks none keeps this one).
UNASSIGNED_ROLE = "arn:aws:iam::000000000000:role/guichet-unassigned"
# `chalice package` asks botocore for a region; the template itself is
# region-agnostic (pseudo parameters), so any region does while packaging.
PACKAGING_REGION = "eu-west-3"
SQS_CONSUMER = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
)
STREAM_READER = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
STREAM_TABLE = re.compile(r":table/(?P<table>[^/]+)/stream/")
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "method": "$context.httpMethod",
        "path": "$context.resourcePath",
        "status": "$context.status",
        "latencyMs": "$context.responseLatency",
        "bytes": "$context.responseLength",
    }
)


class PackagedChalice(Chalice):
    """Chalice's construct, plus the packaged SAM template as a dict."""

    @cached_property
    def packaged_template(self) -> dict[str, Any]:
        # The construct keeps the package directory private; the template
        # there is the one it included, before assets were substituted.
        path = Path(self._sam_package_dir) / "sam.json"
        template: dict[str, Any] = json.loads(path.read_text())
        return template

    def functions(self) -> dict[str, dict[str, Any]]:
        """The packaged Lambda functions' properties, by logical id."""
        return {
            logical_id: resource["Properties"]
            for logical_id, resource in self.packaged_template["Resources"].items()
            if resource["Type"] == "AWS::Serverless::Function"
        }

    def has_resource(self, logical_id: str) -> bool:
        return logical_id in self.packaged_template["Resources"]


class MissingPermissionsError(Exception):
    """A packaged function has no entry in infra/permissions.py."""


class UnknownResourceError(Exception):
    """The app names a queue, stream or API the stack does not create."""


class GuichetStack(Stack):
    """One stage of Guichet: data, queues, uploads, users, mail and the app."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        parameters: StageParameters,
        source_dir: Path,
        work_dir: Path,
        permissions: Mapping[str, Sequence[Access]] = PERMISSIONS,
        inventory: Inventory = INVENTORY,
        stream_failures: StreamFailures = STREAM_FAILURES,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.parameters = parameters
        self.inventory = inventory
        self.stream_failures = stream_failures
        self.removal_policy = (
            RemovalPolicy.RETAIN if parameters.deletion_protection else RemovalPolicy.DESTROY
        )
        self.alarm_topic = self._alarm_topic()
        self.tables = {table.logical_name: self._table(table) for table in inventory.tables}
        self.queues = {queue.logical_name: self._queue(queue) for queue in inventory.queues}
        self.buckets = {bucket.logical_name: self._bucket(bucket) for bucket in inventory.buckets}
        self.secrets = {secret.logical_name: self._secret(secret) for secret in inventory.secrets}
        self.user_pool, self.user_pool_client = self._user_pool()
        self.mail_identity = ses.EmailIdentity(
            self, "MailSender", identity=ses.Identity.email(parameters.mail_sender)
        )
        self.mail_identity_arn = self.format_arn(
            service="ses", resource="identity", resource_name=parameters.mail_sender
        )
        self.app = self._package_app(source_dir, work_dir)
        missing = missing_permissions(self.app.functions(), permissions)
        if missing:
            raise MissingPermissionsError(
                "no entry in infra/permissions.py PERMISSIONS (add one, even an empty tuple) "
                "for: " + ", ".join(missing)
            )
        self.function_names = {
            logical_id: self._wire_function(logical_id, properties, permissions)
            for logical_id, properties in self.app.functions().items()
        }
        self._configure_rest_api()
        self.portal_bucket, self.portal = self._portal()
        self._outputs()

    # Data ------------------------------------------------------------------

    def _table(self, table: Table) -> dynamodb.Table:
        stream = dynamodb.StreamViewType[table.stream] if table.stream else None
        built = dynamodb.Table(
            self,
            _construct_id(table.logical_name, "Table"),
            table_name=table.physical_name(self.parameters.stage),
            partition_key=_attribute(table.partition_key),
            sort_key=_attribute(table.sort_key) if table.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=table.ttl_attribute,
            stream=stream,
            deletion_protection=self.parameters.deletion_protection,
            removal_policy=self.removal_policy,
        )
        for index in table.indexes:
            built.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_attribute(index.sort_key) if index.sort_key else None,
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return built

    def _secret(self, secret: Secret) -> secretsmanager.Secret:
        """A random key generated by CloudFormation: it never passes through a template or CI."""
        return secretsmanager.Secret(
            self,
            _construct_id(secret.logical_name, "Secret"),
            secret_name=secret.physical_name(self.parameters.stage),
            description=f"Guichet {self.parameters.stage}: {secret.logical_name}",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=secret.length, exclude_punctuation=True, include_space=False
            ),
            removal_policy=self.removal_policy,
        )

    def _alarm_topic(self) -> sns.Topic:
        # CloudWatch cannot publish to a topic encrypted with the AWS-managed
        # SNS key, and alarm notices carry no personal data: no SSE here.
        topic = sns.Topic(self, "Alarms", topic_name=resource_name(self.parameters.stage, "alarms"))
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={"Bool": {"aws:SecureTransport": "false"}},
            )
        )
        if self.parameters.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(self.parameters.alarm_email))
        return topic

    def _queue(self, queue: Queue) -> sqs.Queue:
        stage = self.parameters.stage
        dead_letters = sqs.Queue(
            self,
            _construct_id(queue.logical_name, "DeadLetters"),
            queue_name=queue.dead_letter_name(stage),
            retention_period=Duration.seconds(queue.dead_letter_retention_seconds),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        built = sqs.Queue(
            self,
            _construct_id(queue.logical_name, "Queue"),
            queue_name=queue.physical_name(stage),
            visibility_timeout=Duration.seconds(queue.visibility_timeout_seconds),
            retention_period=(
                Duration.seconds(queue.retention_seconds) if queue.retention_seconds else None
            ),
            # SSE-SQS, not KMS: S3 can deliver notifications to it without a key policy.
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=dead_letters, max_receive_count=queue.max_receive_count
            ),
        )
        self._not_empty_alarm(
            dead_letters,
            _construct_id(queue.logical_name, "DeadLettersAlarm"),
            f"{queue.dead_letter_name(stage)}-not-empty",
            f"Messages of {queue.physical_name(stage)} failed {queue.max_receive_count} times.",
        )
        if queue.alarm_when_not_empty:
            self._not_empty_alarm(
                built,
                _construct_id(queue.logical_name, "Alarm"),
                f"{queue.physical_name(stage)}-not-empty",
                f"{queue.physical_name(stage)} holds failures: replay them "
                "(python -m infra.redrive, see infra/README.md).",
            )
        return built

    def _not_empty_alarm(
        self, queue: sqs.Queue, construct_id: str, name: str, description: str
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=name,
            alarm_description=description,
            metric=queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))

    def _bucket(self, bucket: Bucket) -> s3.Bucket:
        # Bucket names are global: the account id keeps two accounts' stages apart.
        name = f"{bucket.physical_name(self.parameters.stage)}-{Aws.ACCOUNT_ID}"
        built = s3.Bucket(
            self,
            _construct_id(bucket.logical_name, "Bucket"),
            bucket_name=name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods[method] for method in bucket.cors_methods],
                    allowed_origins=[self.parameters.portal_origin],
                    allowed_headers=["*"],
                    max_age=3000,
                )
            ],
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(
                        bucket.abort_incomplete_multipart_days
                    ),
                ),
                *(
                    s3.LifecycleRule(
                        id=rule.rule_id,
                        prefix=rule.prefix,
                        tag_filters=dict([rule.tag]) if rule.tag else None,
                        expiration=Duration.days(rule.expiration_days),
                    )
                    for rule in bucket.lifecycle
                ),
            ],
            removal_policy=self.removal_policy,
        )
        if bucket.notification_queue:
            self._notify_queue(built, name, bucket)
        return built

    def _notify_queue(self, built: s3.Bucket, name: str, bucket: Bucket) -> None:
        """ObjectCreated under the prefix goes to the queue, declared on the bucket itself.

        CDK's `add_event_notification` would add a custom-resource Lambda whose
        role may PutBucketNotification on "*"; CloudFormation does it natively.
        The bucket's ARN is spelt from its name so the queue policy does not
        depend on the bucket, which depends on the policy (S3 checks it).
        """
        queue = self.queues[bucket.notification_queue or ""]
        bucket_arn = f"arn:{Aws.PARTITION}:s3:::{name}"
        result = queue.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions={
                    "ArnLike": {"aws:SourceArn": bucket_arn},
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                },
            )
        )
        cfn_bucket = built.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            queue_configurations=[
                s3.CfnBucket.QueueConfigurationProperty(
                    event="s3:ObjectCreated:*",
                    queue=queue.queue_arn,
                    filter=s3.CfnBucket.NotificationFilterProperty(
                        s3_key=s3.CfnBucket.S3KeyFilterProperty(
                            rules=[
                                s3.CfnBucket.FilterRuleProperty(
                                    name="prefix", value=bucket.notification_prefix or ""
                                )
                            ]
                        )
                    ),
                )
            ]
        )
        if result.policy_dependable is not None:
            built.node.add_dependency(result.policy_dependable)

    # Users and mail --------------------------------------------------------

    def _user_pool(self) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        stage = self.parameters.stage
        pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=resource_name(stage, "users"),
            # Accounts come from the portal; nobody signs up here.
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(min_length=12),
            deletion_protection=self.parameters.deletion_protection,
            removal_policy=self.removal_policy,
        )
        for group, description in (
            (SUPPORT_AGENTS, "Support advisors: tool-support tickets and LiveChats"),
            (BUSINESS_AGENTS, "Agents of a business service: its tickets"),
        ):
            cognito.CfnUserPoolGroup(
                self,
                _construct_id(group, "Group"),
                user_pool_id=pool.user_pool_id,
                group_name=group,
                description=description,
            )
        self.auth_domain = pool.add_domain(
            "HostedUi",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=self.parameters.auth_domain_prefix or f"guichet-{stage}"
            ),
        )
        origin = self.parameters.portal_origin
        client = pool.add_client(
            "Portal",
            user_pool_client_name=resource_name(stage, "portal"),
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            # The portal signs in through the hosted UI: authorization code + PKCE,
            # back to /connexion (web/lib/auth.js).
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.PROFILE,
                ],
                callback_urls=[f"{origin}/connexion"],
                logout_urls=[f"{origin}/"],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
        )
        return pool, client

    # The app ---------------------------------------------------------------

    def function_environment(self) -> dict[str, str]:
        """Every variable of `Settings.deployed_env_var_names()`, pointing at this stack."""
        parameters = self.parameters
        env: dict[str, str] = {
            "GUICHET_STAGE": parameters.stage,
            "AUTH_ISSUER": self.user_pool.user_pool_provider_url,
            "AUTH_AUDIENCE": self.user_pool_client.user_pool_client_id,
            "MAIL_SENDER": parameters.mail_sender,
            "PORTAL_ORIGIN": parameters.portal_origin,
        }
        for table in self.inventory.tables:
            env[table.env_var] = self.tables[table.logical_name].table_name
        for queue in self.inventory.queues:
            if queue.env_var:
                env[queue.env_var] = self.queues[queue.logical_name].queue_url
        for bucket in self.inventory.buckets:
            env[bucket.env_var] = self.buckets[bucket.logical_name].bucket_name
        for secret in self.inventory.secrets:
            env[secret.env_var] = self.secrets[secret.logical_name].secret_arn
        env.update(parameters.settings)
        return complete_environment(env)

    def _package_app(self, source_dir: Path, work_dir: Path) -> PackagedChalice:
        stage = self.parameters.stage
        os.environ["GUICHET_STAGE"] = stage
        # The routes' CORS origin: Chalice writes it into API Gateway's OPTIONS answers.
        os.environ["PORTAL_ORIGIN"] = self.parameters.portal_origin
        os.environ.setdefault("AWS_DEFAULT_REGION", PACKAGING_REGION)
        _forget_app_modules()
        stage_config = {
            "api_gateway_stage": stage,
            "environment_variables": self.function_environment(),
            "lambda_memory_size": self.parameters.lambda_memory_mb,
            "manage_iam_role": False,
            "iam_role_arn": UNASSIGNED_ROLE,
            "autogen_policy": False,
        }
        work_dir.mkdir(parents=True, exist_ok=True)
        # The construct writes its package under the working directory.
        with contextlib.chdir(work_dir):
            return PackagedChalice(
                self, "App", source_dir=str(source_dir), stage_config=stage_config
            )

    def _wire_function(
        self,
        logical_id: str,
        properties: Mapping[str, Any],
        permissions: Mapping[str, Sequence[Access]],
    ) -> str:
        """Give a packaged function its name, log group, role and real event sources."""
        function = self.app.get_resource(logical_id)
        name = resource_name(self.parameters.stage, logical_id)
        log_group = logs.CfnLogGroup(
            self,
            f"{logical_id}Logs",
            log_group_name=f"/aws/lambda/{name}",
            retention_in_days=self.parameters.log_retention_days,
        )
        log_group.apply_removal_policy(self.removal_policy)
        statements = [
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.attr_arn],
            ),
            *self._event_source_statements(logical_id, properties),
            *(self._statement(access) for access in permissions[logical_id]),
        ]
        role = iam.Role(
            self,
            f"{logical_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Guichet {self.parameters.stage}: {logical_id}",
            inline_policies={"access": iam.PolicyDocument(statements=statements)},
        )
        function.add_property_override("FunctionName", name)
        function.add_property_override("Role", role.role_arn)
        function.node.add_dependency(log_group)
        if self.app.has_resource("WebsocketAPI"):
            function.add_property_override(
                "Environment.Variables.WEBSOCKET_ENDPOINT", self._websocket_endpoint()
            )
        return name

    def _event_source_statements(
        self, logical_id: str, properties: Mapping[str, Any]
    ) -> list[iam.PolicyStatement]:
        """What the function's event sources need; stream sources get the table's real ARN."""
        statements = []
        function = self.app.get_resource(logical_id)
        for event_id, event in properties.get("Events", {}).items():
            source = f"Events.{event_id}.Properties"
            if event["Type"] == "SQS":
                queue = self._queue_named(queue_name(event["Properties"]["Queue"]), logical_id)
                function.add_property_override(
                    f"{source}.FunctionResponseTypes", [REPORT_BATCH_ITEM_FAILURES]
                )
                statements.append(
                    iam.PolicyStatement(actions=list(SQS_CONSUMER), resources=[queue.queue_arn])
                )
            elif event["Type"] == "DynamoDB":
                stream_arn = self._stream_of(event["Properties"]["Stream"], logical_id)
                function.add_property_override(f"{source}.Stream", stream_arn)
                on_failure = self._stream_failure_settings(function, source)
                statements += [
                    iam.PolicyStatement(actions=list(STREAM_READER), resources=[stream_arn]),
                    # Lambda sends the failure records with the function's role.
                    iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[on_failure]),
                ]
        return statements

    def _stream_failure_settings(self, function: Any, source: str) -> str:
        """Partial batches, bisection, bounded retries and age, the on-failure queue (its ARN)."""
        failures = self.stream_failures
        on_failure = self.queues[failures.on_failure.logical_name].queue_arn
        settings = {
            "FunctionResponseTypes": [REPORT_BATCH_ITEM_FAILURES],
            "BisectBatchOnFunctionError": failures.bisect_on_error,
            "MaximumRetryAttempts": failures.max_retry_attempts,
            "MaximumRecordAgeInSeconds": failures.max_record_age_seconds,
            "DestinationConfig": {"OnFailure": {"Destination": on_failure}},
        }
        for name, value in settings.items():
            function.add_property_override(f"{source}.{name}", value)
        return on_failure

    def _queue_named(self, name: str, logical_id: str) -> sqs.Queue:
        for queue in self.inventory.queues:
            if queue.physical_name(self.parameters.stage) == name:
                return self.queues[queue.logical_name]
        raise UnknownResourceError(
            f"{logical_id} consumes queue {name!r}, which infra/resources.py does not define "
            f"for stage {self.parameters.stage}"
        )

    def _stream_of(self, placeholder_arn: str, logical_id: str) -> str:
        """The real stream ARN of the table named in the decorator's placeholder ARN."""
        match = STREAM_TABLE.search(placeholder_arn)
        for table in self.inventory.tables:
            if match and table.physical_name(self.parameters.stage) == match["table"]:
                stream_arn = self.tables[table.logical_name].table_stream_arn
                if table.stream and stream_arn:
                    return stream_arn
        raise UnknownResourceError(
            f"{logical_id} reads the stream {placeholder_arn!r}: no table of stage "
            f"{self.parameters.stage} with a stream has that name"
        )

    def _statement(self, access: Access) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            actions=list(access.actions), resources=self._arns(access.target)
        )

    def _arns(self, target: Target) -> list[str]:
        """The ARNs an access names (a table's indexes with the table)."""
        match target:
            case Table():
                table = self.tables[target.logical_name]
                indexes = [f"{table.table_arn}/index/*"] if target.indexes else []
                return [table.table_arn, *indexes]
            case Queue():
                return [self.queues[target.logical_name].queue_arn]
            case Bucket():
                return [self.buckets[target.logical_name].bucket_arn]
            case Secret():
                return [self.secrets[target.logical_name].secret_arn]
            case Objects():
                return [
                    self.buckets[target.bucket.logical_name].arn_for_objects(f"{target.prefix}*")
                ]
            case MailSender():
                return [self.mail_identity_arn]
            case WebSocketConnections():
                return [self._websocket_connections_arn()]
        raise TypeError(f"no ARN for {target!r}")  # pragma: no cover

    def _websocket_api_id(self) -> str:
        if not self.app.has_resource("WebsocketAPI"):
            raise UnknownResourceError("a function posts to websockets, but the app declares none")
        return self.app.get_resource("WebsocketAPI").ref

    def _websocket_connections_arn(self) -> str:
        return self.format_arn(
            service="execute-api",
            resource=self._websocket_api_id(),
            resource_name=f"{self.parameters.stage}/POST/@connections/*",
        )

    def _websocket_endpoint(self) -> str:
        return (
            f"https://{self._websocket_api_id()}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"
            f"/{self.parameters.stage}"
        )

    def _configure_rest_api(self) -> None:
        """Throttling and access logs on Chalice's REST API stage."""
        if not self.app.has_resource("RestAPI"):
            return
        api = self.app.get_resource("RestAPI")
        access_logs = logs.CfnLogGroup(
            self,
            "ApiAccessLogs",
            log_group_name=f"/aws/apigateway/{resource_name(self.parameters.stage, 'api')}",
            retention_in_days=self.parameters.log_retention_days,
        )
        access_logs.apply_removal_policy(self.removal_policy)
        api.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": self.parameters.throttling_rate_limit,
                    "ThrottlingBurstLimit": self.parameters.throttling_burst_limit,
                }
            ],
        )
        api.add_property_override(
            "AccessLogSetting",
            {"DestinationArn": access_logs.attr_arn, "Format": ACCESS_LOG_FORMAT},
        )
        if self.parameters.manage_api_gateway_account:
            api.node.add_dependency(self._api_gateway_account())
        self._gateway_responses(api)

    def _gateway_responses(self, api: Any) -> None:
        """What API Gateway answers by itself (an unknown path, throttling, a body too big)
        as the app does: application/problem+json, readable by the portal (CORS)."""
        origin = self.parameters.portal_origin.replace("'", "")
        for response in GATEWAY_RESPONSES:
            parameters = {
                "gatewayresponse.header.Content-Type": f"'{PROBLEM_JSON}'",
                "gatewayresponse.header.Access-Control-Allow-Origin": f"'{origin}'",
                "gatewayresponse.header.Vary": "'Origin'",
            }
            if response.retry_after:
                parameters["gatewayresponse.header.Retry-After"] = f"'{response.retry_after}'"
            apigateway.CfnGatewayResponse(
                self,
                f"GatewayResponse{response.response_type.title().replace('_', '')}",
                rest_api_id=api.ref,
                response_type=response.response_type,
                status_code=str(response.status),
                response_parameters=parameters,
                response_templates={"application/json": response.template()},
            )

    def _api_gateway_account(self) -> apigateway.CfnAccount:
        # AWS's managed policy for exactly this role; API Gateway names the
        # execution log groups itself, so no narrower resource can be written.
        role = iam.Role(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                )
            ],
        )
        return apigateway.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)

    # The portal -------------------------------------------------------------

    def api_url(self) -> str:
        return (
            f"https://{self.app.get_resource('RestAPI').ref}.execute-api.{Aws.REGION}"
            f".{Aws.URL_SUFFIX}/{self.parameters.stage}"
        )

    def auth_domain_url(self) -> str:
        return f"https://{self.auth_domain.domain_name}.auth.{Aws.REGION}.amazoncognito.com"

    def websocket_url(self) -> str:
        return self._websocket_endpoint().replace("https://", "wss://", 1)

    def _portal(self) -> tuple[s3.Bucket, cloudfront.Distribution]:
        """The portal: a private bucket behind CloudFront (origin access control), with
        the security headers of infra/portal.py, pages rewritten to index.html.

        Its files and /config.json (API URL, user pool domain and client id) are
        uploaded at deploy by infra/portal_deploy.py, from this stack's outputs.
        """
        bucket = s3.Bucket(
            self,
            "PortalBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            removal_policy=self.removal_policy,
        )
        uploads = self.buckets["uploads"].bucket_name
        connect = [
            self.api_url(),
            self.auth_domain_url(),
            f"https://{uploads}.s3.{Aws.REGION}.amazonaws.com",
            f"https://{uploads}.s3.amazonaws.com",
        ]
        if self.app.has_resource("WebsocketAPI"):
            connect.append(self.websocket_url())
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "PortalHeaders",
            response_headers_policy_name=resource_name(self.parameters.stage, "portal-headers"),
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(connect), override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730),
                    include_subdomains=True,
                    override=True,
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(header=name, value=value, override=True)
                    for name, value in PORTAL_CUSTOM_HEADERS.items()
                ]
            ),
        )
        pages = cloudfront.Function(
            self,
            "PortalPages",
            code=cloudfront.FunctionCode.from_inline(PAGE_REWRITE),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Portal pages: paths without an extension get /index.html",
        )
        certificate_arn = self.parameters.portal_certificate_arn
        distribution = cloudfront.Distribution(
            self,
            "Portal",
            comment=f"Guichet portal ({self.parameters.stage})",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=pages, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            domain_names=[portal_host(self.parameters.portal_origin)] if certificate_arn else None,
            certificate=(
                acm.Certificate.from_certificate_arn(self, "PortalCertificate", certificate_arn)
                if certificate_arn
                else None
            ),
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        return bucket, distribution

    def _outputs(self) -> None:
        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)
        CfnOutput(self, "AuthIssuer", value=self.user_pool.user_pool_provider_url)
        CfnOutput(self, "AlarmTopic", value=self.alarm_topic.topic_arn)
        for logical_name, bucket in self.buckets.items():
            CfnOutput(self, _construct_id(logical_name, "BucketName"), value=bucket.bucket_name)
        # What infra/portal_deploy.py uploads to and writes into the portal's /config.json.
        CfnOutput(self, "PortalBucketName", value=self.portal_bucket.bucket_name)
        CfnOutput(self, "PortalDistributionId", value=self.portal.distribution_id)
        CfnOutput(self, "PortalDomainName", value=self.portal.distribution_domain_name)
        CfnOutput(self, "ApiUrl", value=self.api_url())
        CfnOutput(self, "AuthDomainUrl", value=self.auth_domain_url())
        if self.app.has_resource("WebsocketAPI"):
            CfnOutput(self, "WebsocketUrl", value=self.websocket_url())


# Security headers CloudFront's policy has no field for (infra/portal.py lists them all).
PORTAL_CUSTOM_HEADERS = {
    name: value
    for name, value in security_headers(csp="").items()
    if name in {"Permissions-Policy", "Cross-Origin-Opener-Policy"}
}


def portal_host(origin: str) -> str:
    """`https://portail.example.fr` -> `portail.example.fr`."""
    return origin.split("://", 1)[-1].rstrip("/")


def missing_permissions(
    functions: Mapping[str, Mapping[str, Any]], permissions: Mapping[str, Sequence[Access]]
) -> list[str]:
    """The packaged functions with no permissions entry, each with its handler."""
    return [
        f"{logical_id} (handler {properties.get('Handler')})"
        for logical_id, properties in sorted(functions.items())
        if logical_id not in permissions
    ]


def _attribute(key: Any) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=dynamodb.AttributeType[_TYPES[key.type]])


_TYPES = {"S": "STRING", "N": "NUMBER", "B": "BINARY"}


def _construct_id(logical_name: str, suffix: str) -> str:
    """`support-tickets`, `Queue` -> `SupportTicketsQueue`."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", logical_name)) + suffix


def queue_name(queue: Any) -> str:
    """The queue name in Chalice's SQS event source (an ARN, or an Fn::Sub of one)."""
    arn = queue["Fn::Sub"] if isinstance(queue, dict) else queue
    return str(arn).rsplit(":", 1)[-1]


def complete_environment(env: dict[str, str]) -> dict[str, str]:
    """The variables given, plus the settings' defaults; every deployed name, no other."""
    expected = set(Settings.deployed_env_var_names())
    unknown = set(env) - expected
    if unknown:
        raise ValueError(f"not settings of chalicelib.shared.config: {sorted(unknown)}")
    complete = dict(env)
    for field in Settings.model_fields.values():
        name = str(field.alias)
        if name not in expected or name in complete:
            continue
        if field.is_required():
            raise ValueError(f"the stack does not provide {name}, which has no default")
        complete[name] = str(field.default)
    return complete


def _forget_app_modules() -> None:
    """Drop the app's modules, so that packaging imports them under this stage."""
    for name in list(sys.modules):
        if name == "app" or name == "chalicelib" or name.startswith("chalicelib."):
            del sys.modules[name]
